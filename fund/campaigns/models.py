"""Campaigns (crowdfundings with a goal and a deadline) and the projects money is allocated to.

Both carry the same content: a story, the researcher, pictures, amount presets
and activity reports (活動報告). Campaigns also have reward tiers (リターン), a
funding model and a life cycle (draft, published, then succeeded or failed,
each once); projects are open or closed (the ledger allocates to open ones only).
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow


class CampaignState(StrEnum):
    """draft -> published -> succeeded | failed. A closed campaign never reopens."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


CAMPAIGN_TRANSITIONS = {
    CampaignState.DRAFT: {CampaignState.PUBLISHED},
    # Back to draft hides a campaign published by mistake; closing happens once.
    CampaignState.PUBLISHED: {CampaignState.DRAFT, CampaignState.SUCCEEDED, CampaignState.FAILED},
    CampaignState.SUCCEEDED: set(),
    CampaignState.FAILED: set(),
}
CAMPAIGN_STATES = tuple(state.value for state in CampaignState)
CLOSED_CAMPAIGN_STATES = (CampaignState.SUCCEEDED, CampaignState.FAILED)


class FundingModel(StrEnum):
    """All-or-Nothing keeps the money only if the goal is reached; All-In keeps it either way."""

    ALL_OR_NOTHING = "all_or_nothing"
    ALL_IN = "all_in"


FUNDING_MODELS = tuple(model.value for model in FundingModel)


class ProjectState(StrEnum):
    """open <-> closed. A closed project takes no gifts and no allocations."""

    OPEN = "open"
    CLOSED = "closed"


PROJECT_TRANSITIONS = {ProjectState.OPEN: {ProjectState.CLOSED},
                       ProjectState.CLOSED: {ProjectState.OPEN}}
PROJECT_STATES = tuple(state.value for state in ProjectState)


class TitledDestination:
    """What campaigns and projects share: slug, title, text, story and the researcher (ja/en)."""

    slug = db.Column(db.String(64), nullable=False, unique=True)
    title_ja = db.Column(db.String(200), nullable=False)
    title_en = db.Column(db.String(200), nullable=False)
    description_ja = db.Column(db.Text, nullable=False, default="")
    description_en = db.Column(db.Text, nullable=False, default="")
    story_ja = db.Column(db.Text, nullable=False, default="")
    story_en = db.Column(db.Text, nullable=False, default="")
    researcher_name_ja = db.Column(db.String(200), nullable=False, default="")
    researcher_name_en = db.Column(db.String(200), nullable=False, default="")
    # Affiliation and title, e.g. 「量子医科学研究所 主任研究員」.
    researcher_title_ja = db.Column(db.String(300), nullable=False, default="")
    researcher_title_en = db.Column(db.String(300), nullable=False, default="")
    researcher_bio_ja = db.Column(db.Text, nullable=False, default="")
    researcher_bio_en = db.Column(db.Text, nullable=False, default="")

    def text(self, field, lang):
        """The `field` (title, description, story, researcher_name …) in `lang`, else Japanese."""
        value = getattr(self, f"{field}_{'en' if lang == 'en' else 'ja'}")
        return value or getattr(self, f"{field}_ja")

    def title(self, lang):
        return self.title_ja if lang == "ja" else self.title_en

    def description(self, lang):
        return self.description_ja if lang == "ja" else self.description_en


