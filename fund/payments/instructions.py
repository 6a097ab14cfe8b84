"""Konbini (コンビニ払い) and bank transfer (銀行振込): what the donor must pay, and expiry.

Stripe answers a confirmed konbini or bank-transfer PaymentIntent with
`requires_action` and a payment code (konbini) or a virtual bank account (bank
transfer). We keep those instructions as Stripe gave them, so the payment page
and the mail show the same code even if Stripe is unreachable, and so expiry
can be decided without another call. Instructions that run out expire
cleanly: the payment becomes `expired` (signals.payment_expired), nothing is
receipted, and campaign totals never saw it.
"""
import logging
from datetime import timedelta

from flask import current_app

from fund.core import audit, clock, jobs, mail, signals
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.payments import services as payments
from fund.payments.models import ASYNC_METHODS, Payment, PaymentInstructions, PaymentState
from fund.payments.stripe import api as gateway
from fund.payments.stripe import methods as stripe_methods

log = logging.getLogger(__name__)

KONBINI = "konbini"
# Stripe's code on a konbini intent whose voucher ran out.
ATTEMPT_EXPIRED = "payment_intent_payment_attempt_expired"


def save_from_intent(payment, intent):
    """Keep the instructions of a `requires_action` intent (no commit)."""
    action = intent.next_action or {}
    if payment.method == KONBINI:
        shown = action.get("konbini_display_details") or {}
        stores = {name: {"payment_code": store.get("payment_code"),
                         "confirmation_number": store.get("confirmation_number")}
                  for name, store in (shown.get("stores") or {}).items() if store}
        expires_at = stripe_methods.timestamp(shown.get("expires_at")) or (
            clock.now() + timedelta(days=current_app.config["KONBINI_EXPIRES_AFTER_DAYS"]))
        details, hosted = {"stores": stores}, shown.get("hosted_voucher_url")
    else:
        shown = action.get("display_bank_transfer_instructions") or {}
        zengin = next((a.get("zengin") for a in shown.get("financial_addresses") or []
                       if a.get("type") == "zengin" and a.get("zengin")), {}) or {}
        # Stripe's virtual accounts do not expire; we give the donor a deadline.
        expires_at = clock.now() + timedelta(
            days=current_app.config["BANK_TRANSFER_EXPIRES_AFTER_DAYS"])
        details = {"bank": {key: zengin.get(key) for key in (
                       "bank_name", "bank_code", "branch_name", "branch_code", "account_type",
                       "account_number", "account_holder_name")},
                   "amount_remaining": shown.get("amount_remaining", payment.amount),
                   "reference": shown.get("reference")}
        hosted = shown.get("hosted_instructions_url")
    instructions = PaymentInstructions(payment=payment, method=payment.method,
                                       expires_at=expires_at, hosted_url=hosted, details=details)
    db.session.add(instructions)
    db.session.flush()
    return instructions


def instructions_for(payment):
    return db.session.execute(
        db.select(PaymentInstructions).filter_by(payment_id=payment.id)).scalar_one_or_none()


def is_pending(payment):
    """Instructions issued, money not yet arrived."""
    return payment.method in ASYNC_METHODS and payment.state == PaymentState.REQUIRES_ACTION


def has_expired(payment, intent, now):
    """A konbini/bank-transfer intent that failed or was canceled after its deadline."""
    if payment.method not in ASYNC_METHODS:
        return False
    if intent.status not in ("requires_payment_method", "canceled", "requires_action"):
        return False
    if intent.error_code == ATTEMPT_EXPIRED or intent.metadata.get("expired") == "true":
        return True
    instructions = instructions_for(payment)
    return instructions is not None and now >= instructions.expires_at


def expire(payment, intent, actor):
    """Mark an unpaid konbini/bank-transfer payment expired, once; no receipt. Commits."""
    payment = payments.lock(payment.id)
    if not payments.can_transition(payment.state, PaymentState.EXPIRED):
        db.session.commit()
        return False
    previous = payment.state
    payment.state = PaymentState.EXPIRED
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    audit.record(actor, "payment.expired", payment, previous=previous, intent=intent.id)
    signals.payment_expired.send(payment, actor=actor)
    db.session.commit()
    mail.deliver_committed()
    return True


@jobs.task("fund.expire_payments", every=timedelta(hours=1))
def expire_overdue_task():
    expired, settled, errors = expire_overdue()
    return {"expired": expired, "settled": settled, "errors": errors}


def expire_overdue(now=None, grace=timedelta(hours=1)):
    """Close konbini and bank-transfer payments whose deadline passed (cron / CLI).

    Each is re-read first: one paid at the last minute is settled, not
    expired. The rest are canceled at Stripe, so no late transfer lands on
    them, then marked expired. Returns (expired, settled, errors).
    """
    now = now or clock.now()
    rows = db.session.execute(
        db.select(Payment).join(PaymentInstructions, PaymentInstructions.payment_id == Payment.id)
        .where(Payment.state == PaymentState.REQUIRES_ACTION, PaymentInstructions.expires_at <= now - grace)
        .order_by(Payment.id)).scalars().all()
    expired = settled = errors = 0
    for payment in rows:
        try:
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
            if intent.status not in ("succeeded", "processing", "canceled"):
                intent = stripe_methods.cancel_intent(
                    intent.id, idempotency_key=f"fund-payment-{payment.id}-expire")
            if intent.status in ("succeeded", "processing"):
                payments.settle(payment, intent, audit.SYSTEM)
                settled += 1
            elif expire(payment, intent, audit.SYSTEM):
                expired += 1
        except FundError as err:
            db.session.rollback()
            log.warning("could not expire payment %s: %s", payment.id, err.message)
            errors += 1
    return expired, settled, errors
