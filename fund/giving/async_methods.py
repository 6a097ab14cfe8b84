"""Konbini (コンビニ払い) and bank transfer (銀行振込): gifts paid later, off-line.

The PaymentIntent is created and confirmed on the server; Stripe answers
`requires_action` with a payment code (konbini) or a virtual bank account
(bank transfer). fund.payments.instructions keeps those instructions and
expires them; this module records the gift, asks Stripe, and mails the donor
how to pay. The payment stays pending until Stripe reports
`payment_intent.succeeded`, which settles it like any other gift.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from fund.core import audit, clock, mail
from fund.core.errors import FundError, PaymentUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.donors import services as donors
from fund.giving import card, donor_mail, gifts
from fund.payments import instructions as payment_instructions
from fund.payments import services as payments
from fund.payments.models import ASYNC_METHODS, PaymentState
from fund.payments.stripe import api as gateway
from fund.payments.stripe import methods as stripe_methods

KONBINI = payment_instructions.KONBINI
BANK_TRANSFER = "bank_transfer"
# Stripe's limits for konbini payments in yen.
KONBINI_MIN = 120
KONBINI_MAX = 300_000


def available_methods():
    """Payment methods the form may offer: localstripe knows cards only."""
    return ("card",) if gateway.is_offline() else ("card", KONBINI, BANK_TRANSFER)


def check_amount(method, amount, lang):
    """Refuse an amount the method cannot carry, with a message for the form."""
    if method == KONBINI and not KONBINI_MIN <= amount <= KONBINI_MAX:
        raise ValidationFailed(
            gettext_for(lang, "Konbini payments must be between ¥%(min)s and ¥%(max)s.", min=f"{KONBINI_MIN:,}", max=f"{KONBINI_MAX:,}"),
            errors={"amount": "konbini"})


def start_async_donation(*, data, method, lang):
    """Record the gift and ask Stripe for konbini or bank-transfer instructions.

    Returns the payment, normally `requires_action` with its instructions
    saved and mailed. Stripe being unreachable raises PaymentUnavailable with
    the attempt left `created` on file; a refusal marks it failed.
    """
    if method not in ASYNC_METHODS or method not in available_methods():
        raise ValidationFailed(gettext_for(lang, "This payment method is not available here."),
                               errors={"payment_method": "unavailable"})
    check_amount(method, data["amount"], lang)
    destination = gifts.resolve_destination(data["destination"], lang)
    donor = donors.find_or_create(data, lang)
    db.session.flush()
    actor = audit.donor(donor.id)
    payment = gifts.create_gift(
        donor=donor, amount=data["amount"], method=method, locale=lang, actor=actor,
        campaign=destination.campaign, project=destination.project,
        wants_receipt=data["wants_receipt"], publish_name=data["publish_name"],
        message=data["message"],
        audit_data={"destination": destination.key, "method": method})
    # The リターン is held from now; it is given back if the payment never arrives.
    card.claim_reward(payment.donation, data, destination, lang)
    db.session.commit()

    metadata = payments.intent_metadata(payment)
    try:
        if method == KONBINI:
            intent = stripe_methods.create_konbini_intent(
                idempotency_key=f"fund-payment-{payment.id}-intent", amount=payment.amount,
                name=donor.receipt_name, email=donor.email, metadata=metadata,
                expires_after_days=current_app.config["KONBINI_EXPIRES_AFTER_DAYS"])
        else:
            customer = donor.stripe_customer_id or stripe_methods.create_contact_customer(
                idempotency_key=f"fund-payment-{payment.id}-customer", email=donor.email,
                name=donor.receipt_name, metadata={"donor_id": str(donor.id)})
            donor.stripe_customer_id = customer
            payment.stripe_customer_id = customer
            intent = stripe_methods.create_bank_transfer_intent(
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
    payment = payments.settle(payment, intent, actor)  # commits: requires_action
    if payment.state == PaymentState.REQUIRES_ACTION:
        saved = payment_instructions.save_from_intent(payment, intent)
        _instructions_mail(payment, saved)
        db.session.commit()
        mail.deliver_committed()
    return payment


def pay_url(donation):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/donations/{donation.public_id}/pay"


def expires_text(instructions, lang):
    moment = instructions.expires_at.astimezone(clock.JST)
    if lang == "ja":
        return moment.strftime("%Y年%m月%d日 %H:%M")
    return moment.strftime("%d %b %Y, %H:%M JST")


INSTRUCTION_SUBJECTS = {
    KONBINI: _l("QST Future Fund: how to pay at a convenience store"),
    BANK_TRANSFER: _l("QST Future Fund: bank transfer details"),
}


def _instructions_mail(payment, instructions):
    donation = payment.donation
    lang = donation.locale
    with force_locale(lang):
        subject = str(INSTRUCTION_SUBJECTS[payment.method])
    return donor_mail.queue(
        "instructions", lang=lang, donor=donation.donor, subject=subject,
        kind=f"instructions_{payment.method}", donation=donation, payment=payment,
        instructions=instructions, amount=format_yen(payment.amount),
        expires=expires_text(instructions, lang), pay_url=pay_url(donation),
        purpose=donation.purpose(lang), store_names=STORE_NAMES)


STORE_NAMES = {"familymart": "ファミリーマート / FamilyMart", "lawson": "ローソン / Lawson",
               "ministop": "ミニストップ / Ministop", "seicomart": "セイコーマート / Seicomart"}
