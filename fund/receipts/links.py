"""Signed, expiring links that let a donor reach their own receipt without an account."""
from flask import current_app

from fund.core import signing
from fund.core.extensions import db
from fund.core.signing import LinkExpired, LinkInvalid  # noqa: F401  (callers catch both)
from fund.receipts.models import Receipt

SALT = "fund.receipt-link"


def receipt_token(receipt):
    # The number is signed too, so a token can never name another receipt.
    return signing.dumps(SALT, {"r": receipt.id, "n": receipt.number})


def receipt_url(receipt):
    return signing.public_url(f"/r/{receipt_token(receipt)}")


def read_receipt_token(token):
    """Return (receipt id, number) or raise LinkInvalid / LinkExpired."""
    max_age = current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"] * 86400
    data = signing.loads(SALT, token, max_age)
    if not isinstance(data, dict) or "r" not in data or "n" not in data:
        raise LinkInvalid()
    return data["r"], data["n"]


def receipt_from_token(token):
    """The receipt a link names, or LinkInvalid / LinkExpired.

    The number in the token must match the row: a token can never open a
    receipt other than the one it was made for.
    """
    receipt_id, number = read_receipt_token(token)
    receipt = db.session.get(Receipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None or receipt.number != number:
        raise LinkInvalid()
    return receipt
