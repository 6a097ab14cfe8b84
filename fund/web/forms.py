"""Parsing what staff type into the office and accountant pages (webargs).

Each page declares its arguments once; a value that does not parse is refused
with ValidationFailed (422) naming the field, and nothing is changed. Staff
forms accept what Japanese keyboards produce: full-width digits (２０２６),
yen marks and commas in amounts, surrounding spaces; a blank field is missing.
"""
import re
import unicodedata
from datetime import date, datetime, timezone

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate
from webargs.flaskparser import FlaskParser

from fund.core import clock
from fund.core.dates import DateError, parse_date
from fund.core.errors import ValidationFailed
from fund.core.money import AmountError, parse_yen


def _clean(value):
    """NFKC and trimmed; a blank string becomes None (not given). Other values pass."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFKC", value).strip() or None


class _StaffTyped:
    """What every staff field shares: the value is cleaned first (_clean), and a blank
    field is not given (None) unless the field is required."""

    def __init__(self, *args, **kwargs):
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", None)
        kwargs.setdefault("allow_none", True)
        super().__init__(*args, **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize(_clean(value), attr, data, **kwargs)


class Number(_StaffTyped, fields.Integer):
    """A whole number from a form or query string; blank means not given."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=0, error=_l("Enter a number of 0 or more.")))
        kwargs.setdefault("error_messages", {"invalid": _l("Enter a number.")})
        super().__init__(strict=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not str(value).isdigit():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Choice(_StaffTyped, fields.String):
    """One of `choices`; blank means not given."""

    def __init__(self, choices, **kwargs):
        super().__init__(validate=validate.OneOf(choices, error=_l("Choose one of: {choices}.")),
                         **kwargs)


class Yen(_StaffTyped, fields.Field):
    """Whole yen as staff type it ("3000", "3,000", "¥3,000", "３０００"); blank is not given."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yen(value)
        except AmountError as err:
            raise ValidationError(str(_l("Enter the amount in whole yen, e.g. 3000."))) from err


class Moment(_StaffTyped, fields.Field):
    """A moment in Japan time as staff type it (2026-12-01 18:00, 2026-12-01T18:00, or a day,
    meaning 00:00); returned in UTC. Blank is not given."""

    PATTERN = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?")

    def _deserialize(self, value, attr, data, **kwargs):
        found = self.PATTERN.fullmatch(str(value))
        try:
            if found is None:
                raise ValueError(value)
            year, month, day, hour, minute = (int(part) if part else 0 for part in found.groups())
            moment = datetime(year, month, day, hour, minute, tzinfo=clock.JST)
        except ValueError as err:
            raise ValidationError(str(_l("Write the date and time as 2026-12-01 18:00."))) from err
        return moment.astimezone(timezone.utc)


class Text(fields.String):
    """Free text, trimmed; blank is an empty string."""

    def __init__(self, max_length, **kwargs):
        kwargs.setdefault("load_default", "")
        super().__init__(validate=validate.Length(
            max=max_length, error=_l("Use at most {max} characters.")), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Day(_StaffTyped, fields.Field):
    """A date as the office writes it: 2026/04/01, 2026-04-01, ２０２６年４月１日, 令和8年4月1日,
    R8.4.1; blank is not given."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_date(value)
        except DateError as err:
            raise ValidationError(str(_l("Write the date as 2026-04-01."))) from err


class Flag(fields.Boolean):
    """A checkbox: present and not '0'/'off' is True, absent is False."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", False)
        super().__init__(truthy={"y", "yes", "on", "1", "true"}, falsy={"", "0", "off", "n",
                                                                       "no", "false"}, **kwargs)


class _Parser(FlaskParser):
    # Staff forms carry a CSRF token and buttons: other fields are ignored, not refused.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "form": EXCLUDE}

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = {}
        for location_messages in error.messages.values():
            for field, problems in location_messages.items():
                messages[field] = (" ".join(str(p) for p in problems) if isinstance(problems, list)
                                   else str(problems))
        summary = "; ".join(f"{field}: {text}" for field, text in messages.items())
        raise ValidationFailed(gettext("Please check: %(summary)s", summary=summary),
                               errors=messages)


parser = _Parser()


def query(arguments):
    """Parse the query string of the current request against `arguments`."""
    return parser.parse(arguments, location="query")


def form(arguments):
    """Parse the posted form of the current request against `arguments`."""
    return parser.parse(arguments, location="form")


def upload(name, message):
    """(filename, bytes) of the file posted as `name`; `message` when none was chosen."""
    sent = request.files.get(name)
    if sent is None or not sent.filename:
        raise ValidationFailed(message, errors={name: "required"})
    return sent.filename, sent.read()
