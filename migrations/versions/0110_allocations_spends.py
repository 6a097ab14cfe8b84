"""Ledger: allocation and spend requests (request, approve or reject, the entry booked).

Revision ID: 0110_allocations_spends
Revises: 0320_receipt_season
"""
import sqlalchemy as sa
from alembic import op

revision = "0110_allocations_spends"
down_revision = "0320_receipt_season"
branch_labels = None
depends_on = None

STATES = "('pending', 'booked', 'rejected')"


def _requested(table):
    return [
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["requested_by_id"], ["staff_user.id"],
                                name=op.f(f"fk_{table}_requested_by_id_staff_user")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff_user.id"],
                                name=op.f(f"fk_{table}_decided_by_id_staff_user")),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{table}_amount_positive")),
        sa.CheckConstraint(f"state IN {STATES}", name=op.f(f"ck_{table}_state")),
    ]


def upgrade():
    op.create_table(
        "ledger_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        *_requested("ledger_allocation"),
        sa.CheckConstraint("from_account_id <> to_account_id",
                           name=op.f("ck_ledger_allocation_two_accounts")),
        sa.ForeignKeyConstraint(["from_account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_allocation_from_account_id_ledger_account")),
        sa.ForeignKeyConstraint(["to_account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_allocation_to_account_id_ledger_account")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_ledger_allocation_project_id_project")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"],
                                name=op.f("fk_ledger_allocation_entry_id_ledger_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_allocation")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_ledger_allocation_entry_id")),
    )
    op.create_index(op.f("ix_ledger_allocation_project_id"), "ledger_allocation", ["project_id"])
    op.create_index("ix_ledger_allocation_state", "ledger_allocation", ["state"])
    op.create_table(
        "ledger_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("fund_account_id", sa.Integer(), nullable=False),
        sa.Column("paid_from_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("invoice_number", sa.String(length=100), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("fixed_asset", sa.Boolean(), nullable=False),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.Column("attachment_size", sa.Integer(), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        *_requested("ledger_spend"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_ledger_spend_project_id_project")),
        sa.ForeignKeyConstraint(["fund_account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_spend_fund_account_id_ledger_account")),
        sa.ForeignKeyConstraint(["paid_from_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_spend_paid_from_id_ledger_account")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"],
                                name=op.f("fk_ledger_spend_entry_id_ledger_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_spend")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_ledger_spend_entry_id")),
    )
    op.create_index(op.f("ix_ledger_spend_project_id"), "ledger_spend", ["project_id"])
    op.create_index("ix_ledger_spend_state", "ledger_spend", ["state"])


def downgrade():
    op.drop_index("ix_ledger_spend_state", table_name="ledger_spend")
    op.drop_index(op.f("ix_ledger_spend_project_id"), table_name="ledger_spend")
    op.drop_table("ledger_spend")
    op.drop_index("ix_ledger_allocation_state", table_name="ledger_allocation")
    op.drop_index(op.f("ix_ledger_allocation_project_id"), table_name="ledger_allocation")
    op.drop_table("ledger_allocation")
