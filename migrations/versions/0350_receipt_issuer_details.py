"""Receipt wording 2026.2: the issuing office's contact and the institute's 法人番号.

Revision ID: 0350_receipt_issuer_details
Revises: 0310_receipt_files

Copied onto each receipt from configuration when it is issued (RECEIPT_ISSUER_OFFICE,
FUND_CONTACT_PHONE, FUND_CONTACT_EMAIL, RECEIPT_ISSUER_CORPORATE_NUMBER), like the
issuer's name and address, so a receipt always prints what it printed when issued.
Receipts issued before are NULL there: their wording (2026.1) does not print them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0350_receipt_issuer_details"
down_revision = "0310_receipt_files"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_office", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("issuer_phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("issuer_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("issuer_corporate_number", sa.String(length=13),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("issuer_corporate_number")
        batch_op.drop_column("issuer_email")
        batch_op.drop_column("issuer_phone")
        batch_op.drop_column("issuer_office")
