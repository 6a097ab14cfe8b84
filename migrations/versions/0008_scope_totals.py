"""Money raised kept as it moves: scope_total and scope_supporter, backfilled from payments.

Revision ID: 0008_totals
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_totals"
down_revision = "0005"
branch_labels = None
depends_on = None

SCOPES = "scope IN ('fund', 'campaign', 'project')"

# A gift's net amount (paid, less refunds and lost disputes) and when it was paid,
# as fund.giving.totals computes them; written out here so this migration never changes.
GIFTS = """
    SELECT d.donor_id, d.designation, d.campaign_id, d.project_id, d.publish_name,
           (SELECT COALESCE(SUM(p.amount), 0) FROM payment p
             WHERE p.donation_id = d.id AND p.state = 'succeeded')
         - (SELECT COALESCE(SUM(r.amount), 0) FROM refund r JOIN payment p ON p.id = r.payment_id
             WHERE p.donation_id = d.id AND r.state = 'succeeded')
         - (SELECT COALESCE(SUM(x.amount), 0) FROM dispute x JOIN payment p ON p.id = x.payment_id
             WHERE p.donation_id = d.id AND x.state = 'lost') AS net,
           (SELECT MIN(p.succeeded_at) FROM payment p
             WHERE p.donation_id = d.id AND p.state = 'succeeded') AS paid_at
    FROM donation d
"""


def upgrade():
    op.create_table(
        "scope_total",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("raised", sa.BigInteger(), nullable=False),
        sa.Column("supporters", sa.Integer(), nullable=False),
        sa.CheckConstraint(SCOPES, name=op.f("ck_scope_total_scope")),
        sa.PrimaryKeyConstraint("scope", "scope_id", name=op.f("pk_scope_total")),
    )
    op.create_table(
        "scope_supporter",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(SCOPES, name=op.f("ck_scope_supporter_scope")),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"],
                                name=op.f("fk_scope_supporter_donor_id_donor")),
        sa.PrimaryKeyConstraint("scope", "scope_id", "donor_id", name=op.f("pk_scope_supporter")),
    )
    op.create_index("ix_scope_supporter_listing", "scope_supporter",
                    ["scope", "scope_id", "published", "published_since"], unique=False)
    for scope, scope_id, where, group in (
            ("fund", "0", "TRUE", "g.donor_id"),
            ("campaign", "g.campaign_id", "g.designation = 'campaign'", "g.campaign_id, g.donor_id"),
            ("project", "g.project_id", "g.designation = 'project'", "g.project_id, g.donor_id")):
        op.execute(f"""
            INSERT INTO scope_supporter (scope, scope_id, donor_id, net, published, published_since)
            SELECT '{scope}', {scope_id}, g.donor_id, SUM(g.net),
                   MAX(CASE WHEN g.publish_name THEN 1 ELSE 0 END) = 1,
                   MIN(CASE WHEN g.publish_name THEN g.paid_at END)
            FROM ({GIFTS}) AS g
            WHERE g.net > 0 AND {where}
            GROUP BY {group}
        """)
    op.execute("""
        INSERT INTO scope_total (scope, scope_id, raised, supporters)
        SELECT scope, scope_id, SUM(net), COUNT(*) FROM scope_supporter GROUP BY scope, scope_id
    """)


def downgrade():
    op.drop_index("ix_scope_supporter_listing", table_name="scope_supporter")
    op.drop_table("scope_supporter")
    op.drop_table("scope_total")
