"""Receipt holds for annual summaries: a donor's summary of a year held because a
character of the name or address cannot be printed (kind "annual", year, no gift).

Revision ID: 0420_receipt_hold_annual
Revises: 0410_gift_fact_donor_totals
"""
import sqlalchemy as sa
from alembic import op

revision = "0420_receipt_hold_annual"
down_revision = "0410_gift_fact_donor_totals"
branch_labels = None
depends_on = None

OPEN_ANNUAL = "released_at IS NULL AND kind = 'annual'"


def upgrade():
    with op.batch_alter_table("receipt_hold") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                   server_default="single"))
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch.alter_column("donation_id", existing_type=sa.Integer(), nullable=True)
        batch.create_index("uq_receipt_hold_open_annual", ["donor_id", "year"], unique=True,
                           sqlite_where=sa.text(OPEN_ANNUAL),
                           postgresql_where=sa.text(OPEN_ANNUAL))


def downgrade():
    op.execute("DELETE FROM receipt_hold WHERE kind = 'annual'")
    with op.batch_alter_table("receipt_hold") as batch:
        batch.drop_index("uq_receipt_hold_open_annual")
        batch.alter_column("donation_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("year")
        batch.drop_column("kind")
