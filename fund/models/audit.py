from fund.extensions import db
from fund.models.base import TZDateTime, utcnow

ACTOR_TYPES = ("donor", "staff", "stripe", "system")


class AuditEntry(db.Model):
    """Who did what to which row, and why. Append-only."""

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(TZDateTime, nullable=False, default=utcnow, index=True)
    actor_type = db.Column(db.String(16), nullable=False)
    actor_id = db.Column(db.String(255))
    action = db.Column(db.String(64), nullable=False)
    subject_type = db.Column(db.String(32), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    data = db.Column(db.JSON, nullable=False, default=dict)

    __table_args__ = (
        db.Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        db.CheckConstraint(f"actor_type IN {ACTOR_TYPES}", name="actor_type"),
    )

    def __repr__(self):
        return f"<AuditEntry {self.action} {self.subject_type}:{self.subject_id}>"
