"""The public page of each campaign (/campaigns/<slug>) and project (/projects/<slug>).

A draft campaign is shown to signed-in staff only (a preview); to anyone else it
does not exist. Totals are the kept net amounts (refunds and lost disputes off).

What a page shows below the site's header is the same for every visitor in one
language, so it is rendered once per page and language and kept in this worker for
PUBLIC_PAGE_CACHE_SECONDS (fund.core.pagecache): a gift, a new message or an edit by
the office shows within that bound. The campaign's row is read on every request, so
its state counts at once (a campaign put back to draft is gone at once); a draft's
preview is never kept. The header, flash messages, language switch and the CSP nonce
are rendered per request, outside the kept part.
"""
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from fund.campaigns import services as campaigns
from fund.core.i18n import locale
from fund.core.pagecache import cached
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


@dataclass(frozen=True)
class Page:
    """The visitor-independent part of a page, rendered (Markup keeps it unescaped)."""
    title: str
    head: Markup
    body: Markup


def _page(view, lang):
    context = dict(view=view, d=view.destination, lang=lang, og=_open_graph(view, lang),
                   story=paragraphs(view.destination.text("story", lang)),
                   bio=paragraphs(view.destination.text("researcher_bio", lang)))
    return Page(title=view.destination.title(lang),
                head=Markup(render_template("public/_destination_head.html", **context)),
                body=Markup(render_template("public/_destination_body.html", **context)))


def _render(kind, found, load):
    """The page of `found` ((id, status) of its row): the kept part, else load() (the
    showcase, read in full) rendered and kept."""
    lang = locale()

    def make():
        return _page(load(), lang)
    # Keyed by id, state and language: another page, state or language is another entry.
    # A draft is shown to staff only, as a preview of the office's latest edit: never kept.
    page = (make() if found.status == "draft"
            else cached(("destination", kind, found.id, found.status, lang), make))
    return render_template("public/destination.html", page=page)


@bp.get("/campaigns/<slug>")
def campaign(slug):
    found = campaigns.campaign_state_by_slug(slug)
    if found is None or (found.status == "draft" and current_staff() is None):
        abort(404)
    return _render("campaign", found,
                   lambda: showcase.for_campaign(campaigns.campaign_by_slug(slug)))


@bp.get("/projects/<slug>")
def project(slug):
    found = campaigns.project_state_by_slug(slug)
    if found is None:
        abort(404)
    return _render("project", found,
                   lambda: showcase.for_project(campaigns.project_by_slug(slug)))


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
