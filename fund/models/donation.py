"""A donation (the donor's intent and designation) and its payments.

Whether a donation is paid is derived from its payment rows, never stored on
the donation itself (pretix does the same).
"""
import secrets

from fund.extensions import db
from fund.models.base import TZDateTime, utcnow

DESIGNATIONS = ("general", "campaign", "project")

# Payment states; the transition table lives in fund.services.payments.
CREATED = "created"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
EXPIRED = "expired"
PAYMENT_STATES = (CREATED, REQUIRES_ACTION, PROCESSING, SUCCEEDED, FAILED, CANCELED, EXPIRED)
FINAL_STATES = (SUCCEEDED, FAILED, CANCELED, EXPIRED)


def _public_id():
    return secrets.token_urlsafe(16)


class Donation(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    # Shown in URLs (thank-you page) instead of the sequential id.
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=_public_id)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    designation = db.Column(db.String(16), nullable=False, default="general")
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    wants_receipt = db.Column(db.Boolean, nullable=False, default=True)
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    message = db.Column(db.Text, nullable=False, default="")
    locale = db.Column(db.String(8), nullable=False, default="ja")
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    donor = db.relationship("Donor", back_populates="donations")
    campaign = db.relationship("Campaign")
    project = db.relationship("Project")
    payments = db.relationship("Payment", back_populates="donation",
                               order_by="Payment.id")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"designation IN {DESIGNATIONS}", name="designation"),
        db.CheckConstraint(
            "(designation = 'general' AND campaign_id IS NULL AND project_id IS NULL)"
            " OR (designation = 'campaign' AND campaign_id IS NOT NULL)"
            " OR (designation = 'project' AND project_id IS NOT NULL AND campaign_id IS NULL)",
            name="designation_target"),
    )

    @property
    def succeeded_payment(self):
        return next((p for p in self.payments if p.state == SUCCEEDED), None)

    @property
    def paid_amount(self):
        return sum(p.amount for p in self.payments if p.state == SUCCEEDED)

    @property
    def is_paid(self):
        return self.paid_amount >= self.amount

    @property
    def status(self):
        """Derived: paid, pending, or failed (latest attempt failed)."""
        if self.is_paid:
            return "paid"
        if not self.payments:
            return "pending"
        last = self.payments[-1]
        return "failed" if last.state in (FAILED, CANCELED, EXPIRED) else "pending"

    @property
    def received_at(self):
        payment = self.succeeded_payment
        return payment.succeeded_at if payment else None

    def purpose(self, lang="ja"):
        """The designated purpose printed on receipts, or None for the general fund."""
        if self.designation == "campaign":
            return self.campaign.title(lang)
        if self.designation == "project":
            return self.project.title(lang)
        return None

    def __repr__(self):
        return f"<Donation {self.id} {self.amount} {self.currency}>"


class Payment(db.Model):
    """One attempt to collect a donation through Stripe."""

    id = db.Column(db.Integer, primary_key=True)
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), nullable=False, index=True)
    provider = db.Column(db.String(16), nullable=False, default="stripe")
    method = db.Column(db.String(32), nullable=False, default="card")
    state = db.Column(db.String(20), nullable=False, default=CREATED)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    stripe_payment_intent_id = db.Column(db.String(64), unique=True)
    stripe_customer_id = db.Column(db.String(64))
    stripe_charge_id = db.Column(db.String(64), index=True)
    failure_code = db.Column(db.String(64))
    failure_message = db.Column(db.String(500))
    # 決済日 (date received) and settlement are different dates.
    succeeded_at = db.Column(TZDateTime)
    fee = db.Column(db.BigInteger)
    net = db.Column(db.BigInteger)
    available_on = db.Column(TZDateTime)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(TZDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    donation = db.relationship("Donation", back_populates="payments")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {PAYMENT_STATES}", name="state"),
    )

    def __repr__(self):
        return f"<Payment {self.id} {self.state} {self.stripe_payment_intent_id}>"