class Campaign(TitledDestination, db.Model):
    """A crowdfunding with a goal and a deadline."""

    id = db.Column(db.Integer, primary_key=True)
    goal_amount = db.Column(db.BigInteger, nullable=False)
    # The second (stretch) goal set after success; always above the first.
    stretch_goal_amount = db.Column(db.BigInteger)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    # All-In unless the office chooses otherwise: only a choice made on purpose refunds.
    funding_model = db.Column(db.String(16), nullable=False, default=FundingModel.ALL_IN.value)
    status = db.Column(db.String(16), nullable=False, default=CampaignState.DRAFT.value)
    starts_at = db.Column(TZDateTime, nullable=False)
    ends_at = db.Column(TZDateTime, nullable=False)
    published_at = db.Column(TZDateTime)
    closed_at = db.Column(TZDateTime)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    project = db.relationship("Project")
    presets = db.relationship("AmountPreset", order_by="AmountPreset.position",
                              primaryjoin="Campaign.id == AmountPreset.campaign_id",
                              viewonly=True)
    images = db.relationship("DestinationImage", order_by="DestinationImage.position",
                             primaryjoin="Campaign.id == DestinationImage.campaign_id",
                             viewonly=True)
    reports = db.relationship("ActivityReport", order_by="ActivityReport.posted_at.desc()",
                              primaryjoin="Campaign.id == ActivityReport.campaign_id",
                              viewonly=True)
    tiers = db.relationship("RewardTier", order_by="RewardTier.position", viewonly=True)

    __table_args__ = (
        db.CheckConstraint("goal_amount > 0", name="goal_positive"),
        db.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        db.CheckConstraint("stretch_goal_amount IS NULL OR stretch_goal_amount > goal_amount",
                           name="stretch_above_goal"),
        db.CheckConstraint(f"funding_model IN {FUNDING_MODELS}", name="funding_model"),
        db.CheckConstraint(f"status IN {CAMPAIGN_STATES}", name="status"),
        db.Index("ix_campaign_status_ends_at", "status", "ends_at"),
    )

    @property
    def is_published(self):
        return self.status == CampaignState.PUBLISHED

    @property
    def is_closed(self):
        return self.status in CLOSED_CAMPAIGN_STATES

    def is_open(self, now):
        """Taking gifts: published, started and not yet at its deadline."""
        return self.is_published and self.starts_at <= now < self.ends_at

    def __repr__(self):
        return f"<Campaign {self.slug} {self.status}>"


class Project(TitledDestination, db.Model):
    """Something money is allocated to, e.g. the quantum-scalpel magnet equipment."""

    id = db.Column(db.Integer, primary_key=True)
    accepts_donations = db.Column(db.Boolean, nullable=False, default=True)
    status = db.Column(db.String(16), nullable=False, default=ProjectState.OPEN.value)
    closed_at = db.Column(TZDateTime)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    presets = db.relationship("AmountPreset", order_by="AmountPreset.position",
                              primaryjoin="Project.id == AmountPreset.project_id", viewonly=True)
    images = db.relationship("DestinationImage", order_by="DestinationImage.position",
                             primaryjoin="Project.id == DestinationImage.project_id",
                             viewonly=True)
    reports = db.relationship("ActivityReport", order_by="ActivityReport.posted_at.desc()",
                              primaryjoin="Project.id == ActivityReport.project_id",
                              viewonly=True)

    __table_args__ = (db.CheckConstraint(f"status IN {PROJECT_STATES}", name="status"),)

    @property
    def is_open(self):
        return self.status == ProjectState.OPEN

    @property
    def is_closed(self):
        # A closed project takes no more gifts or allocations; what it holds may still be spent.
        return not self.is_open

    @property
    def takes_gifts(self):
        return self.is_open and self.accepts_donations

    def __repr__(self):
        return f"<Project {self.slug} {self.status}>"


# One owner, a campaign or a project: exactly one of the two keys is set.
ONE_OWNER = "(campaign_id IS NULL) <> (project_id IS NULL)"


class OwnedByDestination:
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)

    @property
    def owner_key(self):
        return ("campaign", self.campaign_id) if self.campaign_id else ("project", self.project_id)


IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


