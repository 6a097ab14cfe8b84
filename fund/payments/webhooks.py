"""Stripe webhook events: stored once, acted on from a fresh read of Stripe.

Each event type maps to one handler, registered with `@handles(...)` by the
module that owns the effect (payment intents here, refunds and disputes in
their modules, monthly invoices in fund.giving.pledges). A handler gets the
stored event (a ReceivedEvent: row id, Stripe's id, type) and the event's object
(which it must not trust: it re-reads what it acts on from Stripe), applies its
effect and commits, returning the outcome it wants recorded.
"""
import logging
from dataclasses import dataclass


from fund.core import audit, clock
from fund.core.extensions import db
from fund.core.models import utcnow
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


@dataclass(frozen=True)
class ReceivedEvent:
    """What a handler knows of the stored event: its row id, Stripe's id and its type."""
    id: int
    stripe_event_id: str
    type: str


def handle_event(event_id, event_type, obj):
    """Record the event and apply its effect in one transaction.

    Returns the outcome: 'duplicate', 'processed', 'unknown_object' or 'ignored'.
    A repeat of an event already stored changes nothing: the row is claimed first
    with one INSERT … ON CONFLICT DO NOTHING, so a concurrent delivery of the same
    id waits for ours and then finds it taken, before any effect.
    """
    handler = HANDLERS.get(event_type)
    first = "processed" if handler else "ignored"
    row_id = db.session.execute(_CLAIM, {
        "stripe_event_id": event_id, "type": event_type, "object_id": obj.get("id"),
        "outcome": first, "received_at": utcnow()}).scalar()
    if row_id is None:
        db.session.rollback()
        return "duplicate"
    if handler is None:
        db.session.commit()
        return first
    outcome = handler(ReceivedEvent(row_id, event_id, event_type), obj)
    if outcome != first:
        # After a handler that rolled back, the row is gone and this changes nothing:
        # the event is not stored, as before (Stripe delivers it again).
        db.session.execute(_OUTCOME, {"outcome": outcome, "id": row_id})
    db.session.commit()
    return outcome


# Plain SQL, built once: this is every event's fixed cost, and SQLAlchemy's statement
# building and compiling cost more than the database's work (bench/load.py).
# ON CONFLICT DO NOTHING: PostgreSQL and SQLite alike.
_CLAIM = db.text(
    "INSERT INTO stripe_event (stripe_event_id, type, object_id, outcome, received_at) "
    "VALUES (:stripe_event_id, :type, :object_id, :outcome, :received_at) "
    "ON CONFLICT (stripe_event_id) DO NOTHING RETURNING id"
).bindparams(db.bindparam("received_at", type_=StripeEvent.__table__.c.received_at.type))
_OUTCOME = db.text("UPDATE stripe_event SET outcome = :outcome WHERE id = :id")


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
