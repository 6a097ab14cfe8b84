"""The office's search totals per donor: donor_total, one row per donor with gifts (their
count and sums over gift_fact), so a search that only names donors sums a few thousand
small rows rather than every gift of theirs. Backfilled from gift_fact in one INSERT.

Revision ID: 0620_donor_totals
Revises: 0610_public_page_reads
"""
import sqlalchemy as sa
from alembic import op

revision = "0620_donor_totals"
down_revision = "0610_public_page_reads"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "donor_total",
        sa.Column("donor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gifts", sa.Integer(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("lost", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"],
                                name=op.f("fk_donor_total_donor_id_donor")),
        sa.PrimaryKeyConstraint("donor_id", name=op.f("pk_donor_total")),
    )
    op.execute("INSERT INTO donor_total (donor_id, gifts, paid, refunded, lost, fee, net) "
               "SELECT donor_id, count(*), sum(paid), sum(refunded), sum(lost), sum(fee), "
               "sum(net) FROM gift_fact GROUP BY donor_id")


def downgrade():
    op.drop_table("donor_total")
