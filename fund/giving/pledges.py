"""Monthly giving (マンスリーサポーター): pledges backed by Stripe subscriptions.

A pledge is saved before Stripe is called (our row id makes the idempotency
keys). Each invoice Stripe reports paid, re-read from Stripe, becomes one
ordinary donation with a succeeded payment, exactly once per invoice id. A
failed renewal makes the pledge past_due and tells the donor; the donor
(through a signed link) or the office can cancel.
"""
import logging

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from fund.core import audit, clock, mail
from fund.core.errors import (Conflict, FundError, NotFound, PaymentDeclined, PaymentUnavailable,
                              ValidationFailed)
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.donors import services as donors
from fund.giving import donor_mail, gifts, pledge_links
from fund.giving.models import PLEDGE_TRANSITIONS as TRANSITIONS
from fund.giving.models import Pledge, PledgeInvoice, PledgeStatus
from fund.payments import services as payments
from fund.payments.models import PaymentState
from fund.payments.stripe import api as gateway
from fund.payments.stripe import methods as stripe_giving
from fund.payments.webhooks import handles
from fund.receipts import links

log = logging.getLogger(__name__)

# Stripe subscription status -> ours. incomplete stays pending.
SUBSCRIPTION_STATES = {
    "active": PledgeStatus.ACTIVE, "trialing": PledgeStatus.ACTIVE,
    "past_due": PledgeStatus.PAST_DUE, "unpaid": PledgeStatus.PAST_DUE,
    "canceled": PledgeStatus.CANCELED, "incomplete_expired": PledgeStatus.CANCELED,
}


def _move(pledge, new, actor, **data):
    """Apply one transition from the table; False if it is not allowed or no change."""
    old = pledge.status
    if new == old or new not in TRANSITIONS[old]:
        return False
    pledge.status = new
    if new == PledgeStatus.CANCELED:
        pledge.canceled_at = clock.now()
    audit.record(actor, f"pledge.{new}", pledge, previous=old, **data)
    return True


def _lock(pledge_id):
    return db.session.execute(
        db.select(Pledge).where(Pledge.id == pledge_id).with_for_update()).scalar_one()


def start_pledge(*, data, card_token, lang):
    """Save the pledge, then create the Stripe customer and subscription.

    The first month is charged at once; its invoice becomes the first
    donation. A declined card raises PaymentDeclined with the pledge on file
    as failed; Stripe unreachable raises PaymentUnavailable (pledge pending).
    """
    destination = gifts.resolve_destination(data["destination"], lang)
    if destination.designation == "campaign":
        raise ValidationFailed(gettext_for(lang, "Monthly giving goes to the general fund or a project (campaigns end)."),
                               errors={"destination": "monthly_campaign"})
    donor = donors.find_or_create(data, lang)
    donor.receipt_preference = data.get("receipt_preference") or "per_gift"
    pledge = Pledge(donor=donor, amount=data["amount"], currency="JPY",
                    designation=destination.designation, project=destination.project,
                    wants_receipt=data["wants_receipt"], publish_name=data["publish_name"],
                    locale=lang, status=PledgeStatus.PENDING)
    db.session.add(pledge)
    db.session.flush()
    actor = audit.donor(donor.id)
    audit.record(actor, "pledge.created", pledge, amount=pledge.amount,
                 destination=destination.key)
    db.session.commit()

    try:
        customer, card = gateway.create_customer(
            idempotency_key=f"fund-pledge-{pledge.id}-customer", email=donor.email,
            name=donor.receipt_name, card_token=card_token,
            metadata={"donor_id": str(donor.id), "pledge_id": str(pledge.id)})
        pledge.stripe_customer_id = customer
        donor.stripe_customer_id = customer
        product = stripe_giving.ensure_monthly_product()
        subscription = stripe_giving.create_subscription(
            idempotency_key=f"fund-pledge-{pledge.id}-subscription", customer=customer,
            card=card, amount=pledge.amount, product=product,
            metadata={"pledge_id": str(pledge.id), "donor_id": str(donor.id)})
    except PaymentUnavailable:
        pledge.failure_message = "Stripe unavailable during sign-up"
        db.session.commit()
        raise
    except FundError as err:
        pledge.failure_message = err.message[:500]
        _move(pledge, PledgeStatus.FAILED, actor, code=err.code)
        db.session.commit()
        raise PaymentDeclined(err.message, code=err.code) from err
    pledge.stripe_subscription_id = subscription.id
    _move(pledge, SUBSCRIPTION_STATES.get(subscription.status, PledgeStatus.PENDING), actor,
          subscription=subscription.id)
    db.session.commit()
    if subscription.latest_invoice:
        try:
            record_invoice(pledge=pledge, invoice=stripe_giving.retrieve_invoice(
                subscription.latest_invoice), actor=actor)
        except PaymentUnavailable:
            pass  # the invoice.paid webhook records the first gift instead
    return pledge


