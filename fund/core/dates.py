"""Dates as Japanese offices and banks write them: 西暦 and 和暦, half- or full-width.

`2026/04/01`, `2026-4-1`, `20260401`, `2026年4月1日`, `R8.4.1`, `R08/04/01`,
`令和8年4月1日`, `令和元年5月1日`, `H31.4.30`. A time after the date is ignored.
The era's first and last days are checked, so `H31.5.1` (a day of 令和) is refused.
"""
import re
import unicodedata
from datetime import date

# era: (first day, the Gregorian year of its year 1)
ERAS = {
    "令和": (date(2019, 5, 1), 2018),
    "平成": (date(1989, 1, 8), 1988),
}
ERA_LETTERS = {"R": "令和", "H": "平成"}
ERA_ENDS = {"平成": date(2019, 4, 30)}

_SEP = r"\s*[/\-.年]\s*"
_GREGORIAN = re.compile(rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP.replace('年', '月')}(\d{{1,2}})\s*日?")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?!\d)")
_WAREKI = re.compile(
    rf"^(令和|平成|R|H)\s*\.?\s*(元|\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP.replace('年', '月')}"
    r"(\d{1,2})\s*日?")


class DateError(ValueError):
    """The text is not a date we can read."""


def parse_date(text):
    """A `date` from the ways above; raises DateError for anything else."""
    cleaned = unicodedata.normalize("NFKC", str(text or "")).strip().upper()
    if not cleaned:
        raise DateError("empty")
    try:
        match = _GREGORIAN.match(cleaned) or _COMPACT.match(cleaned)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _WAREKI.match(cleaned)
        if match:
            era = ERA_LETTERS.get(match[1], match[1])
            first, offset = ERAS[era]
            year = 1 if match[2] == "元" else int(match[2])
            day = date(offset + year, int(match[3]), int(match[4]))
            if year < 1 or day < first or day > ERA_ENDS.get(era, date.max):
                raise DateError(cleaned)
            return day
    except ValueError as err:  # 2026/02/30 and the like
        raise DateError(cleaned) from err
    raise DateError(cleaned)
