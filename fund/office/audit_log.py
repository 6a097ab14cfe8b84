"""The audit log as the office searches it: by who, what, when and subject. Read only.

Audit rows are only ever added (fund.core.audit.record); on PostgreSQL a
trigger refuses any UPDATE or DELETE of them.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from fund.core import clock
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.staff.models import StaffUser

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilters:
    who: str | None = None        # staff email or name, donor:12, stripe, system
    action: str | None = None     # e.g. refund or refund.created
    subject: str | None = None    # donation, donation:12
    date_from: date | None = None
    date_to: date | None = None


def _who(text):
    text = text.strip()
    kind, _, ident = text.partition(":")
    if kind in ("donor", "staff", "stripe", "system"):
        condition = AuditEntry.actor_type == kind
        return condition & (AuditEntry.actor_id == ident) if ident else condition
    staff = db.select(db.cast(StaffUser.id, db.String)).where(
        db.or_(StaffUser.email.ilike(f"%{text}%"), StaffUser.name.ilike(f"%{text}%")))
    return (AuditEntry.actor_type == "staff") & AuditEntry.actor_id.in_(staff)


def search(filters, before_id=None, limit=PAGE_SIZE):
    """Newest first; `before_id` pages back. Returns (rows, staff names by id)."""
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if filters.who:
        query = query.where(_who(filters.who))
    if filters.action:
        action = filters.action.strip()
        query = query.where(AuditEntry.action == action if "." in action
                            else AuditEntry.action.like(f"{action}.%"))
    if filters.subject:
        kind, _, ident = filters.subject.strip().partition(":")
        query = query.where(AuditEntry.subject_type == kind)
        if ident.isdigit():
            query = query.where(AuditEntry.subject_id == int(ident))
    if filters.date_from:
        query = query.where(AuditEntry.at >= clock.jst_midnight(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < clock.jst_midnight(filters.date_to + timedelta(days=1)))
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    rows = db.session.execute(query).scalars().all()
    ids = {int(r.actor_id) for r in rows if r.actor_type == "staff" and (r.actor_id or "").isdigit()}
    names = dict(db.session.execute(db.select(StaffUser.id, StaffUser.email)
                                    .where(StaffUser.id.in_(ids))).all()) if ids else {}
    return rows, names
