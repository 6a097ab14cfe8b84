"""The receipt season's runs (January annual summaries, filing reminder) and reminders sent.

Revision ID: 0340_receipt_runs
Revises: 0330_receipt_rules
"""
import sqlalchemy as sa
from alembic import op

revision = "0340_receipt_runs"
down_revision = "0330_receipt_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "receipt_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("mailed", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("resumed", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('january', 'reminder')", name=op.f("ck_receipt_run_kind")),
        sa.CheckConstraint("state IN ('running', 'done', 'failed')",
                           name=op.f("ck_receipt_run_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_run")),
        sa.UniqueConstraint("kind", "year", name="uq_receipt_run_kind_year"),
    )
    op.create_table(
        "receipt_reminder",
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipt.id"],
                                name=op.f("fk_receipt_reminder_receipt_id_receipt")),
        sa.PrimaryKeyConstraint("receipt_id", name=op.f("pk_receipt_reminder")),
    )


def downgrade():
    op.drop_table("receipt_reminder")
    op.drop_table("receipt_run")
