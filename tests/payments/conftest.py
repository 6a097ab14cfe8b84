"""Fixtures for the payment tests: a signed-in office user, fast retries."""
import pytest

import re

from tests.support.forms import CSRF

VALUE = re.compile(r'name="amount" value="(\d+)"')


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


@pytest.fixture
def office(sign_in):
    return sign_in("office").user


def post_refund(client, donation_id, amount, reason="寄附者からの依頼 / donor asked"):
    """What a clerk does, in English: type the refund, check it on the confirmation page,
    confirm. Returns the confirmation step's answer when it refuses, else the refund's."""
    page = client.get(f"/office/donations/{donation_id}?lang=en").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    checked = client.post(f"/office/donations/{donation_id}/refund/confirm", data={
        "amount": str(amount), "reason": reason, "csrf_token": token})
    if checked.status_code != 200:
        return checked
    confirmation = checked.get_data(as_text=True)
    assert "confirmed" in confirmation and "Refund ¥" in confirmation
    return client.post(f"/office/donations/{donation_id}/refund", data={
        "amount": VALUE.search(confirmation).group(1), "reason": reason, "confirmed": "yes",
        "csrf_token": token})
