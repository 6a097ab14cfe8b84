"""/office/campaigns and /office/projects: write the pages, run a campaign from draft to its end."""
import unicodedata

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.campaigns import editing, media, rewards
from fund.campaigns.models import (Campaign, DestinationImage, FundingModel, Project,
                                   RewardTier)
from fund.core import audit, jobs
from fund.core.errors import FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import locale
from fund.core.money import AmountError, parse_yen
from fund.giving import totals
from fund.office import deadlines, reports
from fund.web import forms
from fund.web.auth import current_staff, guard
from fund.web.staff_text import status_label

bp = Blueprint("office_campaigns", __name__, url_prefix="/office")
bp.before_request(guard("office"))

OWNER = "<any(campaigns, projects):kind>/<int:owner_id>"
TEXTS = {field: forms.Text(300 if "title" in field or "name" in field else 20000)
         for field in editing.TEXT_FIELDS}
CAMPAIGN_ARGS = {"slug": forms.Text(64), "goal_amount": forms.Yen(), "starts_at": forms.Moment(),
                 "ends_at": forms.Moment(),
                 "funding_model": forms.Choice([m.value for m in FundingModel]),
                 "project_id": forms.Number(), **TEXTS}
PROJECT_ARGS = {"slug": forms.Text(64), **TEXTS}
TIER_ARGS = {"min_amount": forms.Yen(), "title_ja": forms.Text(200), "title_en": forms.Text(200),
             "description_ja": forms.Text(2000), "description_en": forms.Text(2000)}
REPORT_ARGS = {"title_ja": forms.Text(200), "title_en": forms.Text(200),
               "body_ja": forms.Text(20000), "body_en": forms.Text(20000)}


def _actor():
    return audit.staff(current_staff())


def _owner(kind, owner_id):
    return db.get_or_404(Campaign if kind == "campaigns" else Project, owner_id)


def _back(owner):
    if isinstance(owner, Campaign):
        return redirect(url_for("office_campaigns.campaign", campaign_id=owner.id))
    return redirect(url_for("office_campaigns.project", project_id=owner.id))


def _refused(owner, err):
    """Show the owner's page again with the message; nothing was saved."""
    db.session.rollback()
    owner = db.session.get(type(owner), owner.id)
    page = _campaign_page if isinstance(owner, Campaign) else _project_page
    return page(owner, error=err.message, errors=err.errors, form=request.form), err.status


@bp.get("/campaigns/")
def index():
    campaign_list = db.session.execute(
        db.select(Campaign).order_by(Campaign.starts_at.desc())).scalars().all()
    projects = db.session.execute(db.select(Project).order_by(Project.id)).scalars().all()
    return render_template("office/campaigns.html", campaigns=campaign_list, projects=projects,
                           progress=totals.campaign_progress(campaign_list))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    if request.method == "GET":
        return render_template("office/campaign_new.html", form={}, errors={}, error=None,
                               projects=_projects())
    try:
        campaign = editing.save_campaign(data=forms.form(CAMPAIGN_ARGS), actor=_actor(),
                                         lang=locale())
    except FundError as err:
        db.session.rollback()
        return render_template("office/campaign_new.html", form=request.form, errors=err.errors,
                               error=err.message, projects=_projects()), err.status
    flash(_("The campaign is saved as a draft. Publish it when its page is ready."))
    return redirect(url_for("office_campaigns.campaign", campaign_id=campaign.id))


def _projects():
    return db.session.execute(db.select(Project).order_by(Project.id)).scalars().all()


def _campaign_page(campaign, error=None, errors=None, form=None):
    progress = totals.campaign_progress([campaign])[campaign.id]
    return render_template(
        "office/campaign.html", c=campaign, progress=progress, projects=_projects(),
        tiers=rewards.tiers_with_remaining(campaign), error=error, errors=errors or {},
        form=form or {}, by_hand=deadlines.returned_by_hand(campaign))


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id):
    return _campaign_page(db.get_or_404(Campaign, campaign_id))


