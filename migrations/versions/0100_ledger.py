"""The double-entry ledger: accounts, append-only entries and lines, kept totals; closed projects.

On PostgreSQL the database itself refuses an UPDATE or DELETE of a posted
entry or line, and (at commit, a deferred constraint trigger) an entry whose
lines do not balance or that has fewer than two lines.

Revision ID: 0100_ledger
Revises: 0009_donor_sign_in
"""
import sqlalchemy as sa
from alembic import op

from fund.core.models import TZDateTime

revision = "0100_ledger"
down_revision = "0400_office"
branch_labels = None
depends_on = None

CATEGORIES = ("'gift', 'fee', 'refund', 'dispute', 'dispute_fee', 'payout', 'allocation', "
              "'campaign_close', 'spend', 'reversal', 'adjustment'")

TRIGGERS = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % of a posted row of % is refused; book a reversal instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_line
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry integer;
    difference bigint;
    debits bigint;
    line_count integer;
BEGIN
    -- Two statements: a record has only its own table's fields.
    IF TG_TABLE_NAME = 'ledger_entry' THEN
        entry := NEW.id;
    ELSE
        entry := NEW.entry_id;
    END IF;
    SELECT COALESCE(SUM(CASE WHEN side = 'debit' THEN amount ELSE -amount END), 0),
           COALESCE(SUM(CASE WHEN side = 'debit' THEN amount ELSE 0 END), 0), COUNT(*)
      INTO difference, debits, line_count
      FROM ledger_line WHERE entry_id = entry;
    IF difference <> 0 OR line_count < 2 THEN
        RAISE EXCEPTION 'ledger: entry % does not balance (debits - credits = %, % lines)',
            entry, difference, line_count USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> (SELECT amount FROM ledger_entry WHERE id = entry) THEN
        RAISE EXCEPTION 'ledger: entry % says % but its debits are %',
            entry, (SELECT amount FROM ledger_entry WHERE id = entry), debits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_line
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_line;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_balanced();
DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_line;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def upgrade():
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('asset', 'fund')", name=op.f("ck_ledger_account_kind")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_ledger_account_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_ledger_account_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_ledger_account_campaign_id")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_account_code")),
        sa.UniqueConstraint("project_id", name=op.f("uq_ledger_account_project_id")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("posted_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("fixed_asset", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name=op.f("ck_ledger_entry_category")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_entry_amount_positive")),
        sa.ForeignKeyConstraint(["reverses_id"], ["ledger_entry.id"],
                                name=op.f("fk_ledger_entry_reverses_id_ledger_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_entry_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entry_reverses_id")),
    )
    op.create_index("ix_ledger_entry_effective_date", "ledger_entry", ["effective_date"])
    op.create_index("ix_ledger_entry_source", "ledger_entry", ["source_type", "source_id"])
    op.create_table(
        "ledger_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.CheckConstraint("side IN ('debit', 'credit')", name=op.f("ck_ledger_line_side")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_line_amount_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_line_account_id_ledger_account")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"],
                                name=op.f("fk_ledger_line_entry_id_ledger_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_line")),
    )
    op.create_index("ix_ledger_line_entry_id", "ledger_line", ["entry_id"])
    op.create_index("ix_ledger_line_statement", "ledger_line",
                    ["account_id", "effective_date", "entry_id"])
    op.create_table(
        "ledger_day_total",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_day_total_account_id_ledger_account")),
        sa.PrimaryKeyConstraint("account_id", "day", "category", name=op.f("pk_ledger_day_total")),
    )
    op.create_index("ix_ledger_day_total_day", "ledger_day_total", ["day"])
    op.create_table(
        "ledger_month_total",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_account.id"],
                                name=op.f("fk_ledger_month_total_account_id_ledger_account")),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_ledger_month_total")),
    )
    # project.closed_at (a closed project takes no allocations) comes from 0400_office.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGERS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_TRIGGERS)
    op.drop_table("ledger_month_total")
    op.drop_index("ix_ledger_day_total_day", table_name="ledger_day_total")
    op.drop_table("ledger_day_total")
    op.drop_index("ix_ledger_line_statement", table_name="ledger_line")
    op.drop_index("ix_ledger_line_entry_id", table_name="ledger_line")
    op.drop_table("ledger_line")
    op.drop_index("ix_ledger_entry_source", table_name="ledger_entry")
    op.drop_index("ix_ledger_entry_effective_date", table_name="ledger_entry")
    op.drop_table("ledger_entry")
    op.drop_table("ledger_account")
