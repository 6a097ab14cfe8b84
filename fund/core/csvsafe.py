"""CSV cells a spreadsheet shows as text: never a formula, never a date.

Spreadsheet programs run a cell as a formula when it starts with = + - @ (and
some with a tab, carriage return or |), and they are lenient about what comes
first: Excel and LibreOffice skip leading spaces and read full-width ＝ as =.
So the check is made on the NFKC form with leading white space stripped, and
a cell that fails it is written as given, behind an apostrophe (OWASP's
advice: the apostrophe is visible, the text is never run).

Identifiers we make ourselves (receipt numbers such as 2026-000004-2, Stripe
ids, postal codes) look like dates or numbers to a spreadsheet; `text()`
writes them as ="…", which every spreadsheet keeps as that exact text.
Use `row()` for a whole row of mixed values.
"""
import re
import unicodedata

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
# Only such strings are wrapped in ="…": nothing a donor can type gets there.
IDENTIFIER = re.compile(r"[0-9A-Za-z_.:/-]{1,80}")


def is_formula(text):
    """True when a spreadsheet could run `text` as a formula."""
    folded = unicodedata.normalize("NFKC", text).lstrip()
    return folded[:1] in FORMULA_START or text[:1] in FORMULA_START


def cell(value):
    """A value as a safe CSV cell: numbers as they are, text never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if is_formula(text) else text


def text(value):
    """An identifier that must stay text (e.g. 2026-000004-2 is not a date)."""
    if value is None or value == "":
        return ""
    value = str(value)
    if IDENTIFIER.fullmatch(value):
        return '="' + value + '"'
    return cell(value)


def row(values, identifiers=()):
    """A row of safe cells; positions in `identifiers` are written with `text()`."""
    return [text(v) if i in identifiers else cell(v) for i, v in enumerate(values)]