@bp.post("/campaigns/<int:campaign_id>")
def save_campaign(campaign_id):
    row = db.get_or_404(Campaign, campaign_id)
    try:
        editing.save_campaign(campaign=row, data=forms.form(CAMPAIGN_ARGS), actor=_actor(),
                              lang=locale())
    except FundError as err:
        return _refused(row, err)
    flash(_("The campaign is saved."))
    return _back(row)


@bp.post("/campaigns/<int:campaign_id>/state")
def campaign_state(campaign_id):
    row = db.get_or_404(Campaign, campaign_id)
    try:
        editing.move_campaign(campaign=row, to=request.form.get("to", ""), actor=_actor(),
                              lang=locale())
    except (FundError, ValueError) as err:
        return _refused(row, err if isinstance(err, FundError) else ValidationFailed(str(err)))
    flash(_("The campaign is now: %(state)s.", state=status_label(row.status)))
    return _back(row)


@bp.post("/campaigns/<int:campaign_id>/close")
def close_campaign(campaign_id):
    """Close now a campaign whose deadline has passed (what the periodic job does)."""
    row = db.get_or_404(Campaign, campaign_id)
    outcome = deadlines.close(row.id, actor=_actor())
    if outcome is None:
        flash(_("Only a published campaign past its deadline can be closed."))
    else:
        if outcome == "failed":
            jobs.start(deadlines.TASK)
        flash(_("The campaign is closed."))
    return redirect(url_for("office_campaigns.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/stretch")
def stretch_goal(campaign_id):
    row = db.get_or_404(Campaign, campaign_id)
    try:
        amount = forms.form({"stretch_goal_amount": forms.Yen(required=True)})["stretch_goal_amount"]
        editing.set_stretch_goal(campaign=row, amount=amount, actor=_actor(), lang=locale(),
                                 raised=deadlines.raised(row))
    except FundError as err:
        return _refused(row, err)
    flash(_("The second goal is set."))
    return _back(row)


@bp.post("/campaigns/<int:campaign_id>/tiers", defaults={"tier_id": None})
@bp.post("/campaigns/<int:campaign_id>/tiers/<int:tier_id>")
def save_tier(campaign_id, tier_id):
    row = db.get_or_404(Campaign, campaign_id)
    tier = None
    if tier_id is not None:
        tier = db.get_or_404(RewardTier, tier_id)
        if tier.campaign_id != row.id:
            abort(404)
    try:
        editing.save_tier(campaign=row, tier=tier, data=_tier_form(), actor=_actor(),
                          lang=locale())
    except FundError as err:
        return _refused(row, err)
    flash(_("The reward is saved."))
    return _back(row)


def _tier_form():
    """The tier form; a quantity with a minus sign is refused by the service with a message."""
    raw = forms.form(TIER_ARGS)
    quantity = forms.form({"quantity": forms.Text(20)})["quantity"]
    if quantity:
        text = quantity.replace("−", "-").replace("－", "-")
        try:
            raw["quantity"] = -parse_yen(text[1:]) if text.startswith("-") else parse_yen(text)
        except AmountError as err:
            raise ValidationFailed(_("Please check the highlighted fields."),
                                   errors={"quantity": _("Enter a whole number, or nothing for no limit.")}) from err
    else:
        raw["quantity"] = None
    return raw


@bp.get("/projects/new")
def new_project():
    return render_template("office/project.html", p=None, form={}, errors={}, error=None)


@bp.post("/projects/new")
def create_project():
    try:
        data = forms.form(PROJECT_ARGS)
        data["accepts_donations"] = request.form.get("accepts_donations") == "yes"
        row = editing.save_project(data=data, actor=_actor(), lang=locale())
    except FundError as err:
        db.session.rollback()
        return render_template("office/project.html", p=None, form=request.form,
                               errors=err.errors, error=err.message), err.status
    flash(_("The project is saved."))
    return redirect(url_for("office_campaigns.project", project_id=row.id))


def _project_page(project, error=None, errors=None, form=None):
    return render_template("office/project.html", p=project, form=form or {},
                           errors=errors or {}, error=error)


@bp.get("/projects/<int:project_id>")
def project(project_id):
    return _project_page(db.get_or_404(Project, project_id))


@bp.post("/projects/<int:project_id>")
def save_project(project_id):
    row = db.get_or_404(Project, project_id)
    try:
        data = forms.form(PROJECT_ARGS)
        data["accepts_donations"] = request.form.get("accepts_donations") == "yes"
        editing.save_project(project=row, data=data, actor=_actor(), lang=locale())
    except FundError as err:
        return _refused(row, err)
    flash(_("The project is saved."))
    return _back(row)


@bp.post("/projects/<int:project_id>/state")
def project_state(project_id):
    row = db.get_or_404(Project, project_id)
    try:
        editing.move_project(project=row, to=request.form.get("to", ""), actor=_actor(),
                             lang=locale())
    except (FundError, ValueError) as err:
        return _refused(row, err if isinstance(err, FundError) else ValidationFailed(str(err)))
    flash(_("The project is now: %(state)s.", state=status_label(row.status)))
    return _back(row)


# --- content both have -------------------------------------------------------------

@bp.post(f"/{OWNER}/presets")
def presets(kind, owner_id):
    owner = _owner(kind, owner_id)
    try:
        editing.replace_presets(owner=owner, presets=_preset_lines(request.form.get("presets", "")),
                                actor=_actor(), lang=locale())
    except FundError as err:
        return _refused(owner, err)
    flash(_("The amounts are saved."))
    return _back(owner)


def _preset_lines(text):
    """'3000 | ¥3,000で試料1件を分析 | ¥3,000 analyses one sample', one per line."""
    found, errors = [], {}
    for index, line in enumerate(line for line in text.splitlines() if line.strip()):
        amount, _sep, labels = line.partition("|")
        label_ja, _sep, label_en = labels.partition("|")
        try:
            found.append((parse_yen(unicodedata.normalize("NFKC", amount)), label_ja.strip(), label_en.strip()))
        except AmountError:
            errors[f"preset_{index}"] = _("Line %(line)s: start with the amount in yen, e.g. 3000 | …",
                                          line=index + 1)
    if errors:
        raise ValidationFailed(_("Please check the highlighted fields."), errors=errors)
    return found


@bp.post(f"/{OWNER}/images")
def add_image(kind, owner_id):
    owner = _owner(kind, owner_id)
    upload = request.files.get("image")
    data = upload.read(media.MAX_IMAGE_BYTES + 1) if upload else b""
    try:
        editing.add_image(owner=owner, data=data, alt_ja=request.form.get("alt_ja", ""),
                          alt_en=request.form.get("alt_en", ""), actor=_actor(), lang=locale())
    except FundError as err:
        return _refused(owner, err)
    flash(_("The picture is added."))
    return _back(owner)


@bp.post(f"/{OWNER}/images/<int:image_id>/remove")
def remove_image(kind, owner_id, image_id):
    owner = _owner(kind, owner_id)
    image = db.get_or_404(DestinationImage, image_id)
    if image.owner_key != ("campaign" if kind == "campaigns" else "project", owner.id):
        abort(404)
    editing.remove_image(owner=owner, image=image, actor=_actor())
    flash(_("The picture is removed."))
    return _back(owner)


@bp.post(f"/{OWNER}/reports")
def post_report(kind, owner_id):
    owner = _owner(kind, owner_id)
    try:
        report = editing.post_report(owner=owner, data=forms.form(REPORT_ARGS), actor=_actor(),
                                     staff_id=current_staff().id, lang=locale())
    except FundError as err:
        return _refused(owner, err)
    count = len(reports.recipients(report))
    jobs.start(reports.TASK, report.id)
    flash(_("The report is on the page and is being mailed to %(count)s supporters.", count=count))
    return _back(owner)
