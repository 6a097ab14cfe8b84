"""The public page of each campaign (/campaigns/<slug>) and project (/projects/<slug>).

A draft campaign is shown to signed-in staff only (a preview); to anyone else it
does not exist. Totals are the kept net amounts (refunds and lost disputes off).
"""
from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _

from fund.campaigns import services as campaigns
from fund.core.i18n import locale
from fund.core.money import format_yen
from fund.core.signing import public_url
from fund.giving import money_trail, showcase
from fund.web.auth import current_staff

bp = Blueprint("destinations", __name__)


def paragraphs(text):
    """A story as the office typed it: blank lines separate paragraphs."""
    return [part.strip() for part in (text or "").replace("\r\n", "\n").split("\n\n")
            if part.strip()]


def _open_graph(view, lang):
    destination = view.destination
    if view.goal:
        summary = _("%(raised)s raised of %(goal)s (%(percent)s%%) from %(supporters)s supporters.",
                    raised=format_yen(view.raised), goal=format_yen(view.goal),
                    percent=view.percent, supporters=view.supporters)
    else:
        summary = _("%(raised)s raised from %(supporters)s supporters.",
                    raised=format_yen(view.raised), supporters=view.supporters)
    image = destination.images[0] if destination.images else None
    return {
        "title": destination.title(lang),
        "description": f"{summary} {destination.description(lang)}".strip(),
        "image": public_url(url_for("media.image", image_id=image.id)) if image else
        public_url(url_for("static", filename="og-default.png")),
        "image_alt": image.alt(lang) if image else _("QST Future Fund"),
        "url": public_url(url_for(f"destinations.{view.kind}", slug=destination.slug)),
    }


def _render(view):
    lang = locale()
    return render_template("public/destination.html", view=view, d=view.destination,
                           lang=lang, og=_open_graph(view, lang),
                           story=paragraphs(view.destination.text("story", lang)),
                           bio=paragraphs(view.destination.text("researcher_bio", lang)))


@bp.get("/campaigns/<slug>")
def campaign(slug):
    found = campaigns.campaign_by_slug(slug)
    if found is None or (found.status == "draft" and current_staff() is None):
        abort(404)
    return _render(showcase.for_campaign(found))


@bp.get("/projects/<slug>")
def project(slug):
    found = campaigns.project_by_slug(slug)
    if found is None:
        abort(404)
    return _render(showcase.for_project(found))


def _money_page(kind, owner):
    lang = locale()
    return render_template("public/money.html", kind=kind, d=owner, lang=lang,
                           trail=money_trail.for_destination(owner),
                           page_url=url_for(f"destinations.{kind}", slug=owner.slug))


@bp.get("/campaigns/<slug>/money")
def campaign_money(slug):
    """Where the money went, for one campaign: from the ledger, with no donor's data."""
    found = campaigns.campaign_by_slug(slug)
    if found is None or (found.status == "draft" and current_staff() is None):
        abort(404)
    return _money_page("campaign", found)


@bp.get("/projects/<slug>/money")
def project_money(slug):
    found = campaigns.project_by_slug(slug)
    if found is None:
        abort(404)
    return _money_page("project", found)
