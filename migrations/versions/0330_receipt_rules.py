"""Receipts follow the rules: gifts marked "no receipt", duplicate payments flagged.

Revision ID: 0330_receipt_rules
Revises: 0350_receipt_issuer_details

donation.no_receipt_reason / no_receipt_at: set when the office voids a receipt
because the gift is not eligible; only an office action with a reason clears them.
donation.duplicate_payment_at: a second payment succeeded on the gift; the excess
waits for a refund (partial index: the dashboard counts the few flagged gifts).
receipt.reissue_reason: why a reissue replaced the receipt it names.
"""
import sqlalchemy as sa
from alembic import op

revision = "0330_receipt_rules"
down_revision = "0350_receipt_issuer_details"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reissue_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("no_receipt_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("no_receipt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("duplicate_payment_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_index("ix_donation_duplicate_payment", "donation", ["duplicate_payment_at"],
                    unique=False, sqlite_where=sa.text("duplicate_payment_at IS NOT NULL"),
                    postgresql_where=sa.text("duplicate_payment_at IS NOT NULL"))


def downgrade():
    op.drop_index("ix_donation_duplicate_payment", table_name="donation")
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.drop_column("duplicate_payment_at")
        batch_op.drop_column("no_receipt_at")
        batch_op.drop_column("no_receipt_reason")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("reissue_reason")
