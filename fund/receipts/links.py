"""Signed links that let a donor reach their own receipt without an account.

A link must outlive the tax return it is for: it stays valid at least until
the end of the filing season (確定申告, 15 March) after the receipt's year, and
never for less than RECEIPT_LINK_MAX_AGE_DAYS after it was sent. A receipt of
2026 mailed in December 2026 opens until 15 March 2027 (24:00 JST); one
reissued in April 2027 until 15 March 2028. The end is signed into the link.

After that the donor asks for a new link from the expired page: the old link
still proves which receipt it was (its signature holds), and the new one goes
only to the donor's address on file (fund.receipts.mail.send_renewed_link).
"""
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app

from fund.core import clock, signing
from fund.core.extensions import db
from fund.core.signing import LinkExpired, LinkInvalid  # noqa: F401  (callers catch both)
from fund.receipts.models import Receipt

SALT = "fund.receipt-link"


def season_end(year):
    """The end of the filing season for income of `year`: 16 March of year + 1, 00:00 JST."""
    return datetime.combine(date(year + 1, 3, 16), time(), tzinfo=clock.JST).astimezone(
        timezone.utc)


def valid_until(receipt, sent_at=None):
    """When a link sent at `sent_at` (now) stops working (an aware UTC datetime)."""
    sent = sent_at or clock.now()
    minimum = sent + timedelta(days=current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"])
    year = receipt.year
    while season_end(year) <= sent:
        year += 1
    return max(minimum, season_end(year))


def last_day(receipt, sent_at=None):
    """The last Japanese calendar day a link works (for the mail's text)."""
    return clock.jst_date(valid_until(receipt, sent_at) - timedelta(seconds=1))


def receipt_token(receipt, sent_at=None):
    # The number is signed too, so a token can never name another receipt.
    until = int(valid_until(receipt, sent_at).timestamp())
    return signing.dumps(SALT, {"r": receipt.id, "n": receipt.number, "u": until})


def receipt_url(receipt):
    return signing.public_url(f"/r/{receipt_token(receipt)}")


def read_receipt_token(token, *, allow_expired=False):
    """Return (receipt id, number) or raise LinkInvalid / LinkExpired."""
    data = signing.loads(SALT, token, None)
    if not isinstance(data, dict) or "r" not in data or "n" not in data:
        raise LinkInvalid()
    if not allow_expired:
        if isinstance(data.get("u"), int):
            if clock.now().timestamp() >= data["u"]:
                raise LinkExpired()
        else:  # links made before the end was signed into them
            signing.loads(SALT, token, current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"] * 86400)
    return data["r"], data["n"]


def receipt_from_token(token, *, allow_expired=False):
    """The receipt a link names, or LinkInvalid / LinkExpired.

    The number in the token must match the row: a token can never open a
    receipt other than the one it was made for. `allow_expired` is for asking
    for a new link only.
    """
    receipt_id, number = read_receipt_token(token, allow_expired=allow_expired)
    receipt = db.session.get(Receipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None or receipt.number != number:
        raise LinkInvalid()
    return receipt
