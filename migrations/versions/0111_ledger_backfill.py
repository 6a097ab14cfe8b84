"""Ledger: book the entries of every paid, refunded and disputed gift that has none.

Data only (no schema). Runs fund.ledger.backfill inside the migration's own
transaction (the ORM session is bound to the migration's connection for the
run), so the entries commit with the migration or not at all; the keys are
the ones the live bookings use, so a second run, or `flask fund ledger
backfill`, books nothing twice. Downgrade leaves the entries: the ledger is
append-only, and they are true.

It runs today's ORM models, so it must run on today's schema: it is the last
migration, and a migration that changes a table the bookings read goes before
it (tests/db/test_ledger_backfill.py upgrades through it with gifts and fails
otherwise).

Revision ID: 0111_ledger_backfill
Revises: 0620_donor_totals
"""
from alembic import op

revision = "0111_ledger_backfill"
down_revision = "0620_donor_totals"
branch_labels = None
depends_on = None


def upgrade():
    from fund.core.extensions import db
    from fund.ledger import backfill

    engines = db.engines
    saved = engines[None]
    db.session.remove()
    engines[None] = op.get_bind()  # the session joins the migration's transaction
    try:
        backfill.run(commit=False)
        db.session.flush()
    finally:
        db.session.remove()
        engines[None] = saved


def downgrade():
    pass
