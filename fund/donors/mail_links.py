"""The signed link in every donor mail that stops non-essential mail (news, 活動報告).

Mail about the donor's own money (thanks, receipts, payment instructions,
refunds, monthly-gift notices) is always sent; this link stops the rest. It
names the donor and their address, so a forwarded or guessed link stops no
one else's mail; it does not expire, as an unsubscribe link must keep working.
"""
from fund.core import signing
from fund.core.signing import LinkExpired, LinkInvalid

SALT = "fund.mail-stop"
MAX_AGE_DAYS = 3650


def stop_token(donor):
    return signing.dumps(SALT, {"d": donor.id, "e": donor.email.lower()})


def stop_url(donor):
    return signing.public_url(f"/mail/stop/{stop_token(donor)}")


def read_stop_token(token):
    """(donor id, email) or LinkInvalid."""
    try:
        data = signing.loads(SALT, token, MAX_AGE_DAYS * 86400)
    except LinkExpired as err:
        raise LinkInvalid() from err
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) \
            or not isinstance(data.get("e"), str):
        raise LinkInvalid()
    return data["d"], data["e"]
