"""Emptying the test database between tests (or between hypothesis examples).

PostgreSQL: TRUNCATE, which the ledger's append-only triggers (row DELETE)
do not see; SQLite has no such triggers, so a DELETE per table does.
"""
from fund.core.extensions import db


def empty():
    """Remove every row but the schema version; commits."""
    db.session.rollback()
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "alembic_version"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(db.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
