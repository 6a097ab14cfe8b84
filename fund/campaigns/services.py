"""Finding campaigns and projects: by slug, and the ones open for gifts."""
from fund.campaigns.models import Campaign, CampaignState, DestinationImage, Project, ProjectState
from fund.core import clock
from fund.core.extensions import db


def campaign_by_slug(slug):
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()


def project_by_slug(slug):
    return db.session.execute(db.select(Project).filter_by(slug=slug)).scalar_one_or_none()


def destinations(now=None):
    """Published campaigns that have started and open projects that accept gifts (no totals).

    A closed campaign stays listed with its result: it is history, not a draft.
    """
    now = now or clock.now()
    campaigns = db.session.execute(
        db.select(Campaign).where(Campaign.starts_at <= now,
                                  Campaign.status != CampaignState.DRAFT)
        .order_by(Campaign.ends_at)
    ).scalars().all()
    projects = db.session.execute(
        db.select(Project).where(Project.accepts_donations.is_(True),
                                 Project.status == ProjectState.OPEN).order_by(Project.id)
    ).scalars().all()
    return campaigns, projects


def public_image(image_id, staff=False):
    """An image the public may see (its campaign is not a draft), or None; staff see all."""
    image = db.session.get(DestinationImage, image_id)
    if image is None or staff:
        return image
    if image.campaign_id is not None:
        campaign = db.session.get(Campaign, image.campaign_id)
        if campaign.status == CampaignState.DRAFT:
            return None
    return image
