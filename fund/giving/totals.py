"""What the home page shows about campaigns and projects: money raised so far."""
from dataclasses import dataclass

from sqlalchemy import func

from fund.core.extensions import db
from fund.campaigns.models import Campaign, Project
from fund.giving.models import Donation
from fund.payments.models import Payment
from fund.payments.models import SUCCEEDED
from fund.core import clock
from fund.giving import gifts as donations


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


def _paid_totals(filter_column, ids):
    """{id: (raised, supporters)} from succeeded payments only."""
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(filter_column, func.coalesce(func.sum(Payment.amount), 0),
                  func.count(func.distinct(Donation.donor_id)))
        .join(Payment, Payment.donation_id == Donation.id)
        .where(Payment.state == SUCCEEDED, filter_column.in_(ids))
        .group_by(filter_column)).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def campaign_progress(campaigns, now=None):
    now = now or clock.now()
    totals = _paid_totals(Donation.campaign_id, [c.id for c in campaigns])
    result = {}
    for campaign in campaigns:
        raised, supporters = totals.get(campaign.id, (0, 0))
        days = (clock.jst_date(campaign.ends_at) - clock.jst_date(now)).days
        result[campaign.id] = Progress(
            raised=raised, goal=campaign.goal_amount, supporters=supporters,
            days_left=max(days, 0), is_open=campaign.is_open(now))
    return result


def campaign_by_slug(slug):
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()


def destinations(now=None):
    """Campaigns that have started and projects that accept gifts (no totals)."""
    now = now or clock.now()
    campaigns = db.session.execute(
        db.select(Campaign).where(Campaign.starts_at <= now).order_by(Campaign.ends_at)
    ).scalars().all()
    projects = db.session.execute(
        db.select(Project).where(Project.accepts_donations.is_(True)).order_by(Project.id)
    ).scalars().all()
    return campaigns, projects


def listing():
    """Started campaigns with their progress, and projects, for the home page."""
    now = clock.now()
    campaigns, projects = destinations(now)
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
                       .where(Payment.state == SUCCEEDED)
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
