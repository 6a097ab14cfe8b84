"""Fixtures for the payment tests: a signed-in office user, fast retries."""
import pytest

from tests.support.forms import CSRF


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
    page = client.get(f"/office/donations/{donation_id}").get_data(as_text=True)
    return client.post(f"/office/donations/{donation_id}/refund", data={
        "amount": str(amount), "reason": reason, "csrf_token": CSRF.search(page).group(1)})
