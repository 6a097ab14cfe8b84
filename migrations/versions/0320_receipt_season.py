"""Receipts reach their donors: when each was opened and reminded, and the January run.

Revision ID: 0320_receipt_season
Revises: 0500_donor_side

receipt.opened_at is set the first time the donor opens the receipt's link;
receipt.reminded_at when the 確定申告 reminder went out. receipt_season_run
keeps the progress of the January run (annual summaries issued and mailed)
and of the reminder, one row per year and kind, so a run resumes where it stopped.
"""
import sqlalchemy as sa
from alembic import op

revision = "0320_receipt_season"
down_revision = "0500_donor_side"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "receipt_season_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('january', 'reminder')", name=op.f("ck_receipt_season_run_kind")),
        sa.CheckConstraint("state IN ('running', 'done', 'failed')",
                           name=op.f("ck_receipt_season_run_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_season_run")),
        sa.UniqueConstraint("year", "kind", name="uq_receipt_season_run_year_kind"),
    )


def downgrade():
    op.drop_table("receipt_season_run")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("opened_at")
