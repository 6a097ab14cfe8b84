"""Fixtures: the app on PostgreSQL (or SQLite), localstripe, an SMTP sink, a live server.

`FUND_TEST_DB=postgresql` (the default) creates a database of its own on
127.0.0.1:5432 and drops it at the end; `FUND_TEST_DB=sqlite` uses a file in
a temporary folder. Either way the schema comes from `flask db upgrade`.
"""
import os
import re
import time
import uuid
from dataclasses import dataclass

import psycopg
import pytest
import responses
import stripe
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from fund import create_app
from fund.core.extensions import db
from fund.staff.services import create_staff
from tests.support import stripe_fake
from tests.support.tables import empty_tables
from tests.support.forms import csrf_token
from tests.support.staff import sign_in_through_forms
from tests.support.services import (LiveServer, LocalStripe, SmtpServer, free_port,
                                    postgres_admin_url)

# The suite asks for development explicitly, as `make run` does (see fund.core.config.check).
os.environ["FUND_ENV"] = "development"

WEBHOOK_SECRET = "whsec_test_fund_suite"
BACKEND = os.environ.get("FUND_TEST_DB", "postgresql")


def pytest_collection_modifyitems(config, items):
    real = bool(os.environ.get("STRIPE_SECRET_KEY", "").startswith("sk_test_")
                and not os.environ.get("STRIPE_API_BASE"))
    for item in items:
        if "real_stripe" in item.keywords and not real:
            item.add_marker(pytest.mark.skip(reason="needs STRIPE_SECRET_KEY=sk_test_… "
                                                    "and no STRIPE_API_BASE"))
        if "pg_only" in item.keywords and BACKEND != "postgresql":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'fund.sqlite'}"
        return
    name = f"fund_test_{uuid.uuid4().hex[:10]}"
    admin = postgres_admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield re.sub(r"/[^/]*$", f"/{name}", admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_port():
    return free_port()


@pytest.fixture(scope="session")
def app(database_url, localstripe, smtp_server, app_port, tmp_path_factory):
    env_keys = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "DATABASE_URL", "MAIL_SERVER")
    saved = {key: os.environ.pop(key, None) for key in env_keys}
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://"),
        "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}",
        "STRIPE_SECRET_KEY": "sk_test_fund_suite",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fund_suite",
        "STRIPE_API_BASE": localstripe.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "STRIPE_TIMEOUT_SECONDS": 10,
        "STRIPE_RETRY_BACKOFF_SECONDS": 0,
        # Every test posts from 127.0.0.1; tests/core/test_rate_limits.py turns limits on.
        "DONATION_RATE_LIMIT": "0/60",
        # Pages show a gift as soon as it is made; tests/web/test_page_cache.py turns the
        # cache of public pages on.
        "PUBLIC_PAGE_CACHE_SECONDS": 0,
        "LOGIN_RATE_LIMIT": "0/60",
        "DONOR_SIGN_IN_RATE_LIMIT": "0/60",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        # Argon2id at a test cost: the production cost (64 MiB, 3 passes) per sign-in
        # would add minutes to the suite; tests/web/test_staff_auth.py checks the rehash.
        "STAFF_PASSWORD_HASH": "t=1,m=1024,p=1",
    })
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(app, app_port):
    server = LiveServer(app, app_port)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean(request, app, smtp_server):
    """Each test starts from an empty database and an empty mailbox."""
    smtp_server.clear()
    yield
    with app.app_context():
        empty_tables()
        db.engine.dispose() if db.engine.dialect.name == "sqlite" else None


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


class FreshClient(FlaskClient):
    """A test client whose requests do not share `g` with the test's app context.

    With `ctx` pushed, every request reuses that app context and so its `g`:
    the CSRF token, the signed-in user and the chosen language would leak from
    one request into the next, which no browser ever sees.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return FreshClient(app, app.response_class, use_cookies=True)


@dataclass(frozen=True)
class SignedIn:
    user: object
    csrf: str  # a CSRF token of the signed-in session, for the forms it posts


@pytest.fixture
def sign_in(client, ctx):
    """sign_in(role): a new staff user of `role`, signed in on `client`."""
    def sign_in_as(role, email=None, password="pw-for-tests"):
        user = create_staff(email or f"{role}-tester@qst.example", f"Test {role}", role, password)
        response = sign_in_through_forms(client, user, password)
        assert response.status_code == 302
        home = "/office/receipts/" if user.has_role("office") else "/accountant/"
        return SignedIn(user, csrf_token(client, home))
    return sign_in_as


@pytest.fixture
def seeded(ctx):
    from fund.campaigns.seed import seed_demo
    seed_demo()


@pytest.fixture
def webhooks(localstripe, live_server):
    """localstripe delivers signed events to the live app for this test."""
    localstripe.register_webhook(f"{live_server.url}/webhooks/stripe", WEBHOOK_SECRET)
    yield localstripe
    localstripe.unregister_webhook()
    # A delivery already on its way finishes before the tables are emptied.
    time.sleep(0.3)


@pytest.fixture(scope="session")
def stripe_client(localstripe):
    return stripe.StripeClient("sk_test_fund_suite", base_addresses={"api": localstripe.url},
                               max_network_retries=0)


@pytest.fixture
def card_token(stripe_client):
    """Tokenise a test card as Stripe.js would in the browser."""
    def make(number="4242424242424242"):
        token = stripe_client.v1.tokens.create(params={"card": {
            "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        return token["id"]
    return make


@pytest.fixture
def fake(app, localstripe):
    """FakeStripe on the app's Stripe base URL; nothing reaches localstripe."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield stripe_fake.FakeStripe(mock, localstripe.url)


@pytest.fixture
def online(app):
    """Real-mode configuration (a sk_test_ key, no STRIPE_API_BASE) with api.stripe.com
    answered by a RequestsMock: for konbini, bank transfer and subscriptions."""
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
