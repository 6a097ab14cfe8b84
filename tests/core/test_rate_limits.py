"""Card testing and password guessing are capped per client address, in Redis."""
import uuid

import pytest
import redis
from flask import g

from fund.core.extensions import db
from fund.giving.models import Donation
from tests.support.forms import CSRF, post_donation

REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture(params=["redis", "memory"])
def limits(app, request):
    saved = {k: app.config.get(k) for k in
             ("RATELIMIT_STORAGE_URL", "DONATION_RATE_LIMIT", "LOGIN_RATE_LIMIT")}
    app.config["RATELIMIT_STORAGE_URL"] = REDIS if request.param == "redis" else None
    app.config["DONATION_RATE_LIMIT"] = "3/600"
    app.config["LOGIN_RATE_LIMIT"] = "2/600"
    # Each test run counts from zero: a fresh client address.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    yield {"REMOTE_ADDR": address}
    app.config.update(saved)
    if request.param == "redis":
        redis.Redis.from_url(REDIS).flushdb()


def test_fourth_payment_attempt_from_one_address_is_refused(app, seeded, ctx, limits, card_token):
    client = app.test_client()
    client.environ_base.update(limits)
    for _ in range(3):
        assert post_donation(client, token=card_token("4000000000000341")).status_code == 402
    response = post_donation(client, token=card_token())
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "しばらくしてから再度お試しください" in page
    assert 'value="量子 花子"' in page
    assert db.session.query(Donation).count() == 3  # the refused one reached nothing
    # The test's app context outlives requests: drop the first client's cached CSRF token.
    g.pop("csrf_token", None)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert post_donation(other, token=card_token()).status_code == 302


def test_sign_in_attempts_are_capped(app, ctx, limits):
    client = app.test_client()
    client.environ_base.update(limits)
    for expected in (401, 401, 429):
        token = CSRF.search(client.get("/office/login").get_data(as_text=True)).group(1)
        response = client.post("/office/login", data={
            "email": "x@example.jp", "password": "guess", "csrf_token": token})
        assert response.status_code == expected


def test_an_unreachable_limiter_counts_in_the_process(app, ctx):
    """Redis down stops no gift within the limit, and the limit still holds: the
    counters fall back to this process (tests/faults/test_redis_down.py for the whole app)."""
    from fund.core import ratelimit
    saved = app.config.get("RATELIMIT_STORAGE_URL")
    app.config["RATELIMIT_STORAGE_URL"] = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    try:
        with app.test_request_context("/donate", method="POST"):
            assert [ratelimit.hit("donate", "198.51.100.7", "2/600") for _ in range(3)] == [
                True, True, False]
    finally:
        app.config["RATELIMIT_STORAGE_URL"] = saved
        app.extensions.pop("fund.ratelimit", None)
        app.extensions.pop("fund.ratelimit.fallback", None)
