"""A gift (Donation: the donor's intent and designation) and monthly pledges.

A donation's payments, refunds and disputes are fund.payments models.

Whether a donation is paid is derived from its payment rows, never stored on
the donation itself (pretix does the same).
"""
import secrets
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow
from fund.giving.reference import new_reference
from fund.payments.models import (DISPUTE_OPEN_STATES, REFUND_OPEN_STATES, DisputeState,
                                  PaymentState, RefundState)

DESIGNATIONS = ("general", "campaign", "project")


class Designated:
    """A row given to the general fund, a campaign or a project (`designation`)."""

    def purpose(self, lang="ja"):
        """The designated purpose printed on receipts, or None for the general fund."""
        if self.designation == "campaign":
            return self.campaign.title(lang)
        if self.designation == "project":
            return self.project.title(lang)
        return None

def _public_id():
    return secrets.token_urlsafe(16)


# A gift whose message may be shown: the donor opted in to being named, and wrote one.
SHOWN_MESSAGE = "publish_name AND message <> ''"


class Donation(Designated, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    # Shown in URLs (thank-you page) instead of the sequential id.
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=_public_id)
    # What a person reads over the phone or types into the office's search: QF-7K3M-9P2X.
    reference = db.Column(db.String(12), nullable=False, unique=True, default=new_reference)
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
    # The リターン this gift claims (fund.campaigns.rewards keeps the tier's count).
    reward_tier_id = db.Column(db.Integer, db.ForeignKey("reward_tier.id"), index=True)
    wants_receipt = db.Column(db.Boolean, nullable=False, default=True)
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    message = db.Column(db.Text, nullable=False, default="")
    locale = db.Column(db.String(8), nullable=False, default="ja")
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    # Marked "no receipt" when the office voided its receipt as not eligible;
    # only an office action with a reason lifts it (fund.receipts.issuing).
    no_receipt_reason = db.Column(db.String(500))
    no_receipt_at = db.Column(TZDateTime)
    # A second payment succeeded on this gift: the excess is due back (refund_due).
    duplicate_payment_at = db.Column(TZDateTime)

    donor = db.relationship("Donor", back_populates="donations")
    campaign = db.relationship("Campaign")
    project = db.relationship("Project")
    pledge = db.relationship("Pledge", back_populates="donations")
    reward_tier = db.relationship("RewardTier")
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
        db.Index("ix_donation_duplicate_payment", "duplicate_payment_at",
                 sqlite_where=db.text("duplicate_payment_at IS NOT NULL"),
                 postgresql_where=db.text("duplicate_payment_at IS NOT NULL")),
        # The messages a campaign's or project's page shows, newest first
        # (fund.giving.showcase): only the gifts that carry one, so a page of a
        # campaign with a million gifts reads a few index entries, not its gifts.
        *(db.Index(f"ix_donation_{column}_messages", column, "created_at", "id",
                   sqlite_where=db.text(SHOWN_MESSAGE), postgresql_where=db.text(SHOWN_MESSAGE))
          for column in ("campaign_id", "project_id")),
    )

    @property
    def succeeded_payment(self):
        return next((p for p in self.payments if p.state == PaymentState.SUCCEEDED), None)

    @property
    def paid_amount(self):
        return sum(p.amount for p in self.payments if p.state == PaymentState.SUCCEEDED)

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
        return sum(r.amount for r in self.refunds if r.state == RefundState.SUCCEEDED)

    @property
    def disputed_lost_amount(self):
        """Money taken back by the card issuer in disputes we lost."""
        return sum(d.amount for d in self.disputes if d.state == DisputeState.LOST)

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
    def receipt_amount(self):
        """What a receipt may state: the gift's amount at most, less refunds and lost
        disputes. A duplicate payment is money due back, never a larger gift."""
        return min(self.amount, self.net_amount)

    @property
    def refund_due(self):
        """Money paid beyond the gift's amount and not yet refunded (or being refunded)."""
        # REFUND_OPEN_STATES counts succeeded refunds too.
        reserved = sum(r.amount for r in self.refunds if r.state in REFUND_OPEN_STATES)
        return max(self.paid_amount - self.amount - reserved, 0)

    @property
    def no_receipt(self):
        return self.no_receipt_at is not None

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
        return "failed" if last.state in (PaymentState.FAILED, PaymentState.CANCELED,
                                                 PaymentState.EXPIRED) else "pending"

    @property
    def received_at(self):
        payment = self.succeeded_payment
        return payment.succeeded_at if payment else None

    def __repr__(self):
        return f"<Donation {self.id} {self.amount} {self.currency}>"


