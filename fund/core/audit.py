"""Audit entries: written by services inside their own transaction."""
from dataclasses import dataclass

from fund.core.extensions import db
from fund.core.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a donor, a staff user, a Stripe event or the system."""

    type: str
    id: str | None = None

    def __str__(self):
        return f"{self.type}:{self.id}" if self.id else self.type


SYSTEM = Actor("system")


def donor(donor_id=None):
    return Actor("donor", str(donor_id) if donor_id is not None else None)


def staff(user):
    return Actor("staff", str(user.id))


def stripe_event(event_id):
    return Actor("stripe", event_id)


def record(actor, action, subject, **data):
    """Add an audit row for `subject` to the current transaction (no commit)."""
    if subject.id is None:
        db.session.flush()
    entry = AuditEntry(actor_type=actor.type, actor_id=actor.id, action=action,
                       subject_type=type(subject).__tablename__, subject_id=subject.id,
                       data=data)
    db.session.add(entry)
    return entry
