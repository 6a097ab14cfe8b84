"""Models of the core: column helpers, the audit log and the mail outbox."""
from datetime import datetime, timezone
from enum import StrEnum

from fund.core.extensions import db


def utcnow():
    return datetime.now(timezone.utc)


class TZDateTime(db.TypeDecorator):
    """Timezone-aware datetimes stored as UTC on SQLite and PostgreSQL alike."""

    impl = db.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a TZDateTime column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


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

class MailStatus(StrEnum):
    """queued -> sent (an SMTP server took it) or logged (no MAIL_SERVER: written to the log);
    queued -> failed (kept with its error and retried until it leaves)."""

    QUEUED = "queued"
    SENT = "sent"
    LOGGED = "logged"
    FAILED = "failed"


MAIL_TRANSITIONS = {
    MailStatus.QUEUED: {MailStatus.SENT, MailStatus.LOGGED, MailStatus.FAILED},
    MailStatus.FAILED: {MailStatus.SENT, MailStatus.LOGGED, MailStatus.FAILED},
    MailStatus.SENT: set(),
    MailStatus.LOGGED: set(),
}
MAIL_STATES = tuple(status.value for status in MailStatus)


class OutboundEmail(db.Model):
    """A message to a donor: written in the transaction that causes it, sent after.

    The text and, when there is one, the HTML body are kept as sent, so the
    office sees exactly what the donor got. A failed send stays here with its
    error, visible to the office and retried.
    """

    id = db.Column(db.Integer, primary_key=True)
    to_address = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(300), nullable=False)
    body = db.Column(db.Text, nullable=False)
    html = db.Column(db.Text)
    kind = db.Column(db.String(32), nullable=False)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), index=True)
    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"))
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), index=True)
    status = db.Column(db.String(16), nullable=False, default=MailStatus.QUEUED.value, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(500))
    message_id = db.Column(db.String(200))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(TZDateTime)

    __table_args__ = (
        db.CheckConstraint(f"status IN {MAIL_STATES}", name="status"),
    )

    def __repr__(self):
        return f"<OutboundEmail {self.id} {self.kind} {self.status}>"
