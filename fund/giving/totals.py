"""Money raised: kept as it moves, for campaign progress and the 芳名録 (donor list).

The one definition of "money raised" is a gift's net amount: paid, less refunds
and lost disputes (Donation.net_amount in Python, `net_amount_expression` in
SQL). Pages never sum gifts on a request: they read ScopeTotal and
ScopeSupporter rows, which `refresh` brings up to date inside the transaction
that moves the money (receivers of signals.payment_succeeded and
signals.net_amount_changed), and `rebuild` recomputes from the payments.
"""
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from fund.campaigns import services as campaign_services
from fund.core import clock, signals
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation, ScopeSupporter, ScopeTotal
from fund.payments.models import Dispute, DisputeState, Payment, PaymentState, Refund, RefundState

FUND = ("fund", 0)


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

    The SQL twin of Donation.net_amount; every total is built from it.
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


def _paid_at_expression():
    return (db.select(func.min(Payment.succeeded_at))
            .where(Payment.donation_id == Donation.id, Payment.state == PaymentState.SUCCEEDED)
            .scalar_subquery())


def scopes_of(donation):
    """The scopes a gift counts in: the whole fund, and its campaign or project."""
    scopes = [FUND]
    if donation.designation == "campaign":
        scopes.append(("campaign", donation.campaign_id))
    elif donation.designation == "project":
        scopes.append(("project", donation.project_id))
    return scopes


def _scope_filter(scope, scope_id):
    if scope == "campaign":
        return Donation.campaign_id == scope_id
    if scope == "project":
        return (Donation.designation == "project") & (Donation.project_id == scope_id)
    return db.true()


def _standing(donor_id, scope, scope_id):
    """(net, published, published_since) of one donor in one scope, from their gifts."""
    rows = db.session.execute(
        db.select(Donation.publish_name, net_amount_expression(), _paid_at_expression())
        .where(Donation.donor_id == donor_id, _scope_filter(scope, scope_id))).all()
    net = sum(int(row[1]) for row in rows if row[1] > 0)
    opted_in = [row[2] for row in rows if row[0] and row[1] > 0 and row[2] is not None]
    return net, bool(opted_in), min(opted_in) if opted_in else None


