"""Konbini (コンビニ払い) and bank transfer (銀行振込): gifts paid later, off-line.

The PaymentIntent is created and confirmed on the server; Stripe answers
`requires_action` with a payment code (konbini) or a virtual bank account
(bank transfer). We keep those instructions, show and mail them, and leave
the payment pending until Stripe reports `payment_intent.succeeded`, which the
ordinary settle() turns into a receipt and a thank-you mail. Instructions that
run out expire cleanly: the payment becomes `expired`, nothing is receipted,
and campaign totals (succeeded payments only) never saw it.
"""
import logging
from datetime import timedelta

from flask import current_app, render_template

from fund.core.errors import FundError, PaymentUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.stripe import methods as stripe_giving
from fund.core.i18n import translate
from fund.core.money import format_yen
from fund.giving.models import Donation
from fund.payments.models import Payment, PaymentInstructions
from fund.payments.models import EXPIRED, REQUIRES_ACTION
from fund.payments.models import ASYNC_METHODS
from fund.core import audit
from fund.core import clock
from fund.giving import gifts as donations
from fund.core import mail
from fund.payments import services as payments

log = logging.getLogger(__name__)

KONBINI = "konbini"
BANK_TRANSFER = "bank_transfer"
# Stripe's limits for konbini payments in yen.
KONBINI_MIN = 120
KONBINI_MAX = 300_000
# Stripe's code on a konbini intent whose voucher ran out.
ATTEMPT_EXPIRED = "payment_intent_payment_attempt_expired"


def available_methods():
    """Payment methods the form may offer: localstripe knows cards only."""
    return ("card",) if gateway.is_offline() else ("card", KONBINI, BANK_TRANSFER)


def _days(name, default):
    return int(current_app.config.get(name) or default)


def check_amount(method, amount, lang=None):
    """Refuse an amount the method cannot carry, with a message for the form."""
    if method == KONBINI and not KONBINI_MIN <= amount <= KONBINI_MAX:
        raise ValidationFailed(
            translate("error.konbini_amount", lang, min=f"{KONBINI_MIN:,}", max=f"{KONBINI_MAX:,}"),
            errors={"amount": "konbini"})


def start_async_donation(*, data, method, lang):
    """Record the gift and ask Stripe for konbini or bank-transfer instructions.

    Returns the payment, normally `requires_action` with its instructions
    saved and mailed. Stripe being unreachable raises PaymentUnavailable with
    the attempt left `created` on file; a refusal marks it failed.
    """
    if method not in ASYNC_METHODS or method not in available_methods():
        raise ValidationFailed(translate("error.method_unavailable", lang),
                               errors={"payment_method": "unavailable"})
    check_amount(method, data["amount"], lang)
    destination = donations.resolve_destination(data["destination"])
    donor = donations._find_or_create_donor(data, lang)
    donation = Donation(
        donor=donor, amount=data["amount"], currency="JPY",
        designation=destination.designation, campaign=destination.campaign,
        project=destination.project, wants_receipt=data["wants_receipt"],
        publish_name=data["publish_name"], message=data["message"], locale=lang)
    payment = Payment(donation=donation, amount=data["amount"], currency="JPY", method=method)
    db.session.add_all([donation, payment])
    db.session.flush()
    actor = audit.donor(donor.id)
    audit.record(actor, "donation.created", donation, amount=donation.amount,
                 destination=destination.key, method=method)
    db.session.commit()

    metadata = payments.intent_metadata(payment)
    try:
        if method == KONBINI:
            intent = stripe_giving.create_konbini_intent(
                idempotency_key=f"fund-payment-{payment.id}-intent", amount=payment.amount,
                name=donor.receipt_name, email=donor.email, metadata=metadata,
                expires_after_days=_days("KONBINI_EXPIRES_AFTER_DAYS", 3))
        else:
            customer = donor.stripe_customer_id or stripe_giving.create_contact_customer(
                idempotency_key=f"fund-payment-{payment.id}-customer", email=donor.email,
                name=donor.receipt_name, metadata={"donor_id": str(donor.id)})
            donor.stripe_customer_id = customer
            payment.stripe_customer_id = customer
            intent = stripe_giving.create_bank_transfer_intent(
                idempotency_key=f"fund-payment-{payment.id}-intent", amount=payment.amount,
                customer=customer, metadata=metadata)
    except PaymentUnavailable:
        payment.failure_message = "Stripe unavailable during checkout"
        db.session.commit()
        raise
    except FundError as err:
        payments.mark_failed(payment, code=err.code, message=err.message, actor=actor)
        db.session.commit()
        raise
    payment.stripe_payment_intent_id = intent.id
    payment = donations.settle(payment, intent, actor)  # commits: requires_action
    if payment.state == REQUIRES_ACTION:
        instructions = _save_instructions(payment, intent)
        message = _instructions_mail(payment, instructions)
        db.session.commit()
        mail.deliver([message.id])
    return payment


