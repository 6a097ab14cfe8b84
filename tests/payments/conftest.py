"""Fixtures for the payment tests: a signed-in office user, fast retries."""
import re

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from fund.staff.services import create_staff

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fast_retries(app):
    """Retries back off for 0 s here: the test checks what is sent, not the waiting."""
    saved = app.config.get("STRIPE_RETRY_BACKOFF_SECONDS")
    app.config["STRIPE_RETRY_BACKOFF_SECONDS"] = 0
    yield
    if saved is None:
        app.config.pop("STRIPE_RETRY_BACKOFF_SECONDS", None)
    else:
        app.config["STRIPE_RETRY_BACKOFF_SECONDS"] = saved


class FreshClient(FlaskClient):
    """A test client whose requests do not share `g` with the test's app context.

    With `ctx` pushed, every request reuses that app context and so its `g`:
    the cached CSRF token and signed-in user would leak from one request into
    the next, which no browser ever sees.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return FreshClient(app, app.response_class, use_cookies=True)


def sign_in(client, role="office"):
    """Create a staff user with `role` and sign the client in; returns the user."""
    user = create_staff(f"{role}-tester@qst.example", f"Test {role}", role, "pw-for-tests")
    page = client.get("/office/login").get_data(as_text=True)
    response = client.post("/office/login", data={
        "email": user.email, "password": "pw-for-tests",
        "csrf_token": CSRF.search(page).group(1)})
    assert response.status_code == 302
    return user


@pytest.fixture
def office(client, ctx):
    return sign_in(client, "office")


def post_refund(client, donation_id, amount, reason="寄附者からの依頼 / donor asked"):
    page = client.get(f"/office/donations/{donation_id}").get_data(as_text=True)
    return client.post(f"/office/donations/{donation_id}/refund", data={
        "amount": str(amount), "reason": reason, "csrf_token": CSRF.search(page).group(1)})
