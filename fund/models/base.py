"""Shared column helpers for the models."""
from datetime import datetime, timezone

from fund.extensions import db


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
