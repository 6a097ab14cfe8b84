"""Campaigns (crowdfundings with a goal and a deadline) and the projects money is allocated to."""
from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow


class TitledDestination:
    """What campaigns and projects share: a slug for URLs, and a title and text in both languages."""

    slug = db.Column(db.String(64), nullable=False, unique=True)
    title_ja = db.Column(db.String(200), nullable=False)
    title_en = db.Column(db.String(200), nullable=False)
    description_ja = db.Column(db.Text, nullable=False, default="")
    description_en = db.Column(db.Text, nullable=False, default="")

    def title(self, lang):
        return self.title_ja if lang == "ja" else self.title_en

    def description(self, lang):
        return self.description_ja if lang == "ja" else self.description_en


class Campaign(TitledDestination, db.Model):
    """A crowdfunding with a goal and a deadline."""

    id = db.Column(db.Integer, primary_key=True)
    goal_amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    starts_at = db.Column(TZDateTime, nullable=False)
    ends_at = db.Column(TZDateTime, nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    project = db.relationship("Project")

    __table_args__ = (
        db.CheckConstraint("goal_amount > 0", name="goal_positive"),
        db.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    def is_open(self, now):
        return self.starts_at <= now < self.ends_at

    def __repr__(self):
        return f"<Campaign {self.slug}>"


class Project(TitledDestination, db.Model):
    """Something money is allocated to, e.g. the quantum-scalpel magnet equipment."""

    id = db.Column(db.Integer, primary_key=True)
    accepts_donations = db.Column(db.Boolean, nullable=False, default=True)
    # A closed project takes no more allocations; what it holds may still be spent.
    closed_at = db.Column(TZDateTime)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    @property
    def is_closed(self):
        return self.closed_at is not None

    def __repr__(self):
        return f"<Project {self.slug}>"
