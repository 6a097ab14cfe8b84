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

# Refund states (Stripe's refund statuses plus our own `created`: the row is
# committed before Stripe is called). Transitions: fund.services.refunds.
PENDING = "pending"
REFUND_STATES = (CREATED, PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED, CANCELED)
# A refund in these states may still take money back, so it counts against
# what is left to refund.
REFUND_OPEN_STATES = (CREATED, PENDING, REQUIRES_ACTION, SUCCEEDED)

# Dispute states (Stripe's dispute statuses; inquiries are folded into them).
# Transitions: fund.services.disputes.
NEEDS_RESPONSE = "needs_response"
UNDER_REVIEW = "under_review"
WON = "won"
LOST = "lost"
DISPUTE_STATES = (NEEDS_RESPONSE, UNDER_REVIEW, WON, LOST)
DISPUTE_OPEN_STATES = (NEEDS_RESPONSE, UNDER_REVIEW)


def _public_id():
    return secrets.token_urlsafe(16)


class Donation(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    # Shown in URLs (thank-you page) instead of the sequential id.
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=_public_id)
    # One per rendering of the donation form: a resubmission of the same form
    # (double click, "try again" after an outage) resumes this donation with
    # the same Stripe idempotency keys instead of charging a second time.
    checkout_key = db.Column(db.String(64), unique=True)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    designation = db.Column(db.String(16), nullable=False, default="general")
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    pledge_id = db.Column(db.Integer, db.ForeignKey("pledge.id"), index=True)  # monthly giving
    wants_receipt = db.Column(db.Boolean, nullable=False, default=True)
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    message = db.Column(db.Text, nullable=False, default="")
    locale = db.Column(db.String(8), nullable=False, default="ja")
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    donor = db.relationship("Donor", back_populates="donations")
    campaign = db.relationship("Campaign")
    project = db.relationship("Project")
    pledge = db.relationship("Pledge", back_populates="donations")
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
    def refunds(self):
        return [refund for payment in self.payments for refund in payment.refunds]

    @property
    def disputes(self):
        return [dispute for payment in self.payments for dispute in payment.disputes]

    @property
    def refunded_amount(self):
        """Money given back by refunds that Stripe reports as succeeded."""
        return sum(r.amount for r in self.refunds if r.state == SUCCEEDED)

    @property
    def disputed_lost_amount(self):
        """Money taken back by the card issuer in disputes we lost."""
        return sum(d.amount for d in self.disputes if d.state == LOST)

    @property
    def net_amount(self):
        """What the fund keeps of this gift: paid - refunded - lost in disputes."""
        return self.paid_amount - self.refunded_amount - self.disputed_lost_amount

    @property
    def refundable_amount(self):
        """What may still be refunded: refunds in flight count as already given back."""
        reserved = sum(r.amount for r in self.refunds if r.state in REFUND_OPEN_STATES)
        return max(self.paid_amount - reserved - self.disputed_lost_amount, 0)

    @property
    def has_open_dispute(self):
        return any(d.state in DISPUTE_OPEN_STATES for d in self.disputes)

    @property
    def status(self):
        """Derived: disputed, refunded, partially_refunded, paid, pending or failed."""
        if self.has_open_dispute:
            return "disputed"
        if self.is_paid and self.net_amount <= 0:
            return "refunded"
        if self.is_paid and self.net_amount < self.paid_amount:
            return "partially_refunded"
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
    refunds = db.relationship("Refund", back_populates="payment", order_by="Refund.id")
    disputes = db.relationship("Dispute", back_populates="payment", order_by="Dispute.id")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {PAYMENT_STATES}", name="state"),
    )

    def __repr__(self):
        return f"<Payment {self.id} {self.state} {self.stripe_payment_intent_id}>"


class Refund(db.Model):
    """Money given back on one payment: made by the office here or in Stripe's dashboard.

    Append-only: a refund is never edited into another amount; its state
    follows what Stripe reports.
    """

    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), nullable=False, index=True)
    state = db.Column(db.String(20), nullable=False, default=CREATED)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    reason = db.Column(db.String(500), nullable=False, default="")
    # NULL until Stripe has answered (the row is committed before the call).
    stripe_refund_id = db.Column(db.String(64), unique=True)
    failure_reason = db.Column(db.String(200))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(TZDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    payment = db.relationship("Payment", back_populates="refunds")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {REFUND_STATES}", name="state"),
    )

    def __repr__(self):
        return f"<Refund {self.id} {self.state} {self.amount} {self.stripe_refund_id}>"


class Dispute(db.Model):
    """A chargeback (or inquiry) the card issuer opened on a payment."""

    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), nullable=False, index=True)
    state = db.Column(db.String(20), nullable=False, default=NEEDS_RESPONSE)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    reason = db.Column(db.String(100), nullable=False, default="")
    stripe_dispute_id = db.Column(db.String(64), nullable=False, unique=True)
    # Stripe's own status word (e.g. warning_closed) for the office.
    stripe_status = db.Column(db.String(32), nullable=False, default="")
    evidence_due_by = db.Column(TZDateTime)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(TZDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    payment = db.relationship("Payment", back_populates="disputes")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {DISPUTE_STATES}", name="state"),
    )

    def __repr__(self):
        return f"<Dispute {self.id} {self.state} {self.stripe_dispute_id}>"
