"""Donor self-service: one-time sign-in links.

Revision ID: 0009_donor_sign_in
Revises: 0008_totals
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_donor_sign_in"
down_revision = "0008_totals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "donor_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_sign_in")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_donor_sign_in_token_sha256")),
    )
    op.create_index(op.f("ix_donor_sign_in_email"), "donor_sign_in", ["email"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_donor_sign_in_email"), table_name="donor_sign_in")
    op.drop_table("donor_sign_in")
