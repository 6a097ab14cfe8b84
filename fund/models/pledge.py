"""Monthly giving (マンスリーサポーター): a pledge and the invoices Stripe paid for it.

A pledge is the donor's standing promise; each paid Stripe invoice becomes
one ordinary Donation (with its own payment row and receipt), linked back to
the pledge. Statuses live here as constants; their transition table is in
fund.services.pledges.
"""
from fund.extensions import db
from fund.models.base import TZDateTime, utcnow

PENDING = "pending"      # rows saved, Stripe not yet (or never) confirmed the subscription
ACTIVE = "active"
PAST_DUE = "past_due"    # a renewal failed; Stripe is retrying
CANCELED = "canceled"
FAILED = "failed"        # the first payment was refused: no subscription exists
PLEDGE_STATUSES = (PENDING, ACTIVE, PAST_DUE, CANCELED, FAILED)
# Campaigns end; a monthly promise goes to the general fund or a project.
PLEDGE_DESIGNATIONS = ("general", "project")


class Pledge(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    designation = db.Column(db.String(16), nullable=False, default="general")
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    wants_receipt = db.Column(db.Boolean, nullable=False, default=True)
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    locale = db.Column(db.String(8), nullable=False, default="ja")
    status = db.Column(db.String(16), nullable=False, default=PENDING)
    stripe_customer_id = db.Column(db.String(64))
    stripe_subscription_id = db.Column(db.String(64), unique=True)
    failure_message = db.Column(db.String(500))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    canceled_at = db.Column(TZDateTime)

    donor = db.relationship("Donor")
    project = db.relationship("Project")
    donations = db.relationship("Donation", back_populates="pledge", order_by="Donation.id")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"status IN {PLEDGE_STATUSES}", name="status"),
        db.CheckConstraint(f"designation IN {PLEDGE_DESIGNATIONS}", name="designation"),
        db.CheckConstraint(
            "(designation = 'general' AND project_id IS NULL)"
            " OR (designation = 'project' AND project_id IS NOT NULL)",
            name="designation_target"),
    )

    def purpose(self, lang="ja"):
        return self.project.title(lang) if self.designation == "project" else None

    @property
    def is_open(self):
        return self.status in (ACTIVE, PAST_DUE)

    def __repr__(self):
        return f"<Pledge {self.id} {self.amount} {self.status}>"


class PledgeInvoice(db.Model):
    """One Stripe invoice recorded as one donation: the unique id makes it happen once."""

    id = db.Column(db.Integer, primary_key=True)
    pledge_id = db.Column(db.Integer, db.ForeignKey("pledge.id"), nullable=False, index=True)
    stripe_invoice_id = db.Column(db.String(64), nullable=False, unique=True)
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), nullable=False,
                            unique=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    pledge = db.relationship("Pledge")
    donation = db.relationship("Donation")

    def __repr__(self):
        return f"<PledgeInvoice {self.stripe_invoice_id}>"
