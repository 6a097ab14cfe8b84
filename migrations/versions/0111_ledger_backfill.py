"""Ledger: book the entries of every paid, refunded and disputed gift that has none.

Data only (no schema). Runs fund.ledger.backfill inside the migration's own
transaction (the ORM session is bound to the migration's connection for the
run), so the entries commit with the migration or not at all; the keys are
the ones the live bookings use, so a second run, or `flask fund ledger
backfill`, books nothing twice. Downgrade leaves the entries: the ledger is
append-only, and they are true.

Revision ID: 0111_ledger_backfill
Revises: 0110_allocations_spends
"""
from alembic import op

revision = "0111_ledger_backfill"
down_revision = "0110_allocations_spends"
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
