"""Stripe webhook events: stored once, acted on from a fresh read of Stripe.

Each event type maps to one handler, registered with `@handles(...)` by the
module that owns the effect (payment intents here, refunds and disputes in
their modules, monthly invoices in fund.giving.pledges). A handler gets the
stored StripeEvent row and the event's object (which it must not trust: it
re-reads what it acts on from Stripe), applies its effect and commits,
returning the outcome it wants recorded.
"""
import logging

from sqlalchemy.exc import IntegrityError

from fund.core import audit, clock
from fund.core.extensions import db
from fund.payments import instructions
from fund.payments import services as payments
from fund.payments.models import StripeEvent
from fund.payments.stripe import api as gateway

log = logging.getLogger(__name__)

HANDLERS = {}


def handles(*event_types):
    """Register the decorated function as the handler of these event types (one each)."""
    def register(handler):
        for event_type in event_types:
            if HANDLERS.get(event_type, handler) is not handler:
                raise RuntimeError(f"two handlers for {event_type}")
            HANDLERS[event_type] = handler
        return handler
    return register


def handle_event(event_id, event_type, obj):
    """Record the event and apply its effect in one transaction.

    Returns the outcome: 'duplicate', 'processed', 'unknown_object' or 'ignored'.
    A repeat of an event already stored changes nothing.
    """
    event = StripeEvent(stripe_event_id=event_id, type=event_type, object_id=obj.get("id"))
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"

    handler = HANDLERS.get(event_type)
    if handler is None:
        event.outcome = "ignored"
        db.session.commit()
        return event.outcome
    outcome = handler(event, obj)
    if db.session.is_active and event in db.session:
        event.outcome = outcome
    db.session.commit()
    return outcome


# Konbini and bank transfer: failing or being canceled once the instructions ran
# out is an expiry, not a failure; cards (and everything else) are settled.
EXPIRY_EVENTS = ("payment_intent.payment_failed", "payment_intent.canceled")


@handles("payment_intent.succeeded", "payment_intent.processing",
         "payment_intent.requires_action", *EXPIRY_EVENTS)
def on_payment_intent(event, obj):
    payment = payments.find_payment(obj.get("id"), obj.get("metadata"))
    if payment is None:
        return "unknown_object"
    intent = gateway.retrieve_intent(obj["id"])
    actor = audit.stripe_event(event.stripe_event_id)
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    if event.type in EXPIRY_EVENTS and instructions.has_expired(payment, intent, clock.now()):
        instructions.expire(payment, intent, actor)
    else:
        payments.settle(payment, intent, actor)  # commits
    return "processed"
