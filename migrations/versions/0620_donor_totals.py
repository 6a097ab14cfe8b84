"""The office's search totals per donor: every donor row carries its gifts' count and sums
(gift_count, gift_paid, gift_refunded, gift_lost, gift_fee, gift_net, over gift_fact), so a
search that only names donors reads its totals from the donor rows it finds rather than
from every gift of theirs. Backfilled from gift_fact in one UPDATE. On PostgreSQL the
donor table keeps a tenth of each page free, so the update a gift makes stays on its page.

Revision ID: 0620_donor_totals
Revises: 0610_public_page_reads
"""
import sqlalchemy as sa
from alembic import op

revision = "0620_donor_totals"
down_revision = "0610_public_page_reads"
branch_labels = None
depends_on = None

COLUMNS = {"gift_count": ("count(*)", sa.Integer()), "gift_paid": ("sum(paid)", sa.BigInteger()),
           "gift_refunded": ("sum(refunded)", sa.BigInteger()),
           "gift_lost": ("sum(lost)", sa.BigInteger()), "gift_fee": ("sum(fee)", sa.BigInteger()),
           "gift_net": ("sum(net)", sa.BigInteger())}


def upgrade():
    with op.batch_alter_table("donor") as batch:
        for name, (_sum, kind) in COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=False, server_default="0"))
    sets = ", ".join(f"{name} = s.{name}" for name in COLUMNS)
    sums = ", ".join(f"{summed} AS {name}" for name, (summed, _kind) in COLUMNS.items())
    if op.get_bind().dialect.name == "postgresql":
        # Room on each page for a donor's next version: a gift moves its donor's totals,
        # and with free space that update stays on the page (HOT) and adds nothing to
        # the donor's indexes (the search grams and trigrams hold a hundred entries each).
        op.execute("ALTER TABLE donor SET (fillfactor = 90)")
    # UPDATE … FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(f"UPDATE donor SET {sets} FROM (SELECT donor_id, {sums} FROM gift_fact "
               "GROUP BY donor_id) AS s WHERE s.donor_id = donor.id")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE donor RESET (fillfactor)")
    with op.batch_alter_table("donor") as batch:
        for name in reversed(list(COLUMNS)):
            batch.drop_column(name)
