"""Money raised: campaign progress for every page, and the 芳名録 (donor list)."""
from dataclasses import dataclass

from sqlalchemy import func

from fund.campaigns import services as campaign_services
from fund.core import clock
from fund.core.extensions import db
from fund.giving import gifts as donations
from fund.giving.models import Donation
from fund.payments.models import Dispute, DisputeState, Payment, PaymentState, Refund, RefundState


@dataclass(frozen=True)
class Progress:
    raised: int
    goal: int
    supporters: int
    days_left: int
    is_open: bool

    @property
    def percent(self):
        # Integer percent, floored, so 99.9% never shows as 100%.
        return self.raised * 100 // self.goal if self.goal else 0


def net_amount_expression():
    """Money raised by one gift, in SQL: paid, less refunds and lost disputes.

    The one definition of "money raised": Donation.net_amount in Python and
    this expression in queries say the same thing, and every page uses them.
    """
    paid = (db.select(func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.donation_id == Donation.id, Payment.state == PaymentState.SUCCEEDED)
            .scalar_subquery())
    refunded = (db.select(func.coalesce(func.sum(Refund.amount), 0))
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Payment.donation_id == Donation.id, Refund.state == RefundState.SUCCEEDED)
                .scalar_subquery())
    lost = (db.select(func.coalesce(func.sum(Dispute.amount), 0))
            .join(Payment, Payment.id == Dispute.payment_id)
            .where(Payment.donation_id == Donation.id, Dispute.state == DisputeState.LOST)
            .scalar_subquery())
    return paid - refunded - lost


def raised_by(filter_column, ids):
    """{id: (raised, supporters)}: net money raised and the donors who still count."""
    if not ids:
        return {}
    per_gift = (db.select(filter_column.label("key"), Donation.donor_id.label("donor_id"),
                          net_amount_expression().label("net"))
                .where(filter_column.in_(ids)).subquery())
    kept = per_gift.c.net > 0
    rows = db.session.execute(
        db.select(per_gift.c.key,
                  func.coalesce(func.sum(db.case((kept, per_gift.c.net), else_=0)), 0),
                  func.count(func.distinct(db.case((kept, per_gift.c.donor_id)))))
        .group_by(per_gift.c.key)).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def campaign_progress(campaigns, now=None):
    now = now or clock.now()
    totals = raised_by(Donation.campaign_id, [c.id for c in campaigns])
    result = {}
    for campaign in campaigns:
        raised, supporters = totals.get(campaign.id, (0, 0))
        days = (clock.jst_date(campaign.ends_at) - clock.jst_date(now)).days
        result[campaign.id] = Progress(
            raised=raised, goal=campaign.goal_amount, supporters=supporters,
            days_left=max(days, 0), is_open=campaign.is_open(now))
    return result


def listing():
    """Started campaigns with their progress, and projects, for the home page."""
    now = clock.now()
    campaigns, projects = campaign_services.destinations(now)
    return campaigns, campaign_progress(campaigns, now), projects


@dataclass(frozen=True)
class DonorList:
    names: list
    anonymous: int


def donor_list(campaign=None, limit=500):
    """芳名録: names of donors who opted in, in order of their first paid gift.

    Publication is opt-in per gift; a donor is listed once if any of their
    paid gifts (to this campaign, if given) allows it. Fully refunded gifts
    do not count. Everyone else is only counted as anonymous.
    """
    query = donations.with_money(db.select(Donation).join(Payment, Payment.donation_id == Donation.id)
                       .where(Payment.state == PaymentState.SUCCEEDED)
                       .order_by(Payment.succeeded_at, Donation.id))
    if campaign is not None:
        query = query.where(Donation.campaign_id == campaign.id)
    published, everyone = {}, set()
    for donation in db.session.execute(query).unique().scalars():
        if donation.net_amount <= 0:
            continue
        everyone.add(donation.donor_id)
        if donation.publish_name and donation.donor_id not in published:
            published[donation.donor_id] = donation.donor.receipt_name
    names = list(published.values())
    return DonorList(names=names[:limit], anonymous=len(everyone) - len(published))
