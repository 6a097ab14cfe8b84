"""Stripe failing while a donor pays, over real sockets to gunicorn: 500, 429, a hang past
the timeout, a connection closed without an answer. The donor is told to try again
and charged once; stripe-sync records what the donor never came back for.

tests/payments/test_outages.py covers the retry schedule with `responses`; here
the same faults come from a server the app really talks to, in production settings.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.giving.models import Donation
from fund.payments import sync as stripe_sync
from fund.payments.models import Payment
from fund.receipts.models import Receipt
from tests.support.forms import CSRF, donation_form

pytestmark = pytest.mark.pg_only

CHECKOUT = re.compile(r'name="checkout_key" value="([^"]+)"')
TRY_AGAIN = "二重に請求されることはありません"


def _form(browser):
    response = browser.request("GET", "/donate")
    page = response.text
    # Production settings: the session cookie never travels over plain http or to scripts.
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    form = donation_form(card_token="tok_visa")
    form["csrf_token"] = CSRF.search(page).group(1)
    form["checkout_key"] = CHECKOUT.search(page).group(1)
    return form


def _intent_keys(stripe):
    return {key for method, route, key in stripe.requests if route == "POST /v1/payment_intents"}


def test_a_donor_who_tries_again_after_stripe_failed_is_charged_once(
        gunicorn, stripe, browser, seeded, smtp_server):
    form = _form(browser)
    # Stripe makes the charge, then the answer is lost four ways, one per attempt.
    stripe.misbehave("POST /v1/payment_intents", "hang", 500, 429, "close")
    first = browser.request("POST", "/donate", data=form)
    assert first.status_code == 503 and TRY_AGAIN in first.text
    assert stripe.charges_made == 1
    db.session.expire_all()
    assert db.session.query(Payment).one().state == "created"

    second = browser.request("POST", "/donate", data=form)  # the donor presses the button again
    assert second.status_code == 302 and "/thanks/" in second.headers["Location"]
    assert stripe.charges_made == 1 and len(_intent_keys(stripe)) == 1
    db.session.expire_all()
    assert db.session.query(Donation).count() == 1
    assert db.session.query(Payment).one().state == "succeeded"
    assert db.session.query(Receipt).count() == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_stripe_sync_repairs_the_gift_of_a_donor_who_gave_up(
        app, gunicorn, stripe, browser, seeded, smtp_server):
    form = _form(browser)
    stripe.misbehave("POST /v1/payment_intents", "close", "hang", "close", 500)
    answer = browser.request("POST", "/donate", data=form)
    assert answer.status_code == 503 and TRY_AGAIN in answer.text
    db.session.expire_all()
    payment = db.session.query(Payment).one()
    assert payment.state == "created" and payment.stripe_payment_intent_id is None

    # The donor closed the tab. The hourly stripe-sync finds the charge Stripe made.
    run = gunicorn.flask("fund", "stripe-sync")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"payment {payment.id}" in run.stdout and "created -> succeeded" in run.stdout
    # A second run (here in the test's own process, on the same Stripe) repairs nothing.
    saved = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = stripe.url
    db.session.expire_all()  # what the first run wrote, not what this session last saw
    try:
        again = stripe_sync.sync(since=datetime.now(timezone.utc) - timedelta(days=7))
    finally:
        app.config["STRIPE_API_BASE"] = saved
        app.extensions.pop("fund.stripe", None)
    assert again.repaired == [] and again.problems == []
    assert stripe.charges_made == 1
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).state == "succeeded"
    assert db.session.query(Receipt).count() == 1
    assert db.session.query(OutboundEmail).count() == 1
    assert len(smtp_server.wait_for(1)) == 1
