"""What a donor needs to pay at a konbini or by bank transfer, kept as Stripe gave it.

Copied from the PaymentIntent's next_action when it is confirmed, so the
payment page and the mail show the same code even if Stripe is unreachable,
and so expiry can be decided without another call.
"""
from fund.extensions import db
from fund.models.base import TZDateTime, utcnow

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
