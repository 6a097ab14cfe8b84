"""Receipt wording 2026.2: the issuing office's contact and the institute's 法人番号.

Revision ID: 0350_receipt_issuer_details
Revises: 0310_receipt_files

Copied onto each receipt from configuration when it is issued (RECEIPT_ISSUER_OFFICE,
FUND_CONTACT_PHONE, FUND_CONTACT_EMAIL, RECEIPT_ISSUER_CORPORATE_NUMBER), like the
issuer's name and address, so a receipt always prints what it printed when issued.
Receipts issued before are NULL there: their wording (2026.1) does not print them.
On PostgreSQL the trigger of 0310_receipt_files that refuses edits of printed fields
covers these columns too.
"""
import sqlalchemy as sa
from alembic import op

revision = "0350_receipt_issuer_details"
down_revision = "0310_receipt_files"
branch_labels = None
depends_on = None

NEW_COLUMNS = ("issuer_office", "issuer_phone", "issuer_email", "issuer_corporate_number")


def _trigger_function(columns):
    """receipt_printed_fields_fixed() of 0310_receipt_files over `columns`."""
    changed = _load_0310()._changed(columns)
    return f"""
CREATE OR REPLACE FUNCTION receipt_printed_fields_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {changed}
     OR (OLD.sha256 IS NOT NULL AND NEW.sha256 IS DISTINCT FROM OLD.sha256)
     OR (OLD.void_sha256 IS NOT NULL AND NEW.void_sha256 IS DISTINCT FROM OLD.void_sha256)
     OR (OLD.status = 'void' AND NEW.status <> 'void') THEN
    RAISE EXCEPTION 'receipt %: printed fields of an issued receipt cannot change; void and reissue it', OLD.number
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
"""


def _load_0310():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).with_name("0310_receipt_files.py")
    spec = importlib.util.spec_from_file_location("_migration_0310", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_office", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("issuer_phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("issuer_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("issuer_corporate_number", sa.String(length=13),
                                      nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_trigger_function(_load_0310().PRINTED + NEW_COLUMNS))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_trigger_function(_load_0310().PRINTED))
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("issuer_corporate_number")
        batch_op.drop_column("issuer_email")
        batch_op.drop_column("issuer_phone")
        batch_op.drop_column("issuer_office")
