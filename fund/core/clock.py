"""Time in one place: the fund works in Japan time for dates printed on receipts."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now():
    return datetime.now(timezone.utc)


def jst_date(moment):
    """The calendar date in Japan of an aware datetime (決済日 on receipts)."""
    return moment.astimezone(JST).date()


def today_jst():
    return jst_date(now())
