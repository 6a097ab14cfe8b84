"""Campaign deadlines: each campaign is closed exactly once, and what follows is done in full.

The periodic task (Celery beat in production, the inline scheduler under
`make run`, `flask fund office close-campaigns` from cron) closes every
published campaign whose end has passed:

- it **succeeded** when the money kept (net of refunds and lost disputes)
  reached the goal, or whatever the total for an All-In campaign;
  its pool in the ledger moves to its project in the same commit
  (`fund.ledger.allocations.close_campaign_to_project`);
- an **All-or-Nothing** campaign that missed its goal **failed**: its card gifts
  are refunded through fund.payments.refunds, each under its own idempotency
  key, so a run that stops half-way (Stripe down) is finished by the next run.
  Konbini and bank-transfer gifts cannot be refunded through Stripe: the
  donors are told the office will return the money by bank transfer, and the
  gifts stay listed on the campaign's office page until a person has done so.

Closing takes the campaign's row lock and checks its state again, so two
workers (or a worker and the office) can never close it twice; every
supporter gets one mail saying how it ended, in their language.
"""
import logging
from datetime import timedelta

from fund.campaigns.models import Campaign, CampaignState, FundingModel
from fund.core import audit, clock, jobs, mail
from fund.core.errors import FundError, PaymentUnavailable
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation, ScopeTotal
from fund.ledger import allocations
from fund.office import reports
from fund.office.models import GiftFact
from fund.payments import refunds
from fund.payments.models import RefundState

log = logging.getLogger(__name__)

TASK = "fund.campaign_deadlines"
REFUND_REASON = "All-or-Nothing campaign missed its goal: gift returned"
CARD = "card"


@jobs.task(TASK, every=timedelta(minutes=15))
def run(now=None):
    """Close every campaign past its deadline, then finish the refunds of failed ones."""
    now = now or clock.now()
    due = db.session.execute(
        db.select(Campaign.id).where(Campaign.status == CampaignState.PUBLISHED,
                                     Campaign.ends_at <= now).order_by(Campaign.ends_at)
    ).scalars().all()
    db.session.rollback()
    closed = {campaign_id: close(campaign_id, now=now) for campaign_id in due}
    failed = db.session.execute(
        db.select(Campaign.id).where(Campaign.status == CampaignState.FAILED)).scalars().all()
    db.session.rollback()
    refunded = sum(refund_card_gifts(campaign_id) for campaign_id in failed)
    return {"closed": {str(k): v for k, v in closed.items() if v}, "refunds": refunded}


def raised(campaign):
    total = db.session.get(ScopeTotal, ("campaign", campaign.id))
    return total.raised if total else 0


def close(campaign_id, *, now=None, actor=audit.SYSTEM):
    """Close one campaign if it is still open past its end; returns the outcome or None. Commits."""
    now = now or clock.now()
    campaign = db.session.execute(
        db.select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if campaign is None or campaign.status != CampaignState.PUBLISHED or campaign.ends_at > now:
        db.session.rollback()
        return None
    kept = raised(campaign)
    reached = kept >= campaign.goal_amount
    outcome = (CampaignState.SUCCEEDED if reached or campaign.funding_model == FundingModel.ALL_IN
               else CampaignState.FAILED)
    campaign.status = outcome
    campaign.closed_at = now
    audit.record(actor, f"campaign.{outcome}", campaign, raised=kept, goal=campaign.goal_amount,
                 funding_model=campaign.funding_model)
    if outcome == CampaignState.SUCCEEDED:
        allocations.close_campaign_to_project(campaign, actor=actor)  # its pool, to its project
    _tell_supporters(campaign, outcome, kept)
    db.session.commit()
    mail.deliver_committed()
    return outcome.value


def _tell_supporters(campaign, outcome, kept):
    """One mail per donor with a gift kept by the campaign, saying how it ended (no commit)."""
    gifts = db.session.execute(
        db.select(GiftFact.donor_id, GiftFact.method, GiftFact.net)
        .where(GiftFact.designation == "campaign", GiftFact.campaign_id == campaign.id,
               GiftFact.net > 0)).all()
    by_donor = {}
    for donor_id, method, net in gifts:
        entry = by_donor.setdefault(donor_id, {"card": 0, "by_hand": 0})
        entry["card" if method == CARD else "by_hand"] += net
    url = reports.page_url(campaign)
    for donor in db.session.execute(db.select(Donor).where(Donor.id.in_(list(by_donor)))
                                    .order_by(Donor.id)).scalars():
        amounts = by_donor[donor.id]
        rendered = mail.render("campaign_result", donor.locale, donor=donor, campaign=campaign,
                               outcome=outcome.value, raised=kept, goal=campaign.goal_amount,
                               card=amounts["card"], by_hand=amounts["by_hand"], page_url=url)
        mail.queue_rendered(rendered, to=donor.email, kind="campaign_result", donor=donor)


def refund_card_gifts(campaign_id):
    """Refund what is left of each card gift to a failed campaign; returns how many were sent.

    Safe to run again: a gift already refunded (or with a refund in flight)
    has nothing left. Stripe unreachable stops the run; the next one goes on.
    """
    ids = db.session.execute(
        db.select(GiftFact.donation_id).where(
            GiftFact.designation == "campaign", GiftFact.campaign_id == campaign_id,
            GiftFact.method == CARD, GiftFact.net > 0).order_by(GiftFact.donation_id)
    ).scalars().all()
    db.session.rollback()
    sent = 0
    for donation_id in ids:
        donation = db.session.get(Donation, donation_id)
        left = donation.refundable_amount
        # Stripe refused it once: the office sees it on the dashboard and acts by hand.
        refused = any(r.state == RefundState.FAILED and r.reason == REFUND_REASON
                      for r in donation.refunds)
        if left <= 0 or donation.has_open_dispute or refused:
            db.session.rollback()
            continue
        try:
            refunds.request_refund(donation=donation, amount=left, reason=REFUND_REASON,
                                   actor=audit.SYSTEM)
            sent += 1
        except PaymentUnavailable:
            log.warning("campaign %s: Stripe unreachable, refunds resume on the next run",
                        campaign_id)
            db.session.rollback()
            break
        except FundError as err:
            db.session.rollback()
            log.error("campaign %s: refund of gift %s refused: %s", campaign_id, donation_id,
                      err.message)
    return sent


def returned_by_hand(campaign):
    """Konbini and bank-transfer gifts of a failed campaign: the office returns them by transfer."""
    if campaign.status != CampaignState.FAILED:
        return []
    return db.session.execute(
        db.select(GiftFact, Donor).join(Donor, Donor.id == GiftFact.donor_id)
        .where(GiftFact.designation == "campaign", GiftFact.campaign_id == campaign.id,
               GiftFact.method != CARD, GiftFact.net > 0)
        .order_by(GiftFact.at)).all()
