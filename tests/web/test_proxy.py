"""Behind a proxy, client addresses are trusted only from the configured number of proxies."""
import pytest

from fund import create_app
from tests.support.forms import csrf_token


def _attempts(app, forwarded_for):
    client = app.test_client()
    codes = []
    for address in forwarded_for:
        token = csrf_token(client, "/office/login")
        codes.append(client.post("/office/login", data={
            "email": "nobody@example.jp", "password": "guess", "csrf_token": token},
            headers={"X-Forwarded-For": address}).status_code)
    return codes


@pytest.fixture
def app_behind(app):
    def make(proxies):
        return create_app({**{k: app.config[k] for k in (
            "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "STRIPE_API_BASE", "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET", "INSTANCE_DIR")},
            "TESTING": True, "TRUSTED_PROXIES": proxies, "LOGIN_RATE_LIMIT": "1/600"})
    return make


def test_rate_limits_key_on_the_real_client_behind_a_trusted_proxy(app_behind):
    behind = app_behind(1)
    assert _attempts(behind, ["198.51.100.1", "198.51.100.1", "198.51.100.2"]) == [401, 429, 401]


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(app_behind):
    direct = app_behind(0)
    # Every request comes from 127.0.0.1 here: the header must not buy a fresh budget.
    assert _attempts(direct, ["198.51.100.3", "198.51.100.4"]) == [401, 429]
