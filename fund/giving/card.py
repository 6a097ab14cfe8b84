"""A one-off card gift: rows first, then Stripe.

Rows are committed before Stripe is called, so every attempt (and its
failure) is on file, and the idempotency keys come from our own row ids.
"""
from flask import current_app
from sqlalchemy.exc import IntegrityError

from fund.core import audit
from fund.campaigns import rewards
from fund.core.errors import (Conflict, FundError, PaymentDeclined, PaymentUnavailable,
                              ValidationFailed)
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.donors import services as donors
from fund.giving import gifts
from fund.giving.models import Donation
from fund.payments import services as payments
from fund.payments.models import PaymentState
from fund.payments.stripe import api as gateway


def start_card_donation(*, data, card_token, lang, checkout_key=None):
    """Record the gift and charge the card. Returns the payment.

    The payment comes back succeeded, requires_action (the browser must run
    3-D Secure) or processing; a decline raises PaymentDeclined after the
    failed attempt has been committed. A form submitted again with the same
    `checkout_key` resumes its donation instead of starting a second one.
    """
    if checkout_key:
        existing = _donation_for_checkout(checkout_key)
        if existing is not None:
            return _resume(existing, data, card_token, lang)
    destination = gifts.resolve_destination(data["destination"], lang)
    donor = donors.find_or_create(data, lang)
    db.session.flush()
    try:
        payment = gifts.create_gift(
            donor=donor, amount=data["amount"], method="card", locale=lang,
            actor=audit.donor(donor.id), campaign=destination.campaign,
            project=destination.project, wants_receipt=data["wants_receipt"],
            publish_name=data["publish_name"], message=data["message"],
            checkout_key=checkout_key, audit_data={"destination": destination.key})
    except IntegrityError:
        # The same form arrived twice at once; the other request owns the donation.
        db.session.rollback()
        existing = _donation_for_checkout(checkout_key)
        if existing is None:
            raise
        return _resume(existing, data, card_token, lang)
    claim_reward(payment.donation, data, destination, lang)
    db.session.commit()
    return _charge(payment, card_token)


def claim_reward(donation, data, destination, lang):
    """Take the リターン the donor chose (no commit); refused with a message, nothing kept."""
    if not data.get("reward_tier"):
        return None
    if destination.campaign is None:
        db.session.rollback()
        raise ValidationFailed(gettext_for(lang, "This reward does not exist."),
                               errors={"reward_tier": "not_here"})
    try:
        tier = rewards.claim(tier_id=data["reward_tier"], campaign=destination.campaign,
                             amount=donation.amount, lang=lang)
    except FundError:
        db.session.rollback()
        raise
    donation.reward_tier_id = tier.id
    return tier


def _donation_for_checkout(checkout_key):
    return db.session.execute(
        db.select(Donation).filter_by(checkout_key=checkout_key)).scalar_one_or_none()


def _resume(donation, data, card_token, lang):
    """The same form again: never a second charge for one submitted gift."""
    payment = donation.payments[-1]
    if payment.state != PaymentState.CREATED or payment.stripe_payment_intent_id:
        return payment  # already decided, or waiting on 3-D Secure: show where it stands
    if data["amount"] != donation.amount:
        raise Conflict(gettext_for(lang, "This form was already sent. To change the amount, please reload the page."), code="checkout_changed")
    # Same idempotency keys and, with the same card token, the same parameters:
    # Stripe answers with what it did the first time, if it did anything.
    return _charge(payment, card_token)


def _charge(payment, card_token):
    donation, donor = payment.donation, payment.donation.donor
    actor = audit.donor(donor.id)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    try:
        customer, card = gateway.create_customer(
            idempotency_key=f"fund-payment-{payment.id}-customer",
            email=donor.email, name=donor.receipt_name, card_token=card_token,
            metadata={"donor_id": str(donor.id)})
        donor.stripe_customer_id = customer
        payment.stripe_customer_id = customer
        intent = gateway.create_card_intent(
            idempotency_key=f"fund-payment-{payment.id}-intent",
            amount=payment.amount, currency=payment.currency, customer=customer, card=card,
            metadata=payments.intent_metadata(payment),
            return_url=f"{base}/donations/{donation.public_id}/return")
    except PaymentDeclined as err:
        payments.mark_failed(payment, code=err.code, message=err.message, actor=actor)
        db.session.commit()
        raise
    except PaymentUnavailable:
        # The attempt stays `created`; the donor's retry (same checkout key) or
        # stripe-sync finds any intent Stripe did make.
        payment.failure_message = "Stripe unavailable during checkout"
        db.session.commit()
        raise
    payment.stripe_payment_intent_id = intent.id
    return payments.settle(payment, intent, actor)


def refresh_from_stripe(payment, actor):
    """Re-read the payment's intent from Stripe and apply it (3-D Secure return)."""
    if not payment.stripe_payment_intent_id:
        return payment
    intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    return payments.settle(payment, intent, actor)


def authentication(payment):
    """What the 3-D Secure page needs: the intent's client secret, read from Stripe."""
    return gateway.retrieve_intent(payment.stripe_payment_intent_id).client_secret
