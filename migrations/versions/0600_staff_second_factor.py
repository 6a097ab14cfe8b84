"""Staff: TOTP second factor, recovery codes, a session version per account.

Revision ID: 0600_staff_second_factor
Revises: 0400_office
"""
import sqlalchemy as sa
from alembic import op

revision = "0600_staff_second_factor"
down_revision = "0100_ledger"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "staff_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_user.id"],
                                name=op.f("fk_staff_recovery_code_staff_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_code")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_staff_recovery_code_code_sha256")),
    )
    op.create_index(op.f("ix_staff_recovery_code_staff_id"), "staff_recovery_code",
                    ["staff_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_staff_recovery_code_staff_id"), table_name="staff_recovery_code")
    op.drop_table("staff_recovery_code")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("session_version")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_confirmed_at")
        batch.drop_column("totp_secret")
