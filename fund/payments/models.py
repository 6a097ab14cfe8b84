"""Payments through Stripe: attempts, refunds, disputes, konbini/bank instructions, webhook events.

States are StrEnums (stored as their plain string values) with their
transition tables beside them; the services that move them check each move
against the table (fund.payments.services, .refunds, .disputes).
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow



class PaymentState(StrEnum):
    """A payment attempt's state; every change comes from Stripe (fund.payments.services)."""

    CREATED = "created"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


PAYMENT_TRANSITIONS = {
    PaymentState.CREATED: {PaymentState.REQUIRES_ACTION, PaymentState.PROCESSING,
                           PaymentState.SUCCEEDED, PaymentState.FAILED, PaymentState.CANCELED,
                           PaymentState.EXPIRED},
    PaymentState.REQUIRES_ACTION: {PaymentState.PROCESSING, PaymentState.SUCCEEDED,
                                   PaymentState.FAILED, PaymentState.CANCELED,
                                   PaymentState.EXPIRED},
    PaymentState.PROCESSING: {PaymentState.SUCCEEDED, PaymentState.FAILED, PaymentState.CANCELED,
                              PaymentState.EXPIRED},
    PaymentState.SUCCEEDED: set(),
    PaymentState.FAILED: set(),
    PaymentState.CANCELED: set(),
    PaymentState.EXPIRED: set(),
}
FINAL_PAYMENT_STATES = tuple(s for s, after in PAYMENT_TRANSITIONS.items() if not after)


class RefundState(StrEnum):
    """Stripe's refund statuses plus our own `created` (the row is committed before
    Stripe is called). Moved by fund.payments.refunds."""

    CREATED = "created"
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


REFUND_TRANSITIONS = {
    RefundState.CREATED: {RefundState.PENDING, RefundState.REQUIRES_ACTION, RefundState.SUCCEEDED,
                          RefundState.FAILED, RefundState.CANCELED},
    RefundState.PENDING: {RefundState.REQUIRES_ACTION, RefundState.SUCCEEDED, RefundState.FAILED,
                          RefundState.CANCELED},
    RefundState.REQUIRES_ACTION: {RefundState.PENDING, RefundState.SUCCEEDED, RefundState.FAILED,
                                  RefundState.CANCELED},
    # A bank can still reject a refund Stripe had reported as succeeded.
    RefundState.SUCCEEDED: {RefundState.FAILED},
    RefundState.FAILED: set(),
    RefundState.CANCELED: set(),
}
# A refund in these states may still take money back, so it counts against
# what is left to refund.
REFUND_OPEN_STATES = (RefundState.CREATED, RefundState.PENDING, RefundState.REQUIRES_ACTION,
                      RefundState.SUCCEEDED)
# Not yet confirmed by Stripe: stripe-sync resends or re-reads them.
REFUND_UNFINISHED_STATES = (RefundState.CREATED, RefundState.PENDING,
                            RefundState.REQUIRES_ACTION)


class DisputeState(StrEnum):
    """Stripe's dispute statuses, inquiries folded in. Moved by fund.payments.disputes."""

    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


DISPUTE_TRANSITIONS = {
    DisputeState.NEEDS_RESPONSE: {DisputeState.UNDER_REVIEW, DisputeState.WON, DisputeState.LOST},
    DisputeState.UNDER_REVIEW: {DisputeState.NEEDS_RESPONSE, DisputeState.WON, DisputeState.LOST},
    DisputeState.WON: set(),
    DisputeState.LOST: set(),
}
DISPUTE_OPEN_STATES = (DisputeState.NEEDS_RESPONSE, DisputeState.UNDER_REVIEW)


def _values(enum):
    """The states as the SQL CHECK constraints list them: ('created', 'requires_action', …)."""
    return tuple(member.value for member in enum)


class Payment(db.Model):
    """One attempt to collect a donation through Stripe."""

    id = db.Column(db.Integer, primary_key=True)
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), nullable=False, index=True)
    provider = db.Column(db.String(16), nullable=False, default="stripe")
    method = db.Column(db.String(32), nullable=False, default="card")
    state = db.Column(db.String(20), nullable=False, default=PaymentState.CREATED.value)
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
        db.CheckConstraint(f"state IN {_values(PaymentState)}", name="state"),
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
    state = db.Column(db.String(20), nullable=False, default=RefundState.CREATED.value)
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
        db.CheckConstraint(f"state IN {_values(RefundState)}", name="state"),
    )

    def __repr__(self):
        return f"<Refund {self.id} {self.state} {self.amount} {self.stripe_refund_id}>"


class Dispute(db.Model):
    """A chargeback (or inquiry) the card issuer opened on a payment."""

    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), nullable=False, index=True)
    state = db.Column(db.String(20), nullable=False, default=DisputeState.NEEDS_RESPONSE.value)
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
        db.CheckConstraint(f"state IN {_values(DisputeState)}", name="state"),
    )

    def __repr__(self):
        return f"<Dispute {self.id} {self.state} {self.stripe_dispute_id}>"


# What a donor needs to pay at a konbini or by bank transfer, kept as Stripe gave it.
# What a donor needs to pay at a konbini or by bank transfer, kept as Stripe gave it.
# 
# Copied from the PaymentIntent's next_action when it is confirmed, so the
# payment page and the mail show the same code even if Stripe is unreachable,
# and so expiry can be decided without another call.
ASYNC_METHODS = ("konbini", "bank_transfer")


class PaymentInstructions(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), nullable=False, unique=True)
    method = db.Column(db.String(32), nullable=False)
    expires_at = db.Column(TZDateTime, nullable=False, index=True)
    hosted_url = db.Column(db.String(500))
    # konbini: {"stores": {store: {payment_code, confirmation_number}}};
    # bank_transfer: {"bank": {bank_name, branch_name, ...}, "amount_remaining", "reference"}
    details = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    payment = db.relationship("Payment")

    __table_args__ = (db.CheckConstraint(f"method IN {ASYNC_METHODS}", name="method"),)

    def __repr__(self):
        return f"<PaymentInstructions {self.payment_id} {self.method}>"


class StripeEvent(db.Model):
    """A webhook event we have acted on.

    Inserted in the same transaction as the event's effect; the unique event
    id turns a redelivery into a no-op.
    """

    id = db.Column(db.Integer, primary_key=True)
    stripe_event_id = db.Column(db.String(255), nullable=False, unique=True)
    type = db.Column(db.String(100), nullable=False)
    object_id = db.Column(db.String(255))
    outcome = db.Column(db.String(32), nullable=False, default="processed")
    received_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"<StripeEvent {self.stripe_event_id} {self.type}>"
