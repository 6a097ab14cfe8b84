"""Reward tiers (リターン): what is left, and claiming one without ever overselling.

A gift claims its tier when it is recorded; the count is raised by one
conditional UPDATE, so two donors racing for the last one cannot both get it
(PostgreSQL re-checks the condition after the first commits). A claim is given
back when the gift's payment expires unpaid or the gift is refunded in full.
"""
from sqlalchemy import or_, update

from fund.campaigns.models import RewardTier
from fund.core import audit, signals
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen


def tiers_with_remaining(campaign):
    """The campaign's tiers in order, each with `.remaining` (None: unlimited)."""
    return db.session.execute(
        db.select(RewardTier).filter_by(campaign_id=campaign.id)
        .order_by(RewardTier.position, RewardTier.id)).scalars().all()


def claim(*, tier_id, campaign, amount, lang):
    """Take one of the tier for a gift of `amount` to `campaign` (no commit); returns the tier.

    Refused with a message when the tier is not the campaign's, the amount is
    below the tier's minimum, or none is left.
    """
    tier = db.session.get(RewardTier, tier_id)
    if tier is None or tier.campaign_id != campaign.id:
        raise NotFound(gettext_for(lang, "This reward does not exist."), code="reward_tier")
    if amount < tier.min_amount:
        raise ValidationFailed(
            gettext_for(lang, "This reward is for gifts of %(amount)s or more.",
                        amount=format_yen(tier.min_amount)),
            errors={"reward_tier": "below_minimum"})
    taken = db.session.execute(
        update(RewardTier)
        .where(RewardTier.id == tier.id,
               or_(RewardTier.quantity.is_(None), RewardTier.claimed < RewardTier.quantity))
        .values(claimed=RewardTier.claimed + 1)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict(gettext_for(lang, "This reward has run out; please choose another."),
                       code="sold_out", errors={"reward_tier": "sold_out"})
    db.session.refresh(tier)
    return tier


def release(donation, actor):
    """Give the gift's claimed tier back (no commit); nothing when it holds none."""
    if donation.reward_tier_id is None:
        return False
    tier_id = donation.reward_tier_id
    db.session.execute(
        update(RewardTier).where(RewardTier.id == tier_id, RewardTier.claimed > 0)
        .values(claimed=RewardTier.claimed - 1).execution_options(synchronize_session=False))
    donation.reward_tier_id = None
    audit.record(actor, "reward_tier.released", donation, reward_tier=tier_id)
    return True


@signals.payment_expired.connect
def _on_payment_expired(payment, actor):
    donation = payment.donation
    if not donation.is_paid:
        release(donation, actor)


@signals.net_amount_changed.connect
def _on_net_amount_changed(donation, actor):
    if donation.is_paid and donation.net_amount <= 0:
        release(donation, actor)
