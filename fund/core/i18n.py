"""Languages: Japanese (default) and English, through Flask-Babel's gettext catalogues.

Each package keeps the catalogue of the text it owns in
fund/<package>/translations/{ja,en}/LC_MESSAGES/messages.po (English msgids;
`make translations` compiles them, `make catalogues` extracts and updates
them). Pages use the request's language (`locale()`: ?lang= switches and is
remembered in the session); services are given the donor's language and use
`gettext_for(lang, …)`, never the request.
"""
from pathlib import Path

import flask_babel
from flask import has_request_context, request, session
from flask_babel import force_locale, format_date, gettext

from fund.core import clock
from fund.core.extensions import babel

LANGUAGES = ("ja", "en")
DEFAULT = "ja"


def locale():
    """The donor's language: ?lang= switches and is remembered in the session."""
    cached = request.environ.get("fund.locale")
    if cached:
        return cached
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    else:
        lang = session.get("lang", DEFAULT)
        if lang not in LANGUAGES:
            lang = DEFAULT
    request.environ["fund.locale"] = lang
    return lang


def gettext_for(lang, message, **params):
    """`message` translated into `lang` (the request's language when None)."""
    if lang is None:
        return gettext(message, **params)
    with force_locale(lang if lang in LANGUAGES else DEFAULT):
        return gettext(message, **params)


def translation_directories():
    """Each package keeps its own catalogue: fund/<package>/translations/<lang>/LC_MESSAGES.

    Flask-Babel merges them, so two packages never edit the same .po file.
    """
    root = Path(__file__).resolve().parents[1]
    return [str(path) for path in sorted(root.glob("*/translations")) if path.is_dir()]


def register(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Tokyo")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=_locale_or_default)
    app.jinja_env.globals["locale"] = locale
    # Flask-Babel keeps the chosen language on `g`; choose it again for every request.
    app.before_request(flask_babel.refresh)


def _locale_or_default():
    # Outside a request (mail from a command, a job) the caller passes the locale.
    return locale() if has_request_context() else DEFAULT


def jst_date(moment):
    """The date in Japan of an aware datetime, written for the current locale (2026年4月1日)."""
    return format_date(clock.jst_date(moment), format="long") if moment else ""
