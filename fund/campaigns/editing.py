"""The office writes campaigns and projects: content, goals and dates, presets, tiers, pictures.

Every function checks what it is given, refuses with a message naming the
field (nothing is half-saved), writes an audit row and commits once.
Closing a campaign at its deadline is not here: fund.office.deadlines does it.
"""
import re

from flask_babel import force_locale, gettext

from fund.campaigns import media
from fund.campaigns.models import (CAMPAIGN_TRANSITIONS, PROJECT_TRANSITIONS, ActivityReport,
                                   AmountPreset, Campaign, CampaignState, DestinationImage,
                                   FundingModel, Project, ProjectState, RewardTier)
from fund.core import audit, clock
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
TEXT_FIELDS = ("title_ja", "title_en", "description_ja", "description_en", "story_ja",
               "story_en", "researcher_name_ja", "researcher_name_en", "researcher_title_ja",
               "researcher_title_en", "researcher_bio_ja", "researcher_bio_en")
MAX_AMOUNT = 10_000_000_000


def _refuse(errors):
    raise ValidationFailed(gettext("Please check the highlighted fields."), errors=errors)


def _common_errors(model, row, data):
    errors = {}
    slug = data.get("slug")
    if not slug or not SLUG.fullmatch(slug) or len(slug) > 64:
        errors["slug"] = gettext("Use lower-case letters, digits and hyphens, e.g. laser-2027.")
    else:
        other = db.session.execute(db.select(model.id).filter_by(slug=slug)).scalar_one_or_none()
        if other is not None and (row is None or other != row.id):
            errors["slug"] = gettext("Another page already uses this address.")
    if not data.get("title_ja"):
        errors["title_ja"] = gettext("This field is required.")
    for field in ("title_ja", "title_en"):
        if len(data.get(field) or "") > 200:
            errors[field] = gettext("Use at most %(count)s characters.", count=200)
    return errors


def save_campaign(*, data, actor, lang, campaign=None):
    """Create a campaign (as a draft) or change one; returns it. Commits."""
    with force_locale(lang):
        errors = _common_errors(Campaign, campaign, data)
        goal, starts, ends = data.get("goal_amount"), data.get("starts_at"), data.get("ends_at")
        if not isinstance(goal, int) or not 0 < goal <= MAX_AMOUNT:
            errors["goal_amount"] = gettext("Enter the goal in whole yen, e.g. 3000000.")
        if starts is None:
            errors["starts_at"] = gettext("This field is required.")
        if ends is None:
            errors["ends_at"] = gettext("This field is required.")
        elif starts is not None and ends <= starts:
            errors["ends_at"] = gettext("The campaign must end after it starts.")
        model = data.get("funding_model")
        if model not in {m.value for m in FundingModel}:
            errors["funding_model"] = gettext("Choose All-or-Nothing or All-In.")
        elif campaign is not None and campaign.status != CampaignState.DRAFT \
                and model != campaign.funding_model:
            errors["funding_model"] = gettext(
                "The funding model cannot change once the campaign is published: "
                "donors gave under it.")
        if data.get("project_id") is not None and db.session.get(Project, data["project_id"]) is None:
            errors["project_id"] = gettext("Choose a project from the list.")
        if campaign is not None and campaign.is_closed:
            errors["status"] = gettext("A closed campaign can no longer be changed.")
        stretch = campaign.stretch_goal_amount if campaign is not None else None
        if stretch is not None and isinstance(goal, int) and stretch <= goal:
            errors["goal_amount"] = gettext("The goal must stay below the second goal (%(amount)s).",
                                            amount=f"¥{stretch:,}")
        if errors:
            _refuse(errors)
    created = campaign is None
    if created:
        campaign = Campaign(status=CampaignState.DRAFT)
        db.session.add(campaign)
    before = {} if created else _snapshot(campaign)
    for field in ("slug", "goal_amount", "starts_at", "ends_at", "funding_model", "project_id",
                  *TEXT_FIELDS):
        if field in data:
            setattr(campaign, field, data[field] if data[field] is not None or field == "project_id"
                    else "")
    db.session.flush()
    changed = {k: v for k, v in _snapshot(campaign).items() if before.get(k) != v}
    audit.record(actor, "campaign.created" if created else "campaign.changed", campaign,
                 changed=sorted(changed))
    db.session.commit()
    return campaign


