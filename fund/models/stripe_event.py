from fund.extensions import db
from fund.models.base import TZDateTime, utcnow


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
