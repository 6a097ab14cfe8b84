"""Signed links that let a monthly supporter cancel without an account.

Every pledge mail carries one. The token names the pledge and its Stripe
subscription, so it can never cancel another pledge; it does not expire
quickly because a donor may read an old mail, and cancelling twice is harmless.
"""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "fund.pledge-cancel"
MAX_AGE_DAYS = 400


class LinkInvalid(Exception):
    pass


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def cancel_token(pledge):
    return _serializer().dumps({"p": pledge.id, "s": pledge.stripe_subscription_id or ""})


def cancel_url(pledge):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/pledges/cancel/{cancel_token(pledge)}"


def read_cancel_token(token):
    """(pledge id, subscription id) or LinkInvalid (also for an expired token)."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_DAYS * 86400)
    except (SignatureExpired, BadSignature) as err:
        raise LinkInvalid() from err
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or "s" not in data:
        raise LinkInvalid()
    return data["p"], data["s"]