def _snapshot(row):
    return {field: str(getattr(row, field)) for field in (
        "slug", "goal_amount", "starts_at", "ends_at", "funding_model", "project_id",
        *TEXT_FIELDS) if hasattr(row, field)}


def move_campaign(*, campaign, to, actor, lang):
    """Publish a draft or take a published campaign back to draft. Commits."""
    to = CampaignState(to)
    if to not in (CampaignState.PUBLISHED, CampaignState.DRAFT) \
            or to not in CAMPAIGN_TRANSITIONS[CampaignState(campaign.status)]:
        with force_locale(lang):
            raise Conflict(gettext("This campaign cannot go from %(old)s to %(new)s.",
                                   old=campaign.status, new=to.value), code="transition")
    previous = campaign.status
    campaign.status = to
    if to == CampaignState.PUBLISHED and campaign.published_at is None:
        campaign.published_at = clock.now()
    audit.record(actor, f"campaign.{to}", campaign, previous=previous)
    db.session.commit()
    return campaign


def set_stretch_goal(*, campaign, amount, actor, lang, raised):
    """The second goal, once the first is reached; always above the first. Commits."""
    with force_locale(lang):
        if not isinstance(amount, int) or amount <= 0:
            _refuse({"stretch_goal_amount": gettext("Enter the second goal in whole yen.")})
        if amount <= campaign.goal_amount:
            _refuse({"stretch_goal_amount": gettext(
                "The second goal must be above the first (%(amount)s).",
                amount=f"¥{campaign.goal_amount:,}")})
        if raised < campaign.goal_amount and campaign.status != CampaignState.SUCCEEDED:
            raise Conflict(gettext("A second goal is set once the first is reached."),
                           code="goal_not_reached")
    previous = campaign.stretch_goal_amount
    campaign.stretch_goal_amount = amount
    audit.record(actor, "campaign.stretch_goal", campaign, previous=previous, amount=amount)
    db.session.commit()
    return campaign


def save_project(*, data, actor, lang, project=None):
    """Create or change a project's page. Commits."""
    with force_locale(lang):
        errors = _common_errors(Project, project, data)
        if errors:
            _refuse(errors)
    created = project is None
    if created:
        project = Project(status=ProjectState.OPEN)
        db.session.add(project)
    for field in ("slug", "accepts_donations", *TEXT_FIELDS):
        if field in data:
            setattr(project, field, data[field] if data[field] is not None else "")
    db.session.flush()
    audit.record(actor, "project.created" if created else "project.changed", project)
    db.session.commit()
    return project


def move_project(*, project, to, actor, lang):
    """Close a project (no more gifts or allocations) or open it again. Commits."""
    to = ProjectState(to)
    if to not in PROJECT_TRANSITIONS[ProjectState(project.status)]:
        with force_locale(lang):
            raise Conflict(gettext("This project is already %(state)s.", state=project.status),
                           code="transition")
    project.status = to
    project.closed_at = clock.now() if to == ProjectState.CLOSED else None
    audit.record(actor, f"project.{to}", project)
    db.session.commit()
    return project


def _owner_key(owner):
    return {"campaign_id": owner.id} if isinstance(owner, Campaign) else {"project_id": owner.id}


def replace_presets(*, owner, presets, actor, lang):
    """The amount presets, in order: [(amount, label_ja, label_en)]. Commits."""
    with force_locale(lang):
        errors = {}
        for index, (amount, label_ja, label_en) in enumerate(presets):
            if not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
                errors[f"preset_{index}"] = gettext("Enter the amount in whole yen, e.g. 3000.")
            elif len(label_ja) > 200 or len(label_en) > 200:
                errors[f"preset_{index}"] = gettext("Use at most %(count)s characters.", count=200)
        if errors:
            _refuse(errors)
    key = _owner_key(owner)
    db.session.execute(db.delete(AmountPreset).filter_by(**key))
    for position, (amount, label_ja, label_en) in enumerate(presets):
        db.session.add(AmountPreset(amount=amount, label_ja=label_ja, label_en=label_en,
                                    position=position, **key))
    audit.record(actor, "content.presets", owner, amounts=[p[0] for p in presets])
    db.session.commit()


