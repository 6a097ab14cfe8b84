"""The office's search at a million gifts: donors' search grams (a GIN index finds 山田 and
林, which trigrams cannot), gift_fact's indexes in the list's order with what the totals
read, and a partial index of the gifts not received (the kept totals leave them out).

Backfills donor.search_grams from search_text (fund.donors.names.grams, copied here so
this migration never changes; on PostgreSQL in one UPDATE).

Revision ID: 0430_office_search
Revises: 0420_receipt_hold_annual
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0430_office_search"
down_revision = "0420_receipt_hold_annual"
branch_labels = None
depends_on = None

SUMS = ["paid", "refunded", "lost", "fee", "net"]
FILTERS = ["status", "method", "designation", "campaign_id", "project_id"]
UNRECEIVED = "month IS NULL OR paid <= 0"
# names.grams in SQL: each character and each pair of adjacent characters of each
# space-separated word.
GRAMS_SQL = """ARRAY(SELECT DISTINCT substr(w, i, n)
    FROM regexp_split_to_table(search_text, ' ') AS w,
         generate_series(1, length(w)) AS i, (VALUES (1), (2)) AS v(n)
    WHERE i + n - 1 <= length(w) ORDER BY 1)"""


def _grams(text):
    found = set()
    for word in (text or "").split(" "):
        found.update(word)
        found.update(word[i:i + 2] for i in range(len(word) - 1))
    return sorted(found)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.add_column("donor", sa.Column("search_grams", postgresql.ARRAY(sa.Text()),
                                         nullable=False, server_default="{}"))
        op.execute(f"UPDATE donor SET search_grams = {GRAMS_SQL} WHERE search_text <> ''")
        op.alter_column("donor", "search_grams", server_default=None)
        op.create_index("ix_donor_search_grams", "donor", ["search_grams"],
                        postgresql_using="gin")
    else:
        with op.batch_alter_table("donor") as batch:
            batch.add_column(sa.Column("search_grams", sa.JSON(), nullable=False,
                                       server_default="[]"))
        bind = op.get_bind()
        donor = sa.table("donor", sa.column("id"), sa.column("search_text"),
                         sa.column("search_grams"))
        for row in bind.execute(sa.select(donor.c.id, donor.c.search_text)).all():
            bind.execute(donor.update().where(donor.c.id == row.id)
                         .values(search_grams=json.dumps(_grams(row.search_text))))
        with op.batch_alter_table("donor") as batch:
            batch.alter_column("search_grams", server_default=None, existing_type=sa.JSON(),
                               existing_nullable=False)
        op.create_index("ix_donor_search_grams", "donor", ["search_grams"])
    for name, columns in (("ix_gift_fact_at", ["at"]),
                          ("ix_gift_fact_campaign_at", ["campaign_id", "at"]),
                          ("ix_gift_fact_project_at", ["project_id", "at"]),
                          ("ix_gift_fact_method_at", ["method", "at"])):
        op.drop_index(name, table_name="gift_fact")
        op.create_index(name, "gift_fact", [*columns, "donation_id"])
    op.drop_index("ix_gift_fact_status_at", table_name="gift_fact")
    op.create_index("ix_gift_fact_status_at", "gift_fact", ["status", "at", "donation_id"],
                    postgresql_include=SUMS)
    op.drop_index("ix_gift_fact_donor_totals", table_name="gift_fact")
    op.create_index("ix_gift_fact_donor_totals", "gift_fact", ["donor_id"],
                    postgresql_include=["at", "donation_id", *SUMS])
    op.create_index("ix_gift_fact_unreceived", "gift_fact", ["at", "donation_id"],
                    postgresql_include=[*FILTERS, *SUMS],
                    postgresql_where=sa.text(UNRECEIVED), sqlite_where=sa.text(UNRECEIVED))


def downgrade():
    op.drop_index("ix_gift_fact_unreceived", table_name="gift_fact")
    op.drop_index("ix_gift_fact_donor_totals", table_name="gift_fact")
    op.create_index("ix_gift_fact_donor_totals", "gift_fact", ["donor_id"],
                    postgresql_include=["amount", *SUMS])
    for name, columns in (("ix_gift_fact_at", ["at"]),
                          ("ix_gift_fact_status_at", ["status", "at"]),
                          ("ix_gift_fact_campaign_at", ["campaign_id", "at"]),
                          ("ix_gift_fact_project_at", ["project_id", "at"]),
                          ("ix_gift_fact_method_at", ["method", "at"])):
        op.drop_index(name, table_name="gift_fact")
        op.create_index(name, "gift_fact", columns)
    op.drop_index("ix_donor_search_grams", table_name="donor")
    with op.batch_alter_table("donor") as batch:
        batch.drop_column("search_grams")