class DestinationImage(OwnedByDestination, db.Model):
    """A picture of a campaign or project, its bytes kept in the database; never changed."""

    id = db.Column(db.Integer, primary_key=True)
    content_type = db.Column(db.String(32), nullable=False)
    data = db.deferred(db.Column(db.LargeBinary, nullable=False))
    byte_size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    alt_ja = db.Column(db.String(300), nullable=False, default="")
    alt_en = db.Column(db.String(300), nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.CheckConstraint(ONE_OWNER, name="one_owner"),
        db.CheckConstraint(f"content_type IN {IMAGE_TYPES}", name="content_type"),
    )

    def alt(self, lang):
        return (self.alt_en if lang == "en" else self.alt_ja) or self.alt_ja

    def __repr__(self):
        return f"<DestinationImage {self.id} {self.content_type}>"


class AmountPreset(OwnedByDestination, db.Model):
    """A suggested amount and what it does, e.g. 「¥3,000で試料1件を分析」."""

    id = db.Column(db.Integer, primary_key=True)
    amount = db.Column(db.BigInteger, nullable=False)
    label_ja = db.Column(db.String(200), nullable=False, default="")
    label_en = db.Column(db.String(200), nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (
        db.CheckConstraint(ONE_OWNER, name="one_owner"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
    )

    def label(self, lang):
        return (self.label_en if lang == "en" else self.label_ja) or self.label_ja

    def __repr__(self):
        return f"<AmountPreset {self.amount}>"


class RewardTier(db.Model):
    """A リターン of a campaign: from `min_amount` up, `quantity` of them (NULL: unlimited).

    `claimed` counts the gifts holding one; it is raised by a conditional
    UPDATE (fund.campaigns.rewards), so two donors can never take the last one.
    """

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), nullable=False, index=True)
    min_amount = db.Column(db.BigInteger, nullable=False)
    title_ja = db.Column(db.String(200), nullable=False)
    title_en = db.Column(db.String(200), nullable=False, default="")
    description_ja = db.Column(db.Text, nullable=False, default="")
    description_en = db.Column(db.Text, nullable=False, default="")
    quantity = db.Column(db.Integer)
    claimed = db.Column(db.Integer, nullable=False, default=0)
    position = db.Column(db.Integer, nullable=False, default=0)

    campaign = db.relationship("Campaign")

    __table_args__ = (
        db.CheckConstraint("min_amount > 0", name="min_amount_positive"),
        db.CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        db.CheckConstraint("claimed >= 0 AND (quantity IS NULL OR claimed <= quantity)",
                           name="claimed_within_quantity"),
    )

    @property
    def remaining(self):
        """How many are left, or None when unlimited."""
        return None if self.quantity is None else max(self.quantity - self.claimed, 0)

    @property
    def sold_out(self):
        return self.quantity is not None and self.claimed >= self.quantity

    def title(self, lang):
        return (self.title_en if lang == "en" else self.title_ja) or self.title_ja

    def description(self, lang):
        return (self.description_en if lang == "en" else self.description_ja) or self.description_ja

    def __repr__(self):
        return f"<RewardTier {self.id} from {self.min_amount}>"


class ActivityReport(OwnedByDestination, db.Model):
    """A 活動報告 posted by the office; mailed once to the supporters who did not opt out."""

    id = db.Column(db.Integer, primary_key=True)
    title_ja = db.Column(db.String(200), nullable=False)
    title_en = db.Column(db.String(200), nullable=False, default="")
    body_ja = db.Column(db.Text, nullable=False)
    body_en = db.Column(db.Text, nullable=False, default="")
    posted_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    posted_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    mailed_at = db.Column(TZDateTime)

    posted_by = db.relationship("StaffUser")

    __table_args__ = (db.CheckConstraint(ONE_OWNER, name="one_owner"),)

    def title(self, lang):
        return (self.title_en if lang == "en" else self.title_ja) or self.title_ja

    def body(self, lang):
        return (self.body_en if lang == "en" else self.body_ja) or self.body_ja

    def __repr__(self):
        return f"<ActivityReport {self.id}>"