# --- monthly giving (マンスリーサポーター) --------------------------------------


class PledgeStatus(StrEnum):
    """A pledge's status; TRANSITIONS below says which moves are allowed."""

    PENDING = "pending"      # rows saved, Stripe not yet (or never) confirmed the subscription
    ACTIVE = "active"
    PAST_DUE = "past_due"    # a renewal failed; Stripe is retrying
    CANCELED = "canceled"
    FAILED = "failed"        # the first payment was refused: no subscription exists


PLEDGE_TRANSITIONS = {
    PledgeStatus.PENDING: {PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE, PledgeStatus.FAILED,
                           PledgeStatus.CANCELED},
    PledgeStatus.ACTIVE: {PledgeStatus.PAST_DUE, PledgeStatus.CANCELED},
    PledgeStatus.PAST_DUE: {PledgeStatus.ACTIVE, PledgeStatus.CANCELED},
    PledgeStatus.CANCELED: set(),
    PledgeStatus.FAILED: set(),
}
PLEDGE_STATUSES = tuple(status.value for status in PledgeStatus)
# Campaigns end; a monthly promise goes to the general fund or a project.
PLEDGE_DESIGNATIONS = ("general", "project")


class Pledge(Designated, db.Model):
    """The donor's standing monthly promise; each paid Stripe invoice becomes one Donation."""

    id = db.Column(db.Integer, primary_key=True)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    designation = db.Column(db.String(16), nullable=False, default="general")
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    wants_receipt = db.Column(db.Boolean, nullable=False, default=True)
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    locale = db.Column(db.String(8), nullable=False, default="ja")
    status = db.Column(db.String(16), nullable=False, default=PledgeStatus.PENDING.value)
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

    @property
    def is_open(self):
        return self.status in (PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE)

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


# --- money raised, kept as it moves --------------------------------------------
# Pages read these rows instead of summing every gift on each request. They are
# kept by fund.giving.totals in the transaction that moves the money
# (signals.payment_succeeded, signals.net_amount_changed) and can be rebuilt
# from the payments at any time (`flask fund totals rebuild`).
SCOPES = ("fund", "campaign", "project")


class ScopeTotal(db.Model):
    """Net money raised and supporters counted, for the whole fund, a campaign or a project."""

    scope = db.Column(db.String(16), primary_key=True)
    scope_id = db.Column(db.Integer, primary_key=True, autoincrement=False)  # 0 for the fund
    raised = db.Column(db.BigInteger, nullable=False, default=0)
    supporters = db.Column(db.Integer, nullable=False, default=0)
    # Of the supporters, those the 芳名録 names (published, net > 0): the page's
    # "and N anonymous" without counting ScopeSupporter rows on each request.
    named = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (db.CheckConstraint(f"scope IN {SCOPES}", name="scope"),)

    def __repr__(self):
        return f"<ScopeTotal {self.scope}:{self.scope_id} {self.raised}>"


class ScopeSupporter(db.Model):
    """One donor's net giving to one scope; `published` when a kept gift opted in to the 芳名録."""

    scope = db.Column(db.String(16), primary_key=True)
    scope_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), primary_key=True)
    net = db.Column(db.BigInteger, nullable=False, default=0)
    published = db.Column(db.Boolean, nullable=False, default=False)
    # When the first kept gift that opted in was paid: the 芳名録's order.
    published_since = db.Column(TZDateTime)

    donor = db.relationship("Donor")

    __table_args__ = (
        db.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        db.Index("ix_scope_supporter_listing", "scope", "scope_id", "published",
                 "published_since"),
    )


# --- gifts that did not come through Stripe -------------------------------------
# A bank transfer to the institute's own account, cash, or a gift announced on a
# paper application form (寄附申込書). The Donation and its Payment are built by
# fund.giving.gifts.create_gift like any other (Payment.provider "office"); this
# row says how and when the money came and which money account holds it.
OFFLINE_METHODS = ("direct_transfer", "cash")
OFFLINE_PROVIDER = "office"


