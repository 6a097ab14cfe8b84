"""Finding campaigns and projects: by slug, and the ones open for gifts."""
from fund.campaigns.models import Campaign, Project
from fund.core import clock
from fund.core.extensions import db


def campaign_by_slug(slug):
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()


def destinations(now=None):
    """Campaigns that have started and projects that accept gifts (no totals)."""
    now = now or clock.now()
    campaigns = db.session.execute(
        db.select(Campaign).where(Campaign.starts_at <= now).order_by(Campaign.ends_at)
    ).scalars().all()
    projects = db.session.execute(
        db.select(Project).where(Project.accepts_donations.is_(True)).order_by(Project.id)
    ).scalars().all()
    return campaigns, projects
