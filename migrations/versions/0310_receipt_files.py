"""Receipts kept exactly as issued: stored PDF files, holds for unprintable names,
and on PostgreSQL triggers that refuse edits of what a receipt prints.

Revision ID: 0310_receipt_files
Revises: 0110_allocations_spends

receipt_file keeps each receipt's PDF bytes (or, with the S3 backend, the
object's key) as issued and, once void, as stamped 無効. receipt_hold lists
gifts whose receipt waits for the office because a character of the donor's
name or address cannot be printed.
"""
import sqlalchemy as sa
from alembic import op

revision = "0310_receipt_files"
down_revision = "0110_allocations_spends"
branch_labels = None
depends_on = None

# What a receipt prints, or what identifies it: never changed after issue. Status,
# void reason and date, the void file's hash, opened_at and donor_id (a 名寄せ moves
# a receipt to the donor kept; the printed name stays) may change. The SHA-256 may be
# filled once (bulk runs store it after the rows are committed), never changed.
PRINTED = ("series_year", "sequence", "revision", "number", "kind", "language",
           "donor_kind", "donor_name", "donor_representative", "donor_postal_code",
           "donor_address", "amount", "currency", "received_on", "year", "purpose",
           "issuer_name", "issuer_address", "issuer_representative", "issued_on",
           "issuer_seal", "issued_at", "replaces_id")
LINE_PRINTED = ("receipt_id", "donation_id", "amount", "received_on", "purpose")


def _changed(columns):
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


TRIGGERS = f"""
CREATE FUNCTION receipt_printed_fields_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {_changed(PRINTED)}
     OR (OLD.sha256 IS NOT NULL AND NEW.sha256 IS DISTINCT FROM OLD.sha256)
     OR (OLD.void_sha256 IS NOT NULL AND NEW.void_sha256 IS DISTINCT FROM OLD.void_sha256)
     OR (OLD.status = 'void' AND NEW.status <> 'void') THEN
    RAISE EXCEPTION 'receipt %: printed fields of an issued receipt cannot change; void and reissue it', OLD.number
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER receipt_printed_fields_fixed BEFORE UPDATE ON receipt
  FOR EACH ROW EXECUTE FUNCTION receipt_printed_fields_fixed();

CREATE FUNCTION receipt_line_printed_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {_changed(LINE_PRINTED)} THEN
    RAISE EXCEPTION 'receipt lines print what was received and cannot change'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER receipt_line_printed_fixed BEFORE UPDATE ON receipt_line
  FOR EACH ROW EXECUTE FUNCTION receipt_line_printed_fixed();

CREATE FUNCTION receipt_file_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stored receipt files are write-once (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER receipt_file_write_once BEFORE UPDATE OR DELETE ON receipt_file
  FOR EACH ROW EXECUTE FUNCTION receipt_file_write_once();
"""


def upgrade():
    op.create_table(
        "receipt_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=8), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('issued', 'void')", name=op.f("ck_receipt_file_kind")),
        sa.CheckConstraint("backend IN ('db', 's3')", name=op.f("ck_receipt_file_backend")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipt.id"],
                                name=op.f("fk_receipt_file_receipt_id_receipt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_file")),
        sa.UniqueConstraint("receipt_id", "kind", name="uq_receipt_file_receipt_kind"),
    )
    op.create_table(
        "receipt_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("characters", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["donation_id"], ["donation.id"],
                                name=op.f("fk_receipt_hold_donation_id_donation")),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"],
                                name=op.f("fk_receipt_hold_donor_id_donor")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipt.id"],
                                name=op.f("fk_receipt_hold_receipt_id_receipt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_hold")),
    )
    with op.batch_alter_table("receipt_hold") as batch:
        batch.create_index(batch.f("ix_receipt_hold_donation_id"), ["donation_id"])
        batch.create_index(batch.f("ix_receipt_hold_donor_id"), ["donor_id"])
        batch.create_index("uq_receipt_hold_open_donation", ["donation_id"], unique=True,
                           sqlite_where=sa.text("released_at IS NULL"),
                           postgresql_where=sa.text("released_at IS NULL"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGERS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER receipt_file_write_once ON receipt_file")
        op.execute("DROP FUNCTION receipt_file_write_once()")
        op.execute("DROP TRIGGER receipt_line_printed_fixed ON receipt_line")
        op.execute("DROP FUNCTION receipt_line_printed_fixed()")
        op.execute("DROP TRIGGER receipt_printed_fields_fixed ON receipt")
        op.execute("DROP FUNCTION receipt_printed_fields_fixed()")
    op.drop_table("receipt_hold")
    op.drop_table("receipt_file")
