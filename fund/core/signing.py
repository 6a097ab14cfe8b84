"""Signed, expiring tokens for links that work without an account (receipts, pledges).

Each kind of link has its own salt, so a token made for one can never open another.
"""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer


class LinkInvalid(Exception):
    """The token was tampered with, is malformed, or names another object."""


class LinkExpired(Exception):
    """The token was genuine but is older than its maximum age."""


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def dumps(salt, data):
    return _serializer(salt).dumps(data)


def loads(salt, token, max_age_seconds):
    """The signed data, or LinkInvalid / LinkExpired."""
    try:
        return _serializer(salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as err:
        raise LinkExpired() from err
    except BadSignature as err:
        raise LinkInvalid() from err


def public_url(path):
    """An absolute link for mail, from the configured public base URL."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def dumps_fixed(salt, data):
    """A signed token with no timestamp: the same data always gives the same token
    (printed on a document whose bytes must not change, such as a receipt's QR code)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps(data)


def loads_fixed(salt, token):
    """The data of a `dumps_fixed` token, or LinkInvalid."""
    try:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).loads(token)
    except BadSignature as err:
        raise LinkInvalid() from err
