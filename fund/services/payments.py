"""Payment states and their one transition table.

Stripe is the source of truth: every change of state comes from a
PaymentIntent freshly read from Stripe (the API response or a re-read after a
webhook), never from what a browser or an event body claims.
"""
import logging

from fund.extensions import db
from fund.gateways import stripe as gateway
from fund.models import Payment
from fund.models.donation import (CANCELED, CREATED, EXPIRED, FAILED, PROCESSING,
                                  REQUIRES_ACTION, SUCCEEDED)
from fund.services import audit, clock

log = logging.getLogger(__name__)

TRANSITIONS = {
    CREATED: {REQUIRES_ACTION, PROCESSING, SUCCEEDED, FAILED, CANCELED, EXPIRED},
    REQUIRES_ACTION: {PROCESSING, SUCCEEDED, FAILED, CANCELED, EXPIRED},
    PROCESSING: {SUCCEEDED, FAILED, CANCELED, EXPIRED},
    SUCCEEDED: set(),
    FAILED: set(),
    CANCELED: set(),
    EXPIRED: set(),
}


def state_for_intent(intent):
    """Our state for a PaymentIntent's Stripe status."""
    status = intent.status
    if status == "succeeded":
        return SUCCEEDED
    if status in ("processing", "requires_capture"):
        return PROCESSING
    if status == "requires_action":
        return REQUIRES_ACTION
    if status == "canceled":
        return EXPIRED if intent.metadata.get("expired") == "true" else CANCELED
    if status == "requires_payment_method" and intent.error_code:
        return FAILED
    return CREATED


def can_transition(current, new):
    return new in TRANSITIONS[current]


def lock(payment_id):
    """Re-read a payment row under a row lock (a no-op lock on SQLite)."""
    return db.session.execute(
        db.select(Payment).where(Payment.id == payment_id).with_for_update()
    ).scalar_one()


def apply_intent(payment, intent, actor):
    """Move `payment` to the state Stripe reports; return True if it changed.

    A repeated or stale report (e.g. `processing` after `succeeded`) is a
    no-op, which is what makes webhooks and the browser's return safe to race.
    Does not commit: the caller owns the transaction.
    """
    new = state_for_intent(intent)
    old = payment.state
    if new == old or not can_transition(old, new):
        return False
    payment.state = new
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    if intent.latest_charge:
        payment.stripe_charge_id = intent.latest_charge
    if new == FAILED:
        payment.failure_code = intent.error_code
        payment.failure_message = (intent.error_message or "")[:500]
    if new == SUCCEEDED:
        payment.succeeded_at = clock.now()
        _record_settlement(payment)
    audit.record(actor, f"payment.{new}", payment, previous=old, intent=intent.id)
    return True


def _record_settlement(payment):
    """Store Stripe's fee, net and availability date for reconciliation."""
    if not payment.stripe_charge_id:
        return
    try:
        settlement = gateway.retrieve_settlement(payment.stripe_charge_id)
    except Exception:  # settlement figures are repaired by stripe-sync later
        log.warning("could not read settlement for %s", payment.stripe_charge_id, exc_info=True)
        return
    if settlement:
        payment.fee = settlement.fee
        payment.net = settlement.net
        payment.available_on = settlement.available_on


def mark_failed(payment, *, code, message, actor):
    """Record a failure Stripe reported synchronously (e.g. a declined card)."""
    if not can_transition(payment.state, FAILED):
        return False
    old = payment.state
    payment.state = FAILED
    payment.failure_code = code
    payment.failure_message = (message or "")[:500]
    audit.record(actor, "payment.failed", payment, previous=old, code=code)
    return True
