"""The office's search totals: gift_fact's donor index carries the amounts (an index-only
scan on PostgreSQL), in place of the plain donor_id index.

Revision ID: 0410_gift_fact_donor_totals
Revises: 0340_receipt_runs
"""
from alembic import op

revision = "0410_gift_fact_donor_totals"
down_revision = "0340_receipt_runs"
branch_labels = None
depends_on = None

INCLUDE = ["amount", "paid", "refunded", "lost", "fee", "net"]


def upgrade():
    op.create_index("ix_gift_fact_donor_totals", "gift_fact", ["donor_id"], unique=False,
                    postgresql_include=INCLUDE)
    op.drop_index("ix_gift_fact_donor_id", table_name="gift_fact")


def downgrade():
    op.create_index("ix_gift_fact_donor_id", "gift_fact", ["donor_id"], unique=False)
    op.drop_index("ix_gift_fact_donor_totals", table_name="gift_fact")