def save_tier(*, campaign, data, actor, lang, tier=None):
    """Add a reward tier or change one; the quantity never goes below what is claimed. Commits."""
    with force_locale(lang):
        errors = {}
        if not isinstance(data.get("min_amount"), int) or not 0 < data["min_amount"] <= MAX_AMOUNT:
            errors["min_amount"] = gettext("Enter the minimum gift in whole yen, e.g. 10000.")
        if not data.get("title_ja"):
            errors["title_ja"] = gettext("This field is required.")
        quantity = data.get("quantity")
        if quantity is not None:
            if not isinstance(quantity, int) or quantity < 0:
                errors["quantity"] = gettext("The quantity cannot be negative; leave it blank for no limit.")
            elif tier is not None and quantity < tier.claimed:
                errors["quantity"] = gettext("%(count)s are already claimed; the quantity cannot be lower.",
                                             count=tier.claimed)
        if campaign.is_closed:
            errors["campaign"] = gettext("A closed campaign can no longer be changed.")
        if errors:
            _refuse(errors)
    created = tier is None
    if created:
        position = len(campaign.tiers)
        tier = RewardTier(campaign_id=campaign.id, position=position, claimed=0)
        db.session.add(tier)
    for field in ("min_amount", "title_ja", "title_en", "description_ja", "description_en",
                  "quantity"):
        if field in data:
            value = data[field]
            setattr(tier, field, value if value is not None or field == "quantity" else "")
    db.session.flush()
    audit.record(actor, "reward_tier.created" if created else "reward_tier.changed", tier,
                 campaign=campaign.id, quantity=tier.quantity, min_amount=tier.min_amount)
    db.session.commit()
    return tier


def add_image(*, owner, data, alt_ja, alt_en, actor, lang):
    """Keep an uploaded picture (PNG, JPEG or WebP, checked by its bytes). Commits."""
    content_type, digest = media.checked_image(data, lang)
    key = _owner_key(owner)
    position = db.session.execute(db.select(db.func.count()).select_from(DestinationImage)
                                  .filter_by(**key)).scalar_one()
    image = DestinationImage(content_type=content_type, data=data, byte_size=len(data),
                             sha256=digest, alt_ja=(alt_ja or "")[:300], alt_en=(alt_en or "")[:300],
                             position=position, **key)
    db.session.add(image)
    db.session.flush()
    audit.record(actor, "content.image_added", owner, image=image.id, sha256=digest)
    db.session.commit()
    return image


def remove_image(*, owner, image, actor):
    """Take a picture off the page. Commits."""
    audit.record(actor, "content.image_removed", owner, image=image.id, sha256=image.sha256)
    db.session.delete(image)
    db.session.commit()


def post_report(*, owner, data, actor, staff_id, lang):
    """Post a 活動報告 (shown on the page at once; mailed by fund.office.reports). Commits."""
    with force_locale(lang):
        errors = {}
        if not data.get("title_ja"):
            errors["title_ja"] = gettext("This field is required.")
        if not data.get("body_ja"):
            errors["body_ja"] = gettext("This field is required.")
        for field in ("title_ja", "title_en"):
            if len(data.get(field) or "") > 200:
                errors[field] = gettext("Use at most %(count)s characters.", count=200)
        if errors:
            _refuse(errors)
    report = ActivityReport(title_ja=data["title_ja"], title_en=data.get("title_en") or "",
                            body_ja=data["body_ja"], body_en=data.get("body_en") or "",
                            posted_at=clock.now(), posted_by_id=staff_id, **_owner_key(owner))
    db.session.add(report)
    db.session.flush()
    audit.record(actor, "activity_report.posted", report, owner=list(report.owner_key))
    db.session.commit()
    return report
