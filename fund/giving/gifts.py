"""Taking a gift: donor, donation and payment rows, then Stripe.

Rows are committed before Stripe is called, so every attempt (and its
failure) is on file, and the idempotency keys come from our own row ids.
"""
import logging
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from fund.core.errors import Conflict, FundError, NotFound, PaymentDeclined, PaymentUnavailable
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.core.i18n import translate
from fund.core.money import format_yen
from fund.campaigns.models import Campaign, Project
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Payment
from fund.payments.models import CREATED, REQUIRES_ACTION, SUCCEEDED
from fund.core import audit
from fund.core import clock
from fund.core import mail
from fund.payments import services as payments
from fund.receipts import issuing as receipts

log = logging.getLogger(__name__)


@dataclass
class Destination:
    designation: str
    campaign: Campaign | None = None
    project: Project | None = None

    @property
    def key(self):
        if self.campaign:
            return f"campaign:{self.campaign.slug}"
        if self.project:
            return f"project:{self.project.slug}"
        return "general"

    def title(self, lang):
        if self.campaign:
            return self.campaign.title(lang)
        if self.project:
            return self.project.title(lang)
        return translate("home.general", lang)


def resolve_destination(key):
    """'general', 'campaign:<slug>' or 'project:<slug>' to an open destination."""
    key = (key or "general").strip()
    if key == "general":
        return Destination("general")
    kind, _, slug = key.partition(":")
    if kind == "campaign":
        campaign = db.session.execute(
            db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()
        if campaign and campaign.is_open(clock.now()):
            return Destination("campaign", campaign=campaign)
    elif kind == "project":
        project = db.session.execute(
            db.select(Project).filter_by(slug=slug)).scalar_one_or_none()
        if project and project.accepts_donations:
            return Destination("project", project=project)
    raise NotFound(translate("error.destination"), code="destination")


def _find_or_create_donor(data, lang):
    """Reuse the donor with the same email and receipt name, updating contact details.

    A changed address updates the donor only; receipts already issued keep
    the address they were printed with.
    """
    receipt_name = data["company_name"] if data["donor_kind"] == "corporation" else data["name"]
    candidates = db.session.execute(
        db.select(Donor).filter_by(email=data["email"], kind=data["donor_kind"])
        .order_by(Donor.id)).scalars()
    donor = next((d for d in candidates if d.receipt_name == receipt_name), None)
    if donor is None:
        donor = Donor(email=data["email"], kind=data["donor_kind"])
        db.session.add(donor)
    donor.name = data["name"]
    donor.name_kana = data["name_kana"]
    donor.company_name = data.get("company_name") or None
    donor.representative = data.get("representative") or None
    donor.postal_code = data["postal_code"]
    donor.address = data["address"]
    donor.phone = data.get("phone") or None
    donor.locale = lang
    donor.publish_name = data["publish_name"]
    return donor


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
            return _resume(existing, data, card_token)
    destination = resolve_destination(data["destination"])
    donor = _find_or_create_donor(data, lang)
    donation = Donation(
        donor=donor, amount=data["amount"], currency="JPY",
        designation=destination.designation, campaign=destination.campaign,
        project=destination.project, wants_receipt=data["wants_receipt"],
        publish_name=data["publish_name"], message=data["message"], locale=lang,
        checkout_key=checkout_key or None)
    payment = Payment(donation=donation, amount=data["amount"], currency="JPY", method="card")
    db.session.add_all([donation, payment])
    try:
        db.session.flush()
    except IntegrityError:
        # The same form arrived twice at once; the other request owns the donation.
        db.session.rollback()
        existing = _donation_for_checkout(checkout_key)
        if existing is None:
            raise
        return _resume(existing, data, card_token)
    actor = audit.donor(donor.id)
    audit.record(actor, "donation.created", donation, amount=donation.amount,
                 destination=destination.key)
    db.session.commit()
    return _charge(payment, card_token)


def _donation_for_checkout(checkout_key):
    return db.session.execute(
        db.select(Donation).filter_by(checkout_key=checkout_key)).scalar_one_or_none()


def _resume(donation, data, card_token):
    """The same form again: never a second charge for one submitted gift."""
    payment = donation.payments[-1]
    if payment.state != CREATED or payment.stripe_payment_intent_id:
        return payment  # already decided, or waiting on 3-D Secure: show where it stands
    if data["amount"] != donation.amount:
        raise Conflict(translate("error.checkout_changed"), code="checkout_changed")
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
    settle(payment, intent, actor)
    return payment


def settle(payment, intent, actor):
    """Apply a fresh PaymentIntent to a payment and do what success entails, once.

    Used by the donor's request, the 3-D Secure return and the webhook alike:
    the row lock and the state check make the success effects run only for
    the caller that makes the transition.
    """
    payment = payments.lock(payment.id)
    changed = payments.apply_intent(payment, intent, actor)
    mail_ids = []
    if changed and payment.state == SUCCEEDED:
        mail_ids = _on_success(payment.donation, actor)
    db.session.commit()
    if mail_ids:
        mail.deliver(mail_ids)
    return payment


def _on_success(donation, actor):
    """Issue the receipt if wanted and queue the thank-you mail; return mail ids."""
    receipt = None
    if donation.wants_receipt:
        try:
            with db.session.begin_nested():
                # Donors who prefer one annual summary get no per-gift receipt.
                receipt = receipts.issue_after_payment(donation=donation, actor=actor)
        except FundError as err:
            # The payment stands; the office issues the receipt once fixed.
            log.error("receipt for donation %s not issued: %s", donation.id, err.message)
            receipt = None
    message = _thank_you_mail(donation, receipt)
    db.session.flush()
    return [message.id]


def _thank_you_mail(donation, receipt):
    from fund.receipts import links
    lang = donation.locale
    if receipt:
        subject = translate("mail.thanks.subject", lang, number=receipt.number)
    else:
        subject = translate("mail.thanks_noreceipt.subject", lang)
    body = render_template(
        f"email/thanks.{lang}.txt", donation=donation, donor=donation.donor,
        amount=format_yen(donation.amount), receipt=receipt,
        receipt_url=links.receipt_url(receipt) if receipt else None,
        max_age_days=current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"],
        purpose=donation.purpose(lang))
    return mail.queue(to=donation.donor.email, subject=subject, body=body,
                      kind="thanks", receipt=receipt, donation=donation)


def refresh_from_stripe(payment, actor):
    """Re-read the payment's intent from Stripe and apply it (3-D Secure return)."""
    if not payment.stripe_payment_intent_id:
        return payment
    intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    return settle(payment, intent, actor)


def with_money(query):
    """Load what a donation's derived amounts and status read, in a few queries.

    Listing pages show status and amounts per row; without this each row
    fetches its donor, payments, refunds and disputes on its own.
    """
    return query.options(
        selectinload(Donation.donor), selectinload(Donation.campaign),
        selectinload(Donation.project),
        selectinload(Donation.payments).selectinload(Payment.refunds),
        selectinload(Donation.payments).selectinload(Payment.disputes))


def donation_by_public_id(public_id):
    donation = db.session.execute(
        db.select(Donation).filter_by(public_id=public_id)).scalar_one_or_none()
    if donation is None:
        raise NotFound("This donation does not exist.")
    return donation


def needs_action(payment):
    return payment.state == REQUIRES_ACTION
