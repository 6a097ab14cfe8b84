"""Payment states and their one transition table.

Stripe is the source of truth: every change of state comes from a
PaymentIntent freshly read from Stripe (the API response or a re-read after a
webhook), never from what a browser or an event body claims.
"""
import logging

from fund.core import audit, clock, mail, signals
from fund.core.errors import NotFound
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.models import PAYMENT_TRANSITIONS, Payment, PaymentState

log = logging.getLogger(__name__)

TRANSITIONS = PAYMENT_TRANSITIONS


def state_for_intent(intent):
    """Our state for a PaymentIntent's Stripe status."""
    status = intent.status
    if status == "succeeded":
        return PaymentState.SUCCEEDED
    if status in ("processing", "requires_capture"):
        return PaymentState.PROCESSING
    if status == "requires_action":
        return PaymentState.REQUIRES_ACTION
    if status == "canceled":
        return PaymentState.EXPIRED if intent.metadata.get("expired") == "true" else PaymentState.CANCELED
    if status == "requires_payment_method" and intent.error_code:
        return PaymentState.FAILED
    return PaymentState.CREATED


def can_transition(current, new):
    return new in TRANSITIONS[current]


def lock(payment_id):
    """Re-read a payment row under a row lock (a no-op lock on SQLite).

    populate_existing: what another transaction committed while we waited
    for the lock must replace what this session had loaded before.
    """
    return db.session.execute(
        db.select(Payment).where(Payment.id == payment_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def payment_for_stripe_object(*, intent_id=None, charge_id=None):
    """Our payment for a refund's or dispute's PaymentIntent or charge, or None.

    Falls back on Stripe: a charge we have not linked yet names its intent,
    and an intent whose id we never stored (our response was lost) carries
    our payment id in its metadata.
    """
    if intent_id:
        payment = db.session.execute(
            db.select(Payment).filter_by(stripe_payment_intent_id=intent_id)).scalar_one_or_none()
        if payment is not None:
            return payment
    if charge_id:
        payment = db.session.execute(
            db.select(Payment).filter_by(stripe_charge_id=charge_id)
            .order_by(Payment.id)).scalars().first()
        if payment is not None:
            return payment
        if not intent_id:
            try:
                intent_id = gateway.retrieve_charge_intent(charge_id)
            except NotFound:
                return None
            if intent_id:
                return payment_for_stripe_object(intent_id=intent_id)
    if intent_id:
        try:
            intent = gateway.retrieve_intent(intent_id)
        except NotFound:
            return None
        return payment_for_intent(intent)
    return None


def intent_metadata(payment):
    """What our intents carry so that a lost answer can be matched to its payment later.

    Row ids restart in every database that may share one Stripe account
    (staging, a restored backup, a test run); the donation's random public id
    does not, so a match needs both.
    """
    return {"donation_id": str(payment.donation.id), "payment_id": str(payment.id),
            "donation": payment.donation.public_id}


def claimed_by(payment, metadata):
    """True when an intent's metadata names this very payment."""
    metadata = metadata or {}
    return (payment is not None and str(metadata.get("payment_id") or "") == str(payment.id)
            and metadata.get("donation") == payment.donation.public_id)


_BY_INTENT = db.text("SELECT id FROM payment WHERE stripe_payment_intent_id = :intent_id")


def find_payment(intent_id, metadata, amount=None):
    """Our payment for an intent: by its id, else by the payment our metadata names.

    The metadata route is for an intent Stripe made while our answer was lost
    (a timeout): only a payment not yet linked to an intent qualifies, and
    only if the amount (when given) and the donation's public id match.
    """
    # The id first, in plain SQL: most webhook events name an intent that is not ours
    # (or not yet), and loading the row through the ORM cost more than the request's
    # INSERT (bench/load.py); one that is ours is then read by primary key.
    found = db.session.execute(_BY_INTENT, {"intent_id": intent_id}).scalar() if intent_id else None
    if found is not None:
        return db.session.get(Payment, found)
    payment_id = str((metadata or {}).get("payment_id") or "")
    if not payment_id.isdigit():
        return None
    candidate = db.session.get(Payment, int(payment_id))
    if (candidate is not None and candidate.stripe_payment_intent_id is None
            and (amount is None or candidate.amount == amount)
            and claimed_by(candidate, metadata)):
        return candidate
    return None


def payment_for_intent(intent):
    """Our payment for a freshly read intent, with the intent id linked (caller commits)."""
    payment = find_payment(intent.id, intent.metadata, intent.amount)
    if payment is not None and payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent.id
    return payment


def settle(payment, intent, actor):
    """Apply a fresh PaymentIntent to a payment, commit, and send the mail it caused.

    Used by the donor's request, the 3-D Secure return, webhooks and
    stripe-sync alike: the row lock and the state check make the success
    effects (signals.payment_succeeded: the receipt, the thank-you mail, the
    ledger) run only for the caller that makes the transition.
    """
    payment = lock(payment.id)
    apply_intent(payment, intent, actor)
    db.session.commit()
    mail.deliver_committed()
    return payment


def catch_up(payment, actor):
    """Re-read the payment's intent and settle it; commits.

    Used when a refund or dispute shows Stripe knows more than we do.
    """
    if not payment.stripe_payment_intent_id:
        return payment
    intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    return settle(payment, intent, actor)


def apply_intent(payment, intent, actor, *, succeeded_at=None):
    """Move `payment` to the state Stripe reports; return True if it changed.

    A repeated or stale report (e.g. `processing` after `succeeded`) is a
    no-op, which is what makes webhooks and the browser's return safe to race.
    Does not commit: the caller owns the transaction.
    """
    new = state_for_intent(intent)
    old = payment.state
    if new == old or not can_transition(old, new):
        return False
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    if intent.latest_charge:
        payment.stripe_charge_id = intent.latest_charge
    if new == PaymentState.SUCCEEDED:
        return mark_succeeded(payment, actor, at=succeeded_at, intent=intent.id)
    payment.state = new
    if new == PaymentState.FAILED:
        payment.failure_code = intent.error_code
        payment.failure_message = (intent.error_message or "")[:500]
    audit.record(actor, f"payment.{new}", payment, previous=old, intent=intent.id)
    return True


def mark_succeeded(payment, actor, *, at=None, **audit_data):
    """The money arrived: record it and tell every package (no commit).

    `at` is when Stripe collected it (the date received printed on the
    receipt), when known better than now, e.g. a paid invoice's paid_at.
    """
    if not can_transition(payment.state, PaymentState.SUCCEEDED):
        return False
    old = payment.state
    payment.state = PaymentState.SUCCEEDED
    payment.succeeded_at = at or clock.now()
    record_settlement(payment)
    audit.record(actor, "payment.succeeded", payment, previous=old, **audit_data)
    signals.payment_succeeded.send(payment, actor=actor)
    return True


def record_settlement(payment):
    """Store Stripe's fee, net and availability date for reconciliation (no commit)."""
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
        signals.payment_settled.send(payment)


def mark_failed(payment, *, code, message, actor):
    """Record a failure Stripe reported synchronously (e.g. a declined card)."""
    if not can_transition(payment.state, PaymentState.FAILED):
        return False
    old = payment.state
    payment.state = PaymentState.FAILED
    payment.failure_code = code
    payment.failure_message = (message or "")[:500]
    audit.record(actor, "payment.failed", payment, previous=old, code=code)
    return True


def cancel_abandoned(payment, *, actor):
    """An attempt that never got a PaymentIntent: closed so it stops looking pending."""
    if payment.state != PaymentState.CREATED or payment.stripe_payment_intent_id:
        return False
    payment.state = PaymentState.CANCELED
    payment.failure_code = "abandoned"
    payment.failure_message = "No PaymentIntent was ever made at Stripe for this attempt."
    audit.record(actor, "payment.canceled", payment, previous=PaymentState.CREATED, reason="abandoned")
    return True
