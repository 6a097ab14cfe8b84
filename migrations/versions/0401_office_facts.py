"""What the office reads, kept as money moves: gift_fact and month_total, backfilled;
normalised donor search keys (pg_trgm on PostgreSQL).

Revision ID: 0401_office_facts
Revises: 0600_staff_second_factor
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0401_office_facts"
down_revision = "0600_staff_second_factor"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
MONTH = {"postgresql": "CAST(date_trunc('month', {0} AT TIME ZONE 'Asia/Tokyo') AS DATE)",
         "sqlite": "date({0}, '+9 hours', 'start of month')"}

# A gift's facts as fund.office.facts.fact_select computes them; written out here so
# this migration never changes.
FACTS = """
INSERT INTO gift_fact (donation_id, donor_id, at, received_at, month, status, method,
                       designation, campaign_id, project_id, amount, paid, refunded, lost, fee, net)
SELECT d.id, d.donor_id, COALESCE(p.received_at, d.created_at), p.received_at, {month},
  CASE WHEN COALESCE(x.open, 0) = 1 THEN 'disputed'
       WHEN p.paid IS NOT NULL AND p.paid >= d.amount
            AND p.paid - COALESCE(r.refunded, 0) - COALESCE(x.lost, 0) <= 0 THEN 'refunded'
       WHEN p.paid IS NOT NULL AND p.paid >= d.amount
            AND COALESCE(r.refunded, 0) + COALESCE(x.lost, 0) > 0 THEN 'partially_refunded'
       WHEN p.paid IS NOT NULL AND p.paid >= d.amount THEN 'paid'
       WHEN p.last_id IS NULL OR last.state NOT IN ('failed', 'canceled', 'expired') THEN 'pending'
       ELSE 'failed' END,
  COALESCE(first.method, last.method, 'none'), d.designation, d.campaign_id, d.project_id,
  d.amount, COALESCE(p.paid, 0), COALESCE(r.refunded, 0), COALESCE(x.lost, 0),
  COALESCE(p.fee, 0), COALESCE(p.paid, 0) - COALESCE(r.refunded, 0) - COALESCE(x.lost, 0)
FROM donation d
LEFT JOIN (SELECT donation_id,
                  SUM(CASE WHEN state = 'succeeded' THEN amount ELSE 0 END) AS paid,
                  SUM(CASE WHEN state = 'succeeded' THEN COALESCE(fee, 0) ELSE 0 END) AS fee,
                  MIN(CASE WHEN state = 'succeeded' THEN succeeded_at END) AS received_at,
                  MIN(CASE WHEN state = 'succeeded' THEN id END) AS first_id,
                  MAX(id) AS last_id
           FROM payment GROUP BY donation_id) p ON p.donation_id = d.id
LEFT JOIN (SELECT payment.donation_id, SUM(refund.amount) AS refunded
           FROM refund JOIN payment ON payment.id = refund.payment_id
           WHERE refund.state = 'succeeded' GROUP BY payment.donation_id) r ON r.donation_id = d.id
LEFT JOIN (SELECT payment.donation_id,
                  SUM(CASE WHEN dispute.state = 'lost' THEN dispute.amount ELSE 0 END) AS lost,
                  MAX(CASE WHEN dispute.state IN ('needs_response', 'under_review') THEN 1 ELSE 0 END) AS open
           FROM dispute JOIN payment ON payment.id = dispute.payment_id
           GROUP BY payment.donation_id) x ON x.donation_id = d.id
LEFT JOIN payment first ON first.id = p.first_id
LEFT JOIN payment last ON last.id = p.last_id
"""
TOTALS = """
INSERT INTO month_total (month, scope, scope_id, method, gifts, received, refunded, lost, fees)
SELECT month,
       CASE designation WHEN 'campaign' THEN 'campaign' WHEN 'project' THEN 'project' ELSE 'general' END,
       CASE designation WHEN 'campaign' THEN campaign_id WHEN 'project' THEN project_id ELSE 0 END,
       method, COUNT(*), SUM(paid), SUM(refunded), SUM(lost), SUM(fee)
