"""Emptying the test database between examples."""
from fund.core.extensions import db


def empty_tables():
    """Remove every row but the schema version (in an app context).

    On PostgreSQL this is TRUNCATE: audit rows refuse DELETE by design.
    """
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "alembic_version"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
