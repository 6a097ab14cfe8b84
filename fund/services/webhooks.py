"""Stripe webhook events: stored once, acted on from a fresh read of Stripe."""
import logging

from sqlalchemy.exc import IntegrityError

from fund.extensions import db
from fund.gateways import stripe as gateway
from fund.models import Payment, StripeEvent
from fund.services import audit, donations

log = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = {
    "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing",
    "payment_intent.requires_action", "payment_intent.canceled",
}


def handle_event(event_id, event_type, obj):
    """Record the event and apply its effect in one transaction.

    Returns the outcome: 'duplicate', 'processed', 'unknown_object' or 'ignored'.
    A repeat of an event already stored changes nothing.
    """
    object_id = obj.get("id")
    event = StripeEvent(stripe_event_id=event_id, type=event_type, object_id=object_id)
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"

    if event_type in PAYMENT_INTENT_EVENTS:
        payment = _payment_for_intent(obj)
        if payment is None:
            event.outcome = "unknown_object"
            db.session.commit()
            return event.outcome
        intent = gateway.retrieve_intent(object_id)
        payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
        donations.settle(payment, intent, audit.stripe_event(event_id))  # commits
        return "processed"

    event.outcome = "ignored"
    db.session.commit()
    return event.outcome


def _payment_for_intent(obj):
    payment = db.session.execute(
        db.select(Payment).filter_by(stripe_payment_intent_id=obj.get("id"))
    ).scalar_one_or_none()
    if payment is not None:
        return payment
    # The intent may have been created while our response was lost (a timeout):
    # our own id travels in its metadata.
    payment_id = (obj.get("metadata") or {}).get("payment_id")
    if payment_id and str(payment_id).isdigit():
        candidate = db.session.get(Payment, int(payment_id))
        if candidate is not None and candidate.stripe_payment_intent_id in (None, obj.get("id")):
            return candidate
    return None
