"""Signed links that let a monthly supporter cancel without an account.

Every pledge mail carries one. The token names the pledge and its Stripe
subscription, so it can never cancel another pledge; it does not expire
quickly because a donor may read an old mail, and cancelling twice is harmless.
"""
from fund.core import signing
from fund.core.signing import LinkExpired, LinkInvalid

SALT = "fund.pledge-cancel"
MAX_AGE_DAYS = 400


def cancel_token(pledge):
    return signing.dumps(SALT, {"p": pledge.id, "s": pledge.stripe_subscription_id or ""})


def cancel_url(pledge):
    return signing.public_url(f"/pledges/cancel/{cancel_token(pledge)}")


def read_cancel_token(token):
    """(pledge id, subscription id) or LinkInvalid (also for an expired token)."""
    try:
        data = signing.loads(SALT, token, MAX_AGE_DAYS * 86400)
    except LinkExpired as err:
        raise LinkInvalid() from err
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or "s" not in data:
        raise LinkInvalid()
    return data["p"], data["s"]
