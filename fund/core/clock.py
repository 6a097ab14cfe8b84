"""Time in one place: the fund works in Japan time, and its fiscal year starts on 1 April.

A fiscal year is named by the calendar year it starts in: fiscal 2026 runs from
1 April 2026 00:00 JST to 1 April 2027 00:00 JST (令和8年度).
"""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now():
    return datetime.now(timezone.utc)


def jst_date(moment):
    """The calendar date in Japan of an aware datetime (決済日 on receipts)."""
    return moment.astimezone(JST).date()


def today_jst():
    return jst_date(now())


def jst_midnight(day):
    """The moment (UTC) a Japanese calendar day starts."""
    return datetime.combine(day, time(0), JST).astimezone(timezone.utc)


def fiscal_year_of(moment):
    """The fiscal year (April–March, Japan time) a moment falls in."""
    day = jst_date(moment)
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year):
    """[start, end) of fiscal `year` as UTC moments: 1 April 00:00 JST to the next 1 April."""
    return jst_midnight(date(year, 4, 1)), jst_midnight(date(year + 1, 4, 1))


def calendar_year_bounds(year):
    """[start, end) of calendar `year` in Japan time, as UTC moments."""
    return jst_midnight(date(year, 1, 1)), jst_midnight(date(year + 1, 1, 1))
