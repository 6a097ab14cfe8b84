"""Receipts reach their donors: when each receipt's link was first opened.

Revision ID: 0320_receipt_season
Revises: 0500_donor_side

receipt.opened_at is set the first time the donor opens the receipt's link.
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


def downgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