FROM gift_fact WHERE month IS NOT NULL AND paid > 0
GROUP BY 1, 2, 3, 4
"""


def upgrade():
    op.create_table(
        "gift_fact",
        sa.Column("donation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=True),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("designation", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        *[sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("amount", "paid", "refunded", "lost", "fee", "net")],
        sa.CheckConstraint("status IN ('pending', 'failed', 'paid', 'partially_refunded', "
                           "'refunded', 'disputed')", name=op.f("ck_gift_fact_status")),
        sa.ForeignKeyConstraint(["donation_id"], ["donation.id"],
                                name=op.f("fk_gift_fact_donation_id_donation")),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"], name=op.f("fk_gift_fact_donor_id_donor")),
        sa.PrimaryKeyConstraint("donation_id", name=op.f("pk_gift_fact")),
    )
    op.create_index(op.f("ix_gift_fact_donor_id"), "gift_fact", ["donor_id"], unique=False)
    for name, columns in (("at", ["at"]), ("status_at", ["status", "at"]),
                          ("campaign_at", ["campaign_id", "at"]),
                          ("project_at", ["project_id", "at"]), ("method_at", ["method", "at"])):
        op.create_index(f"ix_gift_fact_{name}", "gift_fact", columns, unique=False)
    op.create_table(
        "month_total",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("gifts", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("received", "refunded", "lost", "fees")],
        sa.CheckConstraint("scope IN ('general', 'campaign', 'project')",
                           name=op.f("ck_month_total_scope")),
        sa.PrimaryKeyConstraint("month", "scope", "scope_id", "method", name=op.f("pk_month_total")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(FACTS.format(month=MONTH[dialect].format("p.received_at")))
    op.execute(TOTALS)
    _donor_keys(dialect)


def _fold(text):
    # fund.donors.names.fold as it is today, copied so this migration never changes.
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = text.translate({code: code - 0x60 for code in range(0x30A1, 0x30F7)})
    return text.translate({ord(c): None for c in " \t\r\n・･-‐－ー—―"})


def _digits(text):
    return "".join(c for c in unicodedata.normalize("NFKC", text or "") if c.isdigit())


def _donor_keys(dialect):
    with op.batch_alter_table("donor") as batch:
        for name, size in (("search_text", 1200), ("name_key", 200), ("email_key", 254),
                           ("phone_key", 32), ("address_key", 520)):
            batch.add_column(sa.Column(name, sa.String(size), nullable=False, server_default=""))
        for name in ("name_key", "email_key", "phone_key"):
            batch.create_index(batch.f(f"ix_donor_{name}"), [name], unique=False)
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("merged_at", WHEN, nullable=True))
        batch.create_index(batch.f("ix_donor_merged_into_id"), ["merged_into_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_donor_merged_into_id_donor"), "donor",
                                 ["merged_into_id"], ["id"])
    bind = op.get_bind()
    donor = sa.table("donor", *[sa.column(name) for name in (
        "id", "kind", "name", "name_kana", "company_name", "representative", "email", "phone",
        "postal_code", "address", "search_text", "name_key", "email_key", "phone_key",
        "address_key")])
    rows = bind.execute(sa.select(donor)).mappings().all()
    for row in rows:
        email = unicodedata.normalize("NFKC", row["email"] or "").strip().lower()
        receipt_name = row["company_name"] if row["kind"] == "corporation" else row["name"]
        search = " ".join(part for part in (
            _fold(row["name"]), _fold(row["name_kana"]), _fold(row["company_name"]),
            _fold(row["representative"]), email, _digits(row["phone"])) if part)
        bind.execute(donor.update().where(donor.c.id == row["id"]).values(
            search_text=search[:1200], name_key=_fold(receipt_name)[:200], email_key=email[:254],
            phone_key=_digits(row["phone"])[:32],
            address_key=(_digits(row["postal_code"]) + _fold(row["address"]))[:520]))
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_donor_search_trgm ON donor USING gin (search_text gin_trgm_ops)")
    else:  # the same name, so the schema matches the models; SQLite searches without it
        op.create_index("ix_donor_search_trgm", "donor", ["search_text"], unique=False)


def downgrade():
    op.drop_index("ix_donor_search_trgm", table_name="donor")
    with op.batch_alter_table("donor") as batch:
        batch.drop_constraint(batch.f("fk_donor_merged_into_id_donor"), type_="foreignkey")
        for name in ("name_key", "email_key", "phone_key", "merged_into_id"):
            batch.drop_index(batch.f(f"ix_donor_{name}"))
        for name in ("search_text", "name_key", "email_key", "phone_key", "address_key",
                     "merged_into_id", "merged_at"):
            batch.drop_column(name)
    op.drop_table("month_total")
    op.drop_table("gift_fact")
