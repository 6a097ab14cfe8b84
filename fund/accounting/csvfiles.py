"""Reading the CSV files people upload: the encoding, the rows, amounts in yen.

Japanese internet banking exports Shift_JIS (CP932) as often as UTF-8, with
or without a BOM; Stripe's reports are UTF-8. Amounts come with commas,
yen marks or full-width digits. Every refusal is a ValidationFailed whose
message names the problem, in the caller's language.
"""
import csv
import hashlib
import io
import re
import unicodedata

from fund.core.errors import ValidationFailed
from fund.core.i18n import gettext_for

MAX_BYTES = 20 * 1024 * 1024


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def decode(data, lang):
    """The file's text: UTF-8 (a BOM is dropped) or else CP932; anything else is refused."""
    if not data:
        raise ValidationFailed(gettext_for(lang, "The file is empty."), errors={"file": "empty"})
    if len(data) > MAX_BYTES:
        raise ValidationFailed(gettext_for(lang, "The file is larger than 20 MB."),
                               errors={"file": "too_large"})
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        gettext_for(lang, "The file is neither UTF-8 nor Shift_JIS (CP932) text."),
        errors={"file": "encoding"})


def rows(text):
    """The CSV rows, each a list of cells stripped of surrounding spaces."""
    reader = csv.reader(io.StringIO(text, newline=""))
    return [[cell.strip() for cell in row] for row in reader]


def header_key(text):
    """How header names are compared: NFKC, no spaces, no quotes, lower case."""
    return re.sub(r"[\s\"']", "", unicodedata.normalize("NFKC", text or "")).lower()


class AmountRefused(ValueError):
    """`code` is `not_yen` (a foreign mark or a fraction) or `invalid`."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


_FOREIGN = re.compile(r"[$€£]|US|USD|EUR|GBP|CNY|KRW|ドル|ユーロ", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")


def parse_amount(text, *, signed=False):
    """Whole yen from '12,000', '¥12,000', '１２，０００円', '12000.00'; None when blank.

    A foreign currency mark, or a fraction of a yen, is refused as not yen.
    """
    cleaned = unicodedata.normalize("NFKC", str(text or "")).strip()
    if cleaned in ("", "-", "－"):
        return None
    if _FOREIGN.search(cleaned):
        raise AmountRefused("not_yen")
    for mark in ("¥", "\\", "円", ",", " "):
        cleaned = cleaned.replace(mark, "")
    cleaned = cleaned.replace("▲", "-").replace("△", "-").replace("−", "-")
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    match = _NUMBER.match(cleaned)
    if not match:
        raise AmountRefused("invalid")
    if match[1] and int(match[1]) != 0:
        raise AmountRefused("not_yen")
    value = int(cleaned.split(".")[0])
    if value < 0 and not signed:
        raise AmountRefused("invalid")
    return value
