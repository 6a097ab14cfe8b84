from fund.extensions import db
from fund.models.base import TZDateTime, utcnow

QUEUED = "queued"
SENT = "sent"
FAILED = "failed"


class OutboundEmail(db.Model):
    """A message to a donor: written in the transaction that causes it, sent after.

    A failed send stays here with its error, visible to the office and retried.
    """

    id = db.Column(db.Integer, primary_key=True)
    to_address = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(300), nullable=False)
    body = db.Column(db.Text, nullable=False)
    kind = db.Column(db.String(32), nullable=False)
    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"))
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"))
    status = db.Column(db.String(16), nullable=False, default=QUEUED, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(500))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(TZDateTime)

    __table_args__ = (
        db.CheckConstraint(f"status IN ('{QUEUED}', '{SENT}', '{FAILED}')", name="status"),
    )