def _save_instructions(payment, intent):
    action = intent.next_action or {}
    if payment.method == KONBINI:
        shown = action.get("konbini_display_details") or {}
        stores = {name: {"payment_code": store.get("payment_code"),
                         "confirmation_number": store.get("confirmation_number")}
                  for name, store in (shown.get("stores") or {}).items() if store}
        expires_at = stripe_giving._ts(shown.get("expires_at")) or (
            clock.now() + timedelta(days=_days("KONBINI_EXPIRES_AFTER_DAYS", 3)))
        details, hosted = {"stores": stores}, shown.get("hosted_voucher_url")
    else:
        shown = action.get("display_bank_transfer_instructions") or {}
        zengin = next((a.get("zengin") for a in shown.get("financial_addresses") or []
                       if a.get("type") == "zengin" and a.get("zengin")), {}) or {}
        # Stripe's virtual accounts do not expire; we give the donor a deadline.
        expires_at = clock.now() + timedelta(days=_days("BANK_TRANSFER_EXPIRES_AFTER_DAYS", 14))
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


def pay_url(donation):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/donations/{donation.public_id}/pay"


def expires_text(instructions, lang):
    moment = instructions.expires_at.astimezone(clock.JST)
    if lang == "ja":
        return moment.strftime("%Y年%m月%d日 %H:%M")
    return moment.strftime("%d %b %Y, %H:%M JST")


def _instructions_mail(payment, instructions):
    donation = payment.donation
    lang = donation.locale
    subject = translate(f"mail.instructions.{payment.method}.subject", lang)
    body = render_template(
        f"email/instructions.{lang}.txt", donation=donation, donor=donation.donor,
        payment=payment, instructions=instructions, amount=format_yen(payment.amount),
        expires=expires_text(instructions, lang), pay_url=pay_url(donation),
        purpose=donation.purpose(lang), store_names=STORE_NAMES)
    return mail.queue(to=donation.donor.email, subject=subject, body=body,
                      kind=f"instructions_{payment.method}", donation=donation)


STORE_NAMES = {"familymart": "ファミリーマート / FamilyMart", "lawson": "ローソン / Lawson",
               "ministop": "ミニストップ / Ministop", "seicomart": "セイコーマート / Seicomart"}


# --- expiry --------------------------------------------------------------------

def _has_expired(payment, intent, now):
    if intent.status not in ("requires_payment_method", "canceled", "requires_action"):
        return False
    if intent.error_code == ATTEMPT_EXPIRED or intent.metadata.get("expired") == "true":
        return True
    instructions = instructions_for(payment)
    return instructions is not None and now >= instructions.expires_at


def expire(payment, intent, actor):
    """Mark an unpaid konbini/bank-transfer payment expired, once; no receipt."""
    payment = payments.lock(payment.id)
    if not payments.can_transition(payment.state, EXPIRED):
        db.session.commit()
        return False
    previous = payment.state
    payment.state = EXPIRED
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
    audit.record(actor, "payment.expired", payment, previous=previous, intent=intent.id)
    donation = payment.donation
    lang = donation.locale
    body = render_template(f"email/instructions_expired.{lang}.txt", donation=donation,
                           donor=donation.donor, amount=format_yen(payment.amount),
                           method=payment.method)
    message = mail.queue(to=donation.donor.email, body=body, kind="instructions_expired",
                         subject=translate("mail.instructions_expired.subject", lang),
                         donation=donation)
    db.session.commit()
    mail.deliver([message.id])
    return True


def wrap_intent_handler(fallback):
    """A webhook handler for payment_failed/canceled that knows about expiry.

    Card payments go to `fallback` unchanged. For konbini and bank transfer,
    a failure or cancellation once the instructions have run out (Stripe's
    payment_intent_payment_attempt_expired, or our own deadline) is `expired`,
    not `failed`.
    """
    def handler(event, obj):
        payment = payments.find_payment(obj.get("id"), obj.get("metadata"))
        if payment is None or payment.method not in ASYNC_METHODS:
            return fallback(event, obj)
        intent = gateway.retrieve_intent(obj["id"])
        actor = audit.stripe_event(event.stripe_event_id)
        if _has_expired(payment, intent, clock.now()):
            expire(payment, intent, actor)
        else:
            payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent.id
            donations.settle(payment, intent, actor)
        return "processed"
    return handler


def expire_overdue(now=None, grace=timedelta(hours=1)):
    """Close konbini and bank-transfer payments whose deadline passed (cron / CLI).

    Each is re-read first: one paid at the last minute is settled, not
    expired. The rest are canceled at Stripe, so no late transfer lands on
    them, then marked expired. Returns (expired, settled, errors).
    """
    now = now or clock.now()
    rows = db.session.execute(
        db.select(Payment).join(PaymentInstructions, PaymentInstructions.payment_id == Payment.id)
        .where(Payment.state == REQUIRES_ACTION, PaymentInstructions.expires_at <= now - grace)
        .order_by(Payment.id)).scalars().all()
    expired = settled = errors = 0
    for payment in rows:
        try:
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
            if intent.status not in ("succeeded", "processing", "canceled"):
                intent = stripe_giving.cancel_intent(
                    intent.id, idempotency_key=f"fund-payment-{payment.id}-expire")
            if intent.status in ("succeeded", "processing"):
                donations.settle(payment, intent, audit.SYSTEM)
                settled += 1
            elif expire(payment, intent, audit.SYSTEM):
                expired += 1
        except FundError as err:
            db.session.rollback()
            log.warning("could not expire payment %s: %s", payment.id, err.message)
            errors += 1
    return expired, settled, errors


def is_pending(payment):
    """Instructions issued, money not yet arrived."""
    return payment.method in ASYNC_METHODS and payment.state == REQUIRES_ACTION
