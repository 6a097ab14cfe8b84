"""Disputes (chargebacks) the card issuer opens on a payment.

While a dispute is open the donation shows as disputed. Won: the gift stands
as it was. Lost: the issuer took the money back, so the net amount drops and
the receipt follows it like a refund. Every state comes from a dispute freshly
read from Stripe, which makes events safe to repeat and to arrive in any order.
"""
import logging

from fund.core.errors import NotFound
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.models import (DISPUTE_OPEN_STATES, DISPUTE_TRANSITIONS, Dispute, DisputeState,
                                  PaymentState)
from fund.core import audit, mail, signals
from fund.payments import services as payments
from fund.payments.webhooks import handles

log = logging.getLogger(__name__)

TRANSITIONS = DISPUTE_TRANSITIONS

# Stripe's statuses; an inquiry (warning_*) that closes took no money.
STRIPE_STATES = {
    "warning_needs_response": DisputeState.NEEDS_RESPONSE, "needs_response": DisputeState.NEEDS_RESPONSE,
    "warning_under_review": DisputeState.UNDER_REVIEW, "under_review": DisputeState.UNDER_REVIEW,
    "warning_closed": DisputeState.WON, "won": DisputeState.WON, "prevented": DisputeState.WON, "lost": DisputeState.LOST,
}


def _is_chargeback(status):
    """Stripe withdrew the money: any status but an inquiry's (warning_*)."""
    return bool(status) and not status.startswith("warning_")


def can_transition(current, new):
    return new in TRANSITIONS[current]


def record(info, actor):
    """Apply a dispute freshly read from Stripe; commits. Returns the outcome."""
    payment = payments.payment_for_stripe_object(intent_id=info.payment_intent,
                                                 charge_id=info.charge)
    if payment is None:
        return "unknown_object"
    payment = payments.lock(payment.id)
    if payment.state != PaymentState.SUCCEEDED:
        # A charge can only be disputed once it was paid: catch up first.
        payment = payments.catch_up(payment, actor)
        if payment.state != PaymentState.SUCCEEDED:
            log.warning("dispute %s for unpaid payment %s left for stripe-sync", info.id, payment.id)
            return "deferred"
        payment = payments.lock(payment.id)
    db.session.expire(payment, ["refunds", "disputes"])
    new = STRIPE_STATES.get(info.status)
    if new is None:
        log.warning("dispute %s has a status we do not know: %s", info.id, info.status)
    dispute = db.session.execute(
        db.select(Dispute).filter_by(stripe_dispute_id=info.id)).scalar_one_or_none()
    outcome = "unchanged"
    if dispute is None:
        dispute = Dispute(payment=payment, stripe_dispute_id=info.id, amount=info.amount,
                          currency=info.currency, reason=(info.reason or "")[:100],
                          state=DisputeState.NEEDS_RESPONSE, stripe_status=info.status,
                          evidence_due_by=info.evidence_due_by)
        db.session.add(dispute)
        db.session.flush()
        audit.record(actor, "dispute.opened", dispute, stripe_dispute=info.id,
                     amount=info.amount, reason=info.reason, donation=payment.donation_id)
        outcome = "recorded"
    was_chargeback = outcome != "recorded" and _is_chargeback(dispute.stripe_status)
    dispute.stripe_status = info.status
    dispute.evidence_due_by = info.evidence_due_by or dispute.evidence_due_by
    if not was_chargeback and _is_chargeback(info.status):
        db.session.flush()
        signals.dispute_opened.send(dispute, actor=actor)
    old = dispute.state
    if new is not None and new != old and can_transition(old, new):
        dispute.state = new
        audit.record(actor, f"dispute.{new}", dispute, previous=old, stripe_status=info.status)
        outcome = "recorded" if outcome == "recorded" else "updated"
        db.session.flush()
        if new == DisputeState.LOST:
            signals.dispute_lost.send(dispute, actor=actor)
            db.session.expire(payment.donation)
            signals.net_amount_changed.send(payment.donation, actor=actor)
        elif new == DisputeState.WON:
            signals.dispute_won.send(dispute, actor=actor)
    db.session.commit()
    mail.deliver_committed()  # the reissued receipt's link, if the amount changed
    return outcome


def open_and_recent(limit=200):
    """Disputes for the office: open ones first, then the most recent."""
    order = db.case((Dispute.state.in_(DISPUTE_OPEN_STATES), 0), else_=1)
    return db.session.execute(
        db.select(Dispute).order_by(order, Dispute.id.desc()).limit(limit)).scalars().all()


def unfinished():
    return db.session.execute(
        db.select(Dispute).where(Dispute.state.in_(DISPUTE_OPEN_STATES))
        .order_by(Dispute.id)).scalars().all()


@handles("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
         "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")
def on_dispute_event(event, obj):
    """charge.dispute.created / updated / closed / funds_withdrawn / funds_reinstated."""
    try:
        info = gateway.retrieve_dispute(obj["id"])
    except NotFound:
        return "unknown_object"
    outcome = record(info, audit.stripe_event(event.stripe_event_id))
    return "processed" if outcome in ("recorded", "updated", "unchanged") else outcome
