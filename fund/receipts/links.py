"""Signed, expiring links that let a donor reach their own receipt without an account."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "fund.receipt-link"


class LinkInvalid(Exception):
    pass


class LinkExpired(Exception):
    pass


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def receipt_token(receipt):
    # The number is signed too, so a token can never name another receipt.
    return _serializer().dumps({"r": receipt.id, "n": receipt.number})


def receipt_url(receipt):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/r/{receipt_token(receipt)}"


def read_receipt_token(token):
    """Return (receipt id, number) or raise LinkInvalid / LinkExpired."""
    max_age = current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as err:
        raise LinkExpired() from err
    except BadSignature as err:
        raise LinkInvalid() from err
    if not isinstance(data, dict) or "r" not in data or "n" not in data:
        raise LinkInvalid()
    return data["r"], data["n"]


def open_link(token):
    """The receipt a link names and its PDF, or LinkInvalid / LinkExpired.

    The number in the token must match the row: a token can never open a
    receipt other than the one it was made for.
    """
    from fund.core.extensions import db
    from fund.receipts.models import Receipt
    from fund.receipts import issuing as receipts

    receipt_id, number = read_receipt_token(token)
    receipt = db.session.get(Receipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None or receipt.number != number:
        raise LinkInvalid()
    return receipt, receipts.pdf_bytes(receipt)
