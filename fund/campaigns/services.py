"""Finding campaigns and projects: by slug, and the ones open for gifts."""
from fund.campaigns.models import Campaign, CampaignState, DestinationImage, Project, ProjectState
from fund.core import clock
from fund.core.extensions import db


def campaign_by_slug(slug):
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()


def project_by_slug(slug):
    return db.session.execute(db.select(Project).filter_by(slug=slug)).scalar_one_or_none()


def state_by_slug(model, slug):
    """(id, status) of the campaign or project with this slug, or None: two columns, for a
    page that serves a kept rendering and needs the row itself only to make one."""
    return db.session.execute(
        db.select(model.id, model.status).filter_by(slug=slug)).one_or_none()


def campaign_state_by_slug(slug):
    return state_by_slug(Campaign, slug)


def project_state_by_slug(slug):
    return state_by_slug(Project, slug)


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