def _locked_total(scope, scope_id):
    """The scope's total row under a row lock, created the first time."""
    def read():
        return db.session.execute(
            db.select(ScopeTotal).filter_by(scope=scope, scope_id=scope_id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one_or_none()
    total = read()
    if total is None:
        try:
            with db.session.begin_nested():
                db.session.add(ScopeTotal(scope=scope, scope_id=scope_id, raised=0, supporters=0,
                                          named=0))
        except IntegrityError:
            pass  # another transaction made it first; its lock now orders us
        total = read()
    return total


def refresh(donation):
    """Bring the totals of every scope the gift counts in up to date (no commit)."""
    # A fixed order of locks (the fund's row last) keeps concurrent gifts from deadlocking.
    for scope, scope_id in sorted(scopes_of(donation), key=lambda s: s == FUND):
        _refresh_supporter(donation.donor_id, scope, scope_id)


def _refresh_supporter(donor_id, scope, scope_id):
    net, published, since = _standing(donor_id, scope, scope_id)
    total = _locked_total(scope, scope_id)
    supporter = db.session.get(ScopeSupporter, (scope, scope_id, donor_id))
    if supporter is None:
        supporter = ScopeSupporter(scope=scope, scope_id=scope_id, donor_id=donor_id, net=0,
                                   published=False)
        db.session.add(supporter)
    total.raised += net - supporter.net
    total.supporters += int(net > 0) - int(supporter.net > 0)
    total.named += _named(net, published) - _named(supporter.net, supporter.published)
    supporter.net, supporter.published, supporter.published_since = net, published, since


def _named(net, published):
    """1 when the 芳名録 lists this supporter (the listing's own rule, in donor_list)."""
    return int(bool(published) and net > 0)


def rebuild():
    """Recompute every total from the payments, set by set (a repair, or after an import); commits."""
    db.session.execute(db.delete(ScopeSupporter))
    db.session.execute(db.delete(ScopeTotal))
    gift = (db.select(Donation.donor_id, Donation.designation, Donation.campaign_id,
                      Donation.project_id, Donation.publish_name,
                      net_amount_expression().label("net"), _paid_at_expression().label("paid_at"))
            .subquery())
    kept = gift.c.net > 0
    opted_in = kept & gift.c.publish_name.is_(True)
    for scope, scope_id, where in (
            ("fund", None, kept),
            ("campaign", gift.c.campaign_id, kept & (gift.c.designation == "campaign")),
            ("project", gift.c.project_id, kept & (gift.c.designation == "project"))):
        keys = [gift.c.donor_id] if scope_id is None else [scope_id, gift.c.donor_id]
        per_donor = (db.select(db.literal(scope), scope_id if scope_id is not None else 0,
                               gift.c.donor_id, func.sum(gift.c.net),
                               func.max(db.case((opted_in, 1), else_=0)) == 1,
                               func.min(db.case((opted_in, gift.c.paid_at))))
                     .where(where).group_by(*keys))
        db.session.execute(db.insert(ScopeSupporter).from_select(
            ["scope", "scope_id", "donor_id", "net", "published", "published_since"], per_donor))
    named = db.case((ScopeSupporter.published.is_(True) & (ScopeSupporter.net > 0), 1), else_=0)
    db.session.execute(db.insert(ScopeTotal).from_select(
        ["scope", "scope_id", "raised", "supporters", "named"],
        db.select(ScopeSupporter.scope, ScopeSupporter.scope_id, func.sum(ScopeSupporter.net),
                  func.count(), func.sum(named))
        .group_by(ScopeSupporter.scope, ScopeSupporter.scope_id)))
    db.session.commit()


def donor_merged(*, kept_id, merged_id):
    """After the merged donor's gifts moved to the kept one: each scope's supporters again (no commit).

    Two records of one person counted as two supporters; now they count once.
    """
    scopes = db.session.execute(
        db.select(ScopeSupporter.scope, ScopeSupporter.scope_id)
        .where(ScopeSupporter.donor_id.in_((kept_id, merged_id)))).all()
    for scope, scope_id in sorted(set(scopes), key=lambda s: (s[0] == "fund", s)):
        total = _locked_total(scope, scope_id)
        gone = db.session.get(ScopeSupporter, (scope, scope_id, merged_id))
        if gone is not None:
            total.raised -= gone.net
            total.supporters -= int(gone.net > 0)
            total.named -= _named(gone.net, gone.published)
            db.session.delete(gone)
            db.session.flush()
        _refresh_supporter(kept_id, scope, scope_id)


@signals.payment_succeeded.connect
def _on_payment_succeeded(payment, actor):
    refresh(payment.donation)


@signals.net_amount_changed.connect
def _on_net_amount_changed(donation, actor):
    refresh(donation)


# --- what pages read -------------------------------------------------------------

def campaign_progress(campaigns, now=None):
    now = now or clock.now()
    ids = [c.id for c in campaigns]
    totals = {row.scope_id: row for row in db.session.execute(
        db.select(ScopeTotal).where(ScopeTotal.scope == "campaign",
                                    ScopeTotal.scope_id.in_(ids))).scalars()} if ids else {}
    result = {}
    for campaign in campaigns:
        total = totals.get(campaign.id)
        days = (clock.jst_date(campaign.ends_at) - clock.jst_date(now)).days
        result[campaign.id] = Progress(
            raised=total.raised if total else 0, goal=campaign.goal_amount,
            supporters=total.supporters if total else 0,
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


def donor_list(campaign=None, limit=500, project=None):
    """芳名録: names of donors who opted in, in order of their first such gift.

    Publication is opt-in per gift; a donor is listed once if any of their
    kept gifts (to this campaign or project, if given) allows it. Fully
    refunded gifts do not count. Everyone else is only counted as anonymous.
    """
    scope, scope_id = (("campaign", campaign.id) if campaign is not None
                       else ("project", project.id) if project is not None else FUND)
    listed = ((ScopeSupporter.scope == scope) & (ScopeSupporter.scope_id == scope_id)
              & ScopeSupporter.published.is_(True) & (ScopeSupporter.net > 0))
    name = db.case((Donor.kind == "corporation", Donor.company_name), else_=Donor.name)
    names = db.session.execute(
        db.select(name).select_from(ScopeSupporter)
        .join(Donor, Donor.id == ScopeSupporter.donor_id).where(listed)
        .order_by(ScopeSupporter.published_since, ScopeSupporter.donor_id).limit(limit)
    ).scalars().all()
    # Counted as money moves (ScopeTotal.named), not over the supporters on each request.
    total = db.session.get(ScopeTotal, (scope, scope_id))
    return DonorList(names=list(names),
                     anonymous=(total.supporters - total.named) if total else 0)
