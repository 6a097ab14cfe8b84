"""The office's workspace: campaign and project content, reward tiers, mail in HTML and its
logged state, donor mail consent, and an audit log PostgreSQL will not let anyone edit.

Revision ID: 0400_office
Revises: 0009_donor_sign_in
"""
import sqlalchemy as sa
from alembic import op

revision = "0400_office"
down_revision = "0009_donor_sign_in"
branch_labels = None
depends_on = None

ONE_OWNER = "(campaign_id IS NULL) <> (project_id IS NULL)"
TEXTS = (("story_ja", sa.Text()), ("story_en", sa.Text()),
         ("researcher_name_ja", sa.String(200)), ("researcher_name_en", sa.String(200)),
         ("researcher_title_ja", sa.String(300)), ("researcher_title_en", sa.String(300)),
         ("researcher_bio_ja", sa.Text()), ("researcher_bio_en", sa.Text()))
WHEN = sa.DateTime(timezone=True)

# Audit rows are append-only: PostgreSQL refuses to change or remove one.
AUDIT_TRIGGER = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""


def _owned(name, *columns, checks=()):
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(ONE_OWNER, name=op.f(f"ck_{name}_one_owner")),
        *checks,
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f(f"fk_{name}_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f(f"fk_{name}_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_campaign_id"), name, ["campaign_id"], unique=False)
    op.create_index(op.f(f"ix_{name}_project_id"), name, ["project_id"], unique=False)


def upgrade():
    for table in ("campaign", "project"):
        with op.batch_alter_table(table) as batch:
            for column, kind in TEXTS:
                batch.add_column(sa.Column(column, kind, nullable=False, server_default=""))
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("stretch_goal_amount", sa.BigInteger(), nullable=True))
        # Campaigns made before funding models existed kept their money whatever the
        # total: they are All-In, so the deadline job refunds nothing they took.
        batch.add_column(sa.Column("funding_model", sa.String(16), nullable=False,
                                   server_default="all_in"))
        # Campaigns made before drafts existed were live: they stay published.
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="published"))
        batch.add_column(sa.Column("published_at", WHEN, nullable=True))
        batch.add_column(sa.Column("closed_at", WHEN, nullable=True))
        batch.create_check_constraint(
            "stretch_above_goal", "stretch_goal_amount IS NULL OR stretch_goal_amount > goal_amount")
        batch.create_check_constraint("funding_model",
                                      "funding_model IN ('all_or_nothing', 'all_in')")
        batch.create_check_constraint(
            "status", "status IN ('draft', 'published', 'succeeded', 'failed')")
        batch.create_index("ix_campaign_status_ends_at", ["status", "ends_at"], unique=False)
    op.execute("UPDATE campaign SET published_at = starts_at")
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("closed_at", WHEN, nullable=True))
        batch.create_check_constraint("status", "status IN ('open', 'closed')")

    _owned("destination_image",
           sa.Column("content_type", sa.String(32), nullable=False),
           sa.Column("data", sa.LargeBinary(), nullable=False),
           sa.Column("byte_size", sa.Integer(), nullable=False),
           sa.Column("sha256", sa.String(64), nullable=False),
           sa.Column("alt_ja", sa.String(300), nullable=False),
           sa.Column("alt_en", sa.String(300), nullable=False),
           sa.Column("position", sa.Integer(), nullable=False),
           sa.Column("created_at", WHEN, nullable=False),
           checks=[sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/webp')",
                                      name=op.f("ck_destination_image_content_type"))])
    _owned("amount_preset",
           sa.Column("amount", sa.BigInteger(), nullable=False),
           sa.Column("label_ja", sa.String(200), nullable=False),
           sa.Column("label_en", sa.String(200), nullable=False),
           sa.Column("position", sa.Integer(), nullable=False),
           checks=[sa.CheckConstraint("amount > 0", name=op.f("ck_amount_preset_amount_positive"))])
    _owned("activity_report",
           sa.Column("title_ja", sa.String(200), nullable=False),
           sa.Column("title_en", sa.String(200), nullable=False),
           sa.Column("body_ja", sa.Text(), nullable=False),
           sa.Column("body_en", sa.Text(), nullable=False),
           sa.Column("posted_at", WHEN, nullable=False),
           sa.Column("posted_by_id", sa.Integer(), nullable=True),
           sa.Column("mailed_at", WHEN, nullable=True),
           checks=[sa.ForeignKeyConstraint(["posted_by_id"], ["staff_user.id"],
                                           name=op.f("fk_activity_report_posted_by_id_staff_user"))])
    op.create_table(
        "reward_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("min_amount", sa.BigInteger(), nullable=False),
        sa.Column("title_ja", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("description_ja", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("claimed >= 0 AND (quantity IS NULL OR claimed <= quantity)",
                           name=op.f("ck_reward_tier_claimed_within_quantity")),
        sa.CheckConstraint("min_amount > 0", name=op.f("ck_reward_tier_min_amount_positive")),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0",
                           name=op.f("ck_reward_tier_quantity_not_negative")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_reward_tier_campaign_id_campaign")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_tier")),
    )
    op.create_index(op.f("ix_reward_tier_campaign_id"), "reward_tier", ["campaign_id"],
                    unique=False)

    with op.batch_alter_table("donation") as batch:
        batch.add_column(sa.Column("reward_tier_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_donation_reward_tier_id"), ["reward_tier_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_donation_reward_tier_id_reward_tier"), "reward_tier",
                                 ["reward_tier_id"], ["id"])
    with op.batch_alter_table("donor") as batch:
        batch.add_column(sa.Column("wants_news", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("wants_reports", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("mail_preferences_at", WHEN, nullable=True))
    with op.batch_alter_table("outbound_email") as batch:
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch.add_column(sa.Column("donor_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(200), nullable=True))
        batch.create_index(batch.f("ix_outbound_email_donation_id"), ["donation_id"], unique=False)
        batch.create_index(batch.f("ix_outbound_email_donor_id"), ["donor_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_outbound_email_donor_id_donor"), "donor",
                                 ["donor_id"], ["id"])
        batch.drop_constraint(op.f("ck_outbound_email_status"), type_="check")
        batch.create_check_constraint("status",
                                      "status IN ('queued', 'sent', 'logged', 'failed')")
    # Mail queued with a donation belongs to that gift's donor.
    op.execute("UPDATE outbound_email SET donor_id = (SELECT donation.donor_id FROM donation"
               " WHERE donation.id = outbound_email.donation_id) WHERE donation_id IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(AUDIT_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_append_only()")
    op.execute("UPDATE outbound_email SET status = 'sent' WHERE status = 'logged'")
    with op.batch_alter_table("outbound_email") as batch:
        batch.drop_constraint(op.f("ck_outbound_email_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('queued', 'sent', 'failed')")
        batch.drop_constraint(batch.f("fk_outbound_email_donor_id_donor"), type_="foreignkey")
        batch.drop_index(batch.f("ix_outbound_email_donor_id"))
        batch.drop_index(batch.f("ix_outbound_email_donation_id"))
        for column in ("message_id", "donor_id", "html"):
            batch.drop_column(column)
    with op.batch_alter_table("donor") as batch:
        for column in ("mail_preferences_at", "wants_reports", "wants_news"):
            batch.drop_column(column)
    with op.batch_alter_table("donation") as batch:
        batch.drop_constraint(batch.f("fk_donation_reward_tier_id_reward_tier"), type_="foreignkey")
        batch.drop_index(batch.f("ix_donation_reward_tier_id"))
        batch.drop_column("reward_tier_id")
    op.drop_table("reward_tier")
    for name in ("activity_report", "amount_preset", "destination_image"):
        op.drop_table(name)
    with op.batch_alter_table("project") as batch:
        batch.drop_constraint(op.f("ck_project_status"), type_="check")
        batch.drop_column("closed_at")
        batch.drop_column("status")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_index("ix_campaign_status_ends_at")
        for name in ("stretch_above_goal", "funding_model", "status"):
            batch.drop_constraint(op.f(f"ck_campaign_{name}"), type_="check")
        for column in ("closed_at", "published_at", "status", "funding_model",
                       "stretch_goal_amount"):
            batch.drop_column(column)
    for table in ("project", "campaign"):
        with op.batch_alter_table(table) as batch:
            for column, _kind in TEXTS:
                batch.drop_column(column)
