"""fund.core.csvsafe's cells as PostgreSQL expressions, for a CSV the server writes.

`cell(x)` and `text(x)` give, for a text expression x, what csvsafe.cell and
csvsafe.text give in Python, so COPY … (FORMAT csv) writes the same bytes as
the csv module does with them (tests/office/test_csvsafe_sql.py checks both on
a table of hostile inputs). The rule is csvsafe's: a formula when the first
character, or the first one of the NFKC form with leading white space
(str.isspace) stripped, is one of csvsafe.FORMULA_START.

An empty cell is NULL: COPY writes NULL as nothing and '' as "", while the
csv module writes '' as nothing.

normalize() costs more than the rest of a row together, so it is skipped when
the first character settles the question: a digit, a Latin letter, kana or a
common kanji is a starter that NFKC keeps as the first character (or composes
with what follows into a letter), and none of those is a space or a formula
sign. Anything else (a full-width ＝, a space, a combining mark…) is
normalised. PostgreSQL text cannot hold NUL, so NUL never reaches these.
"""
import re
import sys

from sqlalchemy import Integer, String, case, func, literal_column, or_

from fund.core import csvsafe

FORMULA_CODES = tuple(ord(sign) for sign in csvsafe.FORMULA_START)
# What Python's str.lstrip() strips.
SPACES = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
# First characters (inclusive code point ranges) after which NFKC never starts with
# a space or a formula sign: 0-9, A-Z, a-z, hiragana, katakana, CJK unified ideographs.
PLAIN_FIRST = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x3041, 0x3096), (0x30A1, 0x30FA),
               (0x4E00, 0x9FFF))
# csvsafe.IDENTIFIER is one character class repeated 1 to N times. PostgreSQL builds a
# bounded repeat as N copies of the class, which costs microseconds a cell: the class
# repeated with +, and the length checked apart, is the same test at a fraction.
_CLASS, _LONGEST = re.fullmatch(r"(\[[^\]]+\])\{1,(\d+)\}", csvsafe.IDENTIFIER.pattern).groups()
IDENTIFIER = "^" + _CLASS + "+$"
IDENTIFIER_LONGEST = int(_LONGEST)


def _int(number):
    return literal_column(str(int(number)), Integer)


def _string(value):
    """A constant string as an SQL literal (COPY takes no server-side parameters)."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def _one_of(expression, codes):
    return expression.in_([_int(code) for code in codes])


def empty(x):
    return func.coalesce(x, _string("")) == _string("")


def is_formula(x):
    """csvsafe.is_formula(x) for a non-empty text expression."""
    folded = func.ltrim(func.normalize(x, literal_column("NFKC")), _string(SPACES))
    first = func.ascii(x)
    plain = or_(*[first.between(_int(low), _int(high)) for low, high in PLAIN_FIRST])
    return ~plain & (_one_of(first, FORMULA_CODES) | _one_of(func.ascii(folded), FORMULA_CODES))


def cell(x):
    """csvsafe.cell(x) for a text expression: NULL when empty, never a formula."""
    return case((empty(x), None), (is_formula(x), _string("'") + x), else_=x)


def text(x):
    """csvsafe.text(x): an identifier as ="…", anything else as cell(x)."""
    return case((empty(x), None),
                (x.regexp_match(_string(IDENTIFIER))
                 & (func.char_length(x) <= _int(IDENTIFIER_LONGEST)),
                 _string('="') + x + _string('"')),
                else_=cell(x))
