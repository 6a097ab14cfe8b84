"""Who may do what in the office pages, and what their filters offer.

Each office blueprint lets READERS in (`before_request`); a page or form that
changes something is also marked `@office_only`, so an accountant can read
donations, donors and exports and change nothing.
"""
from functools import wraps

from flask import abort
from flask_babel import gettext as _

from fund.campaigns.models import Campaign, Project
from fund.core.extensions import db
from fund.core.i18n import locale
from fund.web.auth import current_staff

READERS = ("office", "accountant")


def office_only(view):
    """Refuse (403) anyone but office staff and admins."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        user = current_staff()
        if user is None or not user.has_role("office"):
            abort(403, description=_("Your role does not give access to this page."))
        return view(*args, **kwargs)
    return wrapped


def destination_choices():
    """(key, label) of every destination, for the filters of the office's lists."""
    lang = locale()
    choices = [("general", _("General fund"))]
    choices += [(f"campaign:{c.id}", c.title(lang)) for c in db.session.execute(
        db.select(Campaign).order_by(Campaign.starts_at.desc())).scalars()]
    choices += [(f"project:{p.id}", p.title(lang)) for p in db.session.execute(
        db.select(Project).order_by(Project.id)).scalars()]
    return choices