def pledge_for_invoice(invoice):
    return _pledge_for(invoice.subscription, invoice.subscription_metadata)


def _pledge_for(subscription_id, metadata):
    pledge = None
    if subscription_id:
        pledge = db.session.execute(
            db.select(Pledge).filter_by(stripe_subscription_id=subscription_id)
        ).scalar_one_or_none()
    pledge_id = str((metadata or {}).get("pledge_id") or "")
    if pledge is None and pledge_id.isdigit():
        candidate = db.session.get(Pledge, int(pledge_id))
        # The response to our create call may have been lost: adopt the id once.
        if candidate is not None and candidate.stripe_subscription_id in (None, subscription_id):
            candidate.stripe_subscription_id = subscription_id
            pledge = candidate
    return pledge


def record_invoice(*, pledge, invoice, actor):
    """Turn one paid invoice into one donation (idempotent by invoice id).

    Returns the donation, or None for an invoice that is not paid.
    """
    if invoice.status != "paid" or invoice.amount_paid <= 0:
        return None
    pledge = _lock(pledge.id)
    existing = db.session.execute(
        db.select(PledgeInvoice).filter_by(stripe_invoice_id=invoice.id)).scalar_one_or_none()
    if existing is not None:
        db.session.commit()
        return existing.donation
    payment = gifts.create_gift(
        donor=pledge.donor, amount=invoice.amount_paid, method="card", locale=pledge.locale,
        actor=actor, project=pledge.project, pledge=pledge, wants_receipt=pledge.wants_receipt,
        publish_name=pledge.publish_name, customer=pledge.stripe_customer_id,
        audit_data={"pledge": pledge.id, "invoice": invoice.id})
    donation = payment.donation
    db.session.add(PledgeInvoice(pledge=pledge, donation=donation, stripe_invoice_id=invoice.id))
    db.session.flush()
    # Settling (receipt by the donor's preference, the monthly thank-you mail)
    # follows from the payment's success, as for every gift.
    _mark_paid(payment, invoice, actor)
    _move(pledge, PledgeStatus.ACTIVE, actor, invoice=invoice.id)
    db.session.commit()
    mail.deliver_committed()
    return donation


def _mark_paid(payment, invoice, actor):
    """The invoice's PaymentIntent moves the payment to succeeded through the one
    state table; an invoice paid without one (e.g. from credit) is recorded directly.
    The date received on the receipt is when Stripe collected, not when we heard."""
    if invoice.payment_intent:
        intent = gateway.retrieve_intent(invoice.payment_intent)
        payment.stripe_payment_intent_id = intent.id
        payments.apply_intent(payment, intent, actor, succeeded_at=invoice.paid_at)
    if payment.state != PaymentState.SUCCEEDED:
        payments.mark_succeeded(payment, actor, at=invoice.paid_at, invoice=invoice.id)


def renewal_failed(*, pledge, invoice, actor):
    """A renewal was declined: past_due and a mail, once per lapse (Stripe retries)."""
    pledge = _lock(pledge.id)
    message = None
    if _move(pledge, PledgeStatus.PAST_DUE, actor, invoice=invoice.id):
        message = pledge_mail(pledge, "failed", amount=invoice.amount_paid or pledge.amount)
    db.session.commit()
    if message is not None:
        mail.deliver_committed()
    return pledge


def sync_subscription(*, pledge, subscription, actor):
    """Follow the subscription's status as Stripe reports it (updated/deleted events)."""
    pledge = _lock(pledge.id)
    new = SUBSCRIPTION_STATES.get(subscription.status)
    message = None
    if new and _move(pledge, new, actor, subscription=subscription.id,
                     stripe_status=subscription.status) and new == PledgeStatus.CANCELED:
        message = pledge_mail(pledge, "canceled")
    db.session.commit()
    if message is not None:
        mail.deliver_committed()
    return pledge


