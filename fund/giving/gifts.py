"""A gift by any method: where it goes, and the one function that records it.

Every way of giving (card, konbini, bank transfer, a monthly invoice) builds
its Donation and first Payment through `create_gift`, so the rows, the audit
entry and the designation rules are the same whatever the method.
"""
from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from fund.campaigns.models import Campaign, Project
from fund.core import audit, clock
from fund.core.errors import NotFound
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.giving.models import Donation
from fund.payments.models import Payment, PaymentState


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
        return gettext_for(lang, "General fund (unrestricted)")


def resolve_destination(key, lang):
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
        if project and project.takes_gifts:
            return Destination("project", project=project)
    raise NotFound(gettext_for(lang, "This destination does not exist or no longer accepts gifts."), code="destination")


def create_gift(*, donor, amount, method, locale, actor, campaign=None, project=None,
                wants_receipt=True, publish_name=False, message="", checkout_key=None,
                pledge=None, customer=None, audit_data=None):
    """Record a gift and its first payment attempt; returns the Payment (no commit).

    The designation follows from the destination: a campaign, a project, or
    the general fund when neither is given. `audit_data` is added to the audit entry.
    """
    designation = "campaign" if campaign else "project" if project else "general"
    donation = Donation(
        donor=donor, amount=amount, currency="JPY", designation=designation,
        campaign=campaign, project=project, pledge=pledge, wants_receipt=wants_receipt,
        publish_name=publish_name, message=message or "", locale=locale,
        checkout_key=checkout_key or None)
    payment = Payment(donation=donation, amount=amount, currency="JPY", method=method,
                      stripe_customer_id=customer)
    db.session.add_all([donation, payment])
    db.session.flush()
    audit.record(actor, "donation.created", donation, amount=donation.amount,
                 **(audit_data or {}))
    return payment


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
    return payment.state == PaymentState.REQUIRES_ACTION
