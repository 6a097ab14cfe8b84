"""Stripe webhook events: stored once, acted on from a fresh read of Stripe.

Each event type maps to one handler in HANDLERS. A handler gets the stored
StripeEvent row and the event's object (which it must not trust: it re-reads
what it acts on from Stripe), applies its effect in the current transaction
and commits, returning the outcome it wants recorded.
"""
import logging

from sqlalchemy.exc import IntegrityError

from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.models import StripeEvent
from fund.core import audit
from fund.giving import gifts as donations
from fund.payments import services as payments
from fund.giving import async_methods as async_payments
from fund.giving import pledges  # giving: konbini, bank transfer, monthly
from fund.payments import disputes
from fund.payments import refunds

log = logging.getLogger(__name__)


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


def _payment_intent_event(event, obj):
    payment = payments.find_payment(obj.get("id"), obj.get("metadata"))
    if payment is None:
        return "unknown_object"
    intent = gateway.retrieve_intent(obj["id"])
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    donations.settle(payment, intent, audit.stripe_event(event.stripe_event_id))  # commits
    return "processed"


HANDLERS = {
    # Monthly giving (fund.services.pledges): each re-reads the invoice/subscription.
    "invoice.paid": pledges.on_invoice_paid,
    "invoice.payment_failed": pledges.on_invoice_payment_failed,
    "customer.subscription.updated": pledges.on_subscription_event,
    "customer.subscription.deleted": pledges.on_subscription_event,
    "payment_intent.succeeded": _payment_intent_event,
    "payment_intent.payment_failed": _payment_intent_event,
    "payment_intent.processing": _payment_intent_event,
    "payment_intent.requires_action": _payment_intent_event,
    "payment_intent.canceled": _payment_intent_event,
    "charge.refunded": refunds.on_charge_refunded,
    "charge.refund.updated": refunds.on_refund_event,
    "refund.created": refunds.on_refund_event,
    "refund.updated": refunds.on_refund_event,
    "refund.failed": refunds.on_refund_event,
    "charge.dispute.created": disputes.on_dispute_event,
    "charge.dispute.updated": disputes.on_dispute_event,
    "charge.dispute.closed": disputes.on_dispute_event,
    "charge.dispute.funds_withdrawn": disputes.on_dispute_event,
    "charge.dispute.funds_reinstated": disputes.on_dispute_event,
}

# Konbini and bank transfer: failing or being canceled once the instructions ran
# out is an expiry, not a failure (fund.services.async_payments); cards unchanged.
for _type in ("payment_intent.payment_failed", "payment_intent.canceled"):
    HANDLERS[_type] = async_payments.wrap_intent_handler(HANDLERS[_type])