def cancel(*, pledge, actor):
    """Stop the monthly gift at Stripe and here. Cancelling a closed pledge is refused."""
    pledge = _lock(pledge.id)
    if pledge.status in (PledgeStatus.CANCELED, PledgeStatus.FAILED):
        db.session.commit()
        raise Conflict(gettext_for(pledge.locale, "This monthly gift has already stopped."), code="pledge_closed")
    if pledge.stripe_subscription_id:
        subscription = stripe_giving.cancel_subscription(pledge.stripe_subscription_id)
        if subscription.status != "canceled":
            db.session.commit()
            raise FundError("Stripe did not cancel the subscription; please try again.",
                            status=502, code="cancel_failed")
    _move(pledge, PledgeStatus.CANCELED, actor)
    pledge_mail(pledge, "canceled")
    db.session.commit()
    mail.deliver_committed()
    return pledge


def pledge_from_token(token, lang):
    """The pledge a signed cancel link names, or NotFound."""
    try:
        pledge_id, subscription_id = pledge_links.read_cancel_token(token)
    except pledge_links.LinkInvalid as err:
        raise NotFound(gettext_for(lang, "This link is not valid."), code="link_invalid") from err
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or (pledge.stripe_subscription_id or "") != subscription_id:
        raise NotFound(gettext_for(lang, "This link is not valid."), code="link_invalid")
    return pledge


PLEDGE_SUBJECTS = {
    "paid": _l("QST Future Fund: thank you for your monthly gift"),
    "paid_receipt": _l("QST Future Fund: thank you for your monthly gift (receipt %(number)s)"),
    "failed": _l("QST Future Fund: your monthly gift could not be charged"),
    "canceled": _l("QST Future Fund: your monthly gift has stopped"),
}


def pledge_mail(pledge, kind, **extra):
    """Queue a pledge mail (paid, failed, canceled); every one carries the signed cancel link."""
    lang = pledge.locale
    receipt = extra.get("receipt")
    amount = extra.pop("amount", None) or pledge.amount
    with force_locale(lang):
        subject = str(PLEDGE_SUBJECTS[f"{kind}_receipt" if receipt else kind]) % (
            {"number": receipt.number} if receipt else {})
    extra.pop("receipt", None)
    return donor_mail.queue(
        f"pledge_{kind}", lang=lang, donor=pledge.donor, subject=subject, kind=f"pledge_{kind}",
        receipt=receipt, pledge=pledge, amount=format_yen(amount),
        purpose=pledge.purpose(lang), cancel_url=pledge_links.cancel_url(pledge),
        receipt_url=links.receipt_url(receipt) if receipt else None,
        link_until=links.last_day(receipt) if receipt else None,
        preference=pledge.donor.receipt_preference, **extra)


# --- webhook handlers (registered with fund.payments.webhooks.handles) ---------

@handles("invoice.paid")
def on_invoice_paid(event, obj):
    invoice = stripe_giving.retrieve_invoice(obj["id"])
    pledge = pledge_for_invoice(invoice)
    if pledge is None:
        return "unknown_object"
    record_invoice(pledge=pledge, invoice=invoice, actor=audit.stripe_event(event.stripe_event_id))
    return "processed"


@handles("invoice.payment_failed")
def on_invoice_payment_failed(event, obj):
    invoice = stripe_giving.retrieve_invoice(obj["id"])
    pledge = pledge_for_invoice(invoice)
    if pledge is None:
        return "unknown_object"
    if invoice.status == "paid":  # a later retry already succeeded
        return "processed"
    renewal_failed(pledge=pledge, invoice=invoice, actor=audit.stripe_event(event.stripe_event_id))
    return "processed"


@handles("customer.subscription.updated", "customer.subscription.deleted")
def on_subscription_event(event, obj):
    subscription = stripe_giving.retrieve_subscription(obj["id"])
    pledge = _pledge_for(subscription.id, subscription.metadata)
    if pledge is None:
        return "unknown_object"
    sync_subscription(pledge=pledge, subscription=subscription,
                      actor=audit.stripe_event(event.stripe_event_id))
    return "processed"
