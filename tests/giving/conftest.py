"""The app as if configured for real Stripe test mode, with api.stripe.com intercepted.

localstripe has no konbini, bank transfer, Prices or modern subscriptions, so
these tests switch the session app to "online" (a sk_test_ key and no
STRIPE_API_BASE) for one test and answer Stripe's API with `responses`,
using objects shaped like Stripe's documented ones (tests/giving/stripe_objects.py).
"""
import pytest
from flask import g
import responses

from fund.core.extensions import db
from fund.staff.models import StaffUser
from tests.support.forms import csrf_token


@pytest.fixture
def online(app):
    """Real-mode configuration plus a RequestsMock for https://api.stripe.com."""
    saved = {key: app.config[key] for key in ("STRIPE_API_BASE", "STRIPE_SECRET_KEY",
                                              "STRIPE_PUBLISHABLE_KEY")}
    app.config.update(STRIPE_API_BASE=None, STRIPE_SECRET_KEY="sk_test_giving_suite",
                      STRIPE_PUBLISHABLE_KEY="pk_test_giving_suite")
    # The gateway caches its client by (key, base); the new pair builds a new one.
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            yield mock
    finally:
        app.config.update(saved)
        app.extensions.pop("fund.stripe", None)


def office_session(client):
    """Create an office user and sign `client` in (CSRF token included)."""
    user = StaffUser(email="office@qst.example", name="Office", role="office")
    user.set_password("pw-office")
    db.session.add(user)
    db.session.commit()
    response = client.post("/office/login", data={
        "email": "office@qst.example", "password": "pw-office",
        "csrf_token": csrf_token(client, "/office/login")})
    assert response.status_code == 302
    # The `ctx` fixture keeps one app context (and so one `g`) across requests:
    # drop what the sign-in made stale (the CSRF token of the cleared session).
    g.pop("csrf_token", None)
    g.pop("staff", None)
    return user
