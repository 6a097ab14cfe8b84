"""Headers, cookies and sessions that keep a donor's and a clerk's browser safe; unsafe starts refused."""
import re

import pytest

from fund import create_app
from fund.core import config as config_module
from fund.core.config import ConfigurationError
from fund.core.extensions import db
from fund.core.models import utcnow
from tests.support.forms import csrf_token


def test_every_page_carries_the_security_headers(client, seeded):
    response = client.get("/donate")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    page = response.get_data(as_text=True)
    # The form's own script is served by the app ('self'); inline scripts need the nonce.
    assert '<script src="/static/donate.js" defer></script>' in page and "'self'" in csp
    assert "<script>" not in page and nonce
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    again = client.get("/donate").headers["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", again).group(1) != nonce  # one nonce per response


def test_with_real_stripe_scripts_come_from_the_app_and_js_stripe_com_only(app, client, seeded,
                                                                          online):
    csp = dict(part.strip().split(" ", 1) for part in
               client.get("/donate").headers["Content-Security-Policy"].split(";"))
    sources = csp["script-src"].split()
    assert sources[0] == "'self'" and sources[1].startswith("'nonce-")
    assert sources[2:] == ["https://js.stripe.com"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'" and csp["base-uri"] == "'self'"


def test_https_gets_hsts(client, seeded):
    response = client.get("/", base_url="https://fund.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_session_cookie_is_httponly_and_same_site(client, seeded):
    cookie = client.get("/?lang=en").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_fresh_session_at_sign_in(client, sign_in):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value
    sign_in("office")
    with client.session_transaction() as session:
        assert "planted" not in session and "staff_id" in session
    signed_in = client.get_cookie("session").value
    assert signed_in != before
    # The cookie from before sign-in (one an attacker may have planted) opens nothing.
    client.set_cookie("session", before)
    assert client.get("/office/").status_code == 302


def test_signing_out_ends_a_copied_session_cookie(client, sign_in):
    sign_in("office")
    copied = client.get_cookie("session").value
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    client.set_cookie("session", copied)  # e.g. stolen from a shared computer earlier
    response = client.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]


def test_an_idle_staff_session_ends(app, client, sign_in, monkeypatch):
    sign_in("office")
    assert client.get("/office/").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen"] -= app.config["STAFF_IDLE_MINUTES"] * 60 + 1
    response = client.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "staff_id" not in session


def test_an_oversized_body_gets_413(app, client, seeded):
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/donate", data={"message": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    assert response.status_code == 413 and "Traceback" not in response.get_data(as_text=True)


SAFE = {"SECRET_KEY": "a-long-random-secret-for-production", "STRIPE_WEBHOOK_SECRET": "whsec_real",
        "STRIPE_SECRET_KEY": "sk_test_x", "RECEIPT_ISSUER_CORPORATE_NUMBER": "7000012050002"}


@pytest.mark.parametrize("environment,overrides,refused", [
    ("production", {"SECRET_KEY": config_module.DEV_SECRET_KEY}, "SECRET_KEY"),
    ("production", {"SECRET_KEY": ""}, "SECRET_KEY"),
    ("production", {"STRIPE_WEBHOOK_SECRET": config_module.DEV_WEBHOOK_SECRET}, "STRIPE_WEBHOOK_SECRET"),
    ("staging", {"STRIPE_SECRET_KEY": "sk_live_x"}, "sk_live_"),
    ("nonsense", {}, "FUND_ENV"),
])
def test_unsafe_configuration_refuses_to_start(environment, overrides, refused):
    with pytest.raises(ConfigurationError, match=refused):
        config_module.check({**SAFE, "FUND_ENV": environment, **overrides})


def test_safe_configurations_start():
    config_module.check({**SAFE, "FUND_ENV": "production", "STRIPE_SECRET_KEY": "sk_live_x"})
    config_module.check({"FUND_ENV": "development", "SECRET_KEY": config_module.DEV_SECRET_KEY})


def test_the_app_without_development_refuses_the_built_in_secret(monkeypatch):
    for name in ("SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FUND_ENV", "production")
    with pytest.raises(ConfigurationError, match="FUND_ENV=development"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert config_module.from_environment({"FUND_ENV": "production"})["SESSION_COOKIE_SECURE"]


def test_health_reports_database_and_broker(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok", "checks": {"database": "ok"}}
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        app.config["CELERY_BROKER_URL"] = None
    # Still in service: gifts need no broker (tests/faults/test_redis_down.py).
    assert response.status_code == 200 and response.get_json() == {
        "status": "degraded", "checks": {"database": "ok", "broker": "unreachable"}}


def test_health_without_the_database_takes_the_instance_out(app, client, monkeypatch):
    from fund.core.extensions import db

    def refuse(*args, **kwargs):
        raise OSError("connection refused")
    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_signed_links_open_only_their_own_object_for_their_purpose_and_expire(client, ctx):
    """A pledge-cancel link opens its own pledge until it runs out; a link made for one
    pledge or for a receipt opens no other pledge (the receipt and self-service links
    have the same tests in tests/receipts and tests/giving)."""
    from datetime import timedelta

    from freezegun import freeze_time

    from fund.core import signing
    from fund.giving import pledge_links
    from fund.giving.models import Pledge
    from fund.receipts import links as receipt_links
    from tests.factories import DonorFactory

    mine, theirs = (Pledge(donor=DonorFactory(), amount=3000, status="active",
                           stripe_subscription_id=f"sub_{n}") for n in ("mine", "theirs"))
    db.session.add_all([mine, theirs])
    db.session.commit()
    token = pledge_links.cancel_token(mine)
    assert client.get(f"/pledges/cancel/{token}").status_code == 200
    # Another object: the same pledge id with the other pledge's subscription.
    crossed = signing.dumps(pledge_links.SALT, {"p": mine.id, "s": "sub_theirs"})
    assert client.get(f"/pledges/cancel/{crossed}").status_code == 404
    # Another purpose: a receipt link's payload signed for receipts opens no pledge.
    receipt_like = signing.dumps(receipt_links.SALT, {"p": mine.id, "s": "sub_mine"})
    assert client.get(f"/pledges/cancel/{receipt_like}").status_code == 404
    # Expired: made longer ago than the link lives.
    with freeze_time(utcnow() - timedelta(days=pledge_links.MAX_AGE_DAYS + 1)):
        old = pledge_links.cancel_token(mine)
    assert client.get(f"/pledges/cancel/{old}").status_code == 404
    db.session.expire_all()
    assert {p.status for p in db.session.query(Pledge)} == {"active"}
