"""Languages: Japanese (default) and English, through Flask-Babel's gettext catalogues.

Each package keeps the catalogue of the text it owns in
fund/<package>/translations/{ja,en}/LC_MESSAGES/messages.po (English msgids;
`make translations` compiles them, `make catalogues` extracts and updates
them). Pages use the request's language (`locale()`: ?lang= switches and is
remembered in the session; a first visit follows the browser's
Accept-Language); services are given the donor's language and use
`gettext_for(lang, …)`, never the request. Dates are written per language
(2026年4月1日 / 1 April 2026) by `long_date`, amounts as ¥5,000 in both.
"""
import datetime
from pathlib import Path

import flask_babel
from urllib.parse import urlencode

from flask import has_request_context, request, session
from babel.dates import format_date as babel_format_date
from flask_babel import force_locale, gettext

from fund.core import clock
from fund.core.extensions import babel

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
# Each language's name in itself, as a language switch shows it: never translated.
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


def locale():
    """The donor's language: ?lang= switches and is remembered in the session;
    until then the browser's preferred language (Accept-Language), else Japanese."""
    cached = request.environ.get("fund.locale")
    if cached:
        return cached
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    else:
        lang = session.get("lang")
        if lang not in LANGUAGES:
            lang = request.accept_languages.best_match(LANGUAGES) or DEFAULT
    request.environ["fund.locale"] = lang
    return lang


def other_language():
    """The language a switch offers: its code and its name in itself."""
    code = "en" if locale() == "ja" else "ja"
    return {"code": code, "name": LANGUAGE_NAMES[code]}


def switch_url(lang):
    """This page in `lang`: the same path and query (a chosen campaign stays chosen)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.path}?{urlencode(args + [('lang', lang)])}"


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
    app.jinja_env.globals.update(locale=locale, other_language=other_language,
                                 switch_url=switch_url)
    # Flask-Babel keeps the chosen language on `g`; choose it again for every request.
    app.before_request(flask_babel.refresh)


def _locale_or_default():
    # Outside a request (mail from a command, a job) the caller passes the locale.
    return locale() if has_request_context() else DEFAULT


# English dates as the British and most of the world write them: 1 April 2026.
DATE_FORMATS = {"ja": "long", "en": "d MMMM y"}


def long_date(day, lang=None):
    """A date (or an aware datetime, taken in Japan) for `lang`: 2026年4月1日 / 1 April 2026."""
    if not day:
        return ""
    if isinstance(day, datetime.datetime):
        day = clock.jst_date(day)
    if lang not in LANGUAGES:  # the language in force: a page's, or a mail's force_locale
        current = flask_babel.get_locale()
        lang = current.language if current is not None and current.language in LANGUAGES \
            else DEFAULT
    return babel_format_date(day, format=DATE_FORMATS[lang], locale=lang)


def jst_date(moment):
    """The date in Japan of an aware datetime, written for the current locale (2026年4月1日)."""
    return long_date(moment)