class OfflineGift(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), nullable=False, unique=True)
    method = db.Column(db.String(16), nullable=False)
    # The ledger account the money reached: bank:<slug> or cash.
    money_account = db.Column(db.String(80), nullable=False)
    received_on = db.Column(db.Date, nullable=False, index=True)
    # 振込名義 as the office typed it, and its comparable key (fund.core.kana.name_key).
    transfer_name = db.Column(db.String(200), nullable=False, default="")
    transfer_key = db.Column(db.String(200), nullable=False, default="", index=True)
    paper_form = db.Column(db.Boolean, nullable=False, default=False)
    form_reference = db.Column(db.String(64), nullable=False, default="")
    note = db.Column(db.String(500), nullable=False, default="")
    instalment_id = db.Column(db.Integer, db.ForeignKey("instalment.id"), unique=True)
    recorded_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    payment = db.relationship("Payment")
    instalment = db.relationship("Instalment", back_populates="gift")

    __table_args__ = (db.CheckConstraint(f"method IN {OFFLINE_METHODS}", name="method"),)

    @property
    def donation(self):
        return self.payment.donation

    def __repr__(self):
        return f"<OfflineGift {self.id} {self.method} {self.received_on}>"


# --- corporate pledges: a total promised, paid in instalments -------------------
# Not the monthly card Pledge above (a Stripe subscription): an agreement with a
# schedule of due dates, each instalment recorded as an OfflineGift when it arrives.


class AgreementStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"   # every instalment received
    CANCELED = "canceled"     # the donor withdrew; what was received stays received


AGREEMENT_TRANSITIONS = {
    AgreementStatus.ACTIVE: {AgreementStatus.COMPLETED, AgreementStatus.CANCELED},
    AgreementStatus.COMPLETED: set(),
    AgreementStatus.CANCELED: set(),
}
AGREEMENT_STATUSES = tuple(status.value for status in AgreementStatus)


class PledgeAgreement(Designated, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    total = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    designation = db.Column(db.String(16), nullable=False, default="general")
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"))
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    expected_method = db.Column(db.String(16), nullable=False, default="direct_transfer")
    # The 振込名義 the company's transfers will carry (e.g. ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ), for matching.
    transfer_name = db.Column(db.String(200), nullable=False, default="")
    transfer_key = db.Column(db.String(200), nullable=False, default="")
    note = db.Column(db.String(500), nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default=AgreementStatus.ACTIVE.value)
    created_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    closed_at = db.Column(TZDateTime)

    donor = db.relationship("Donor")
    campaign = db.relationship("Campaign")
    project = db.relationship("Project")
    instalments = db.relationship("Instalment", back_populates="agreement",
                                  order_by="Instalment.number")

    __table_args__ = (
        db.CheckConstraint("total > 0", name="total_positive"),
        db.CheckConstraint(f"status IN {AGREEMENT_STATUSES}", name="status"),
        db.CheckConstraint(f"designation IN {DESIGNATIONS}", name="designation"),
        db.CheckConstraint(f"expected_method IN {OFFLINE_METHODS}", name="expected_method"),
    )

    @property
    def received(self):
        return sum(i.gift.payment.amount for i in self.instalments if i.gift is not None)

    @property
    def outstanding(self):
        return sum(i.amount for i in self.instalments if i.gift is None)

    def __repr__(self):
        return f"<PledgeAgreement {self.id} {self.total} {self.status}>"


class Instalment(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    agreement_id = db.Column(db.Integer, db.ForeignKey("pledge_agreement.id"), nullable=False,
                             index=True)
    number = db.Column(db.Integer, nullable=False)
    due_on = db.Column(db.Date, nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)

    agreement = db.relationship("PledgeAgreement", back_populates="instalments")
    gift = db.relationship("OfflineGift", back_populates="instalment", uselist=False)

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.UniqueConstraint("agreement_id", "number", name="uq_instalment_number"),
    )

    def state(self, today):
        """received, late (due and not received), or due."""
        if self.gift is not None:
            return "received"
        return "late" if self.due_on < today else "due"

    def __repr__(self):
        return f"<Instalment {self.agreement_id}#{self.number} {self.due_on} {self.amount}>"
