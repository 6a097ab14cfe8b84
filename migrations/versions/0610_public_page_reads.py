"""Public campaign and project pages with a million gifts: the 芳名録's named count kept on
scope_total (`named`, filled from scope_supporter), and partial indexes on the gifts that
carry a message a page may show.

Revision ID: 0610_public_page_reads
Revises: 0430_office_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0610_public_page_reads"
down_revision = "0430_office_search"
branch_labels = None
depends_on = None

SHOWN_MESSAGE = "publish_name AND message <> ''"


def upgrade():
    with op.batch_alter_table("scope_total") as batch:
        batch.add_column(sa.Column("named", sa.Integer(), nullable=False, server_default="0"))
    op.execute("""
        UPDATE scope_total SET named = (
            SELECT count(*) FROM scope_supporter s
            WHERE s.scope = scope_total.scope AND s.scope_id = scope_total.scope_id
              AND s.published AND s.net > 0)""")
    for column in ("campaign_id", "project_id"):
        op.create_index(f"ix_donation_{column}_messages", "donation",
                        [column, "created_at", "id"], unique=False,
                        postgresql_where=sa.text(SHOWN_MESSAGE), sqlite_where=sa.text(SHOWN_MESSAGE))


def downgrade():
    for column in ("campaign_id", "project_id"):
        op.drop_index(f"ix_donation_{column}_messages", table_name="donation")
    with op.batch_alter_table("scope_total") as batch:
        batch.drop_column("named")
