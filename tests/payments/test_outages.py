"""Stripe timing out, rate limiting or failing: retried with the same key, charged once."""
import json

import requests
import responses

from fund.core.extensions import db
from fund.payments.models import Payment
from fund.receipts.models import Receipt
from fund.payments import sync as stripe_sync
from tests.support import stripe_fake
from tests.support.forms import post_donation


def _answers(script):
    """A responses callback that plays `script` (exceptions or (status, body)) in order."""
    calls = []

    def answer(request):
        step = script[min(len(calls), len(script) - 1)]
        calls.append(request.headers.get("Idempotency-Key"))
        if isinstance(step, Exception):
            raise step
        status, body = step
        return status, {}, json.dumps(body)
    return answer, calls


ERROR_500 = (500, {"error": {"type": "api_error", "message": "An unknown error occurred"}})
ERROR_429 = (429, {"error": {"type": "invalid_request_error", "code": "rate_limit",
                             "message": "Too many requests"}})
ERROR_503 = (503, {"error": {"type": "api_error", "message": "Service unavailable"}})


def _stripe(mock, base, customer_script, intent_script):
    customers, customer_keys = _answers(customer_script)
    intents, intent_keys = _answers(intent_script)
    mock.add_callback(responses.POST, f"{base}/v1/customers", callback=customers)
    mock.add_callback(responses.POST, f"{base}/v1/payment_intents", callback=intents)
    return customer_keys, intent_keys


CUSTOMER = (200, {"id": "cus_r1", "object": "customer", "default_source": "card_r1"})


def test_timeouts_429_and_5xx_are_retried_with_the_same_key(
        client, seeded, ctx, localstripe, smtp_server):
    base = localstripe.url
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = stripe_fake.FakeStripe(mock, base)
        fake.charges["ch_r1"] = stripe_fake.charge("ch_r1", 5000, payment_intent="pi_r1", fee=180)
        succeeded = (200, stripe_fake.intent("pi_r1", 5000, charge="ch_r1", payment_id=1))
        customer_keys, intent_keys = _stripe(
            mock, base, [ERROR_503, requests.exceptions.ConnectTimeout("connect timeout"), CUSTOMER],
            [requests.exceptions.ReadTimeout("read timed out"), ERROR_429, ERROR_500, succeeded])
        response = post_donation(client, token="tok_visa")
    assert response.status_code == 302 and "/thanks/" in response.headers["Location"]
    assert customer_keys == ["fund-payment-1-customer"] * 3
    assert intent_keys == ["fund-payment-1-intent"] * 4
    payment = db.session.query(Payment).one()
    assert payment.state == "succeeded" and payment.stripe_payment_intent_id == "pi_r1"
    assert (payment.fee, payment.net) == (180, 4820)
    assert db.session.query(Receipt).count() == 1
    smtp_server.wait_for(1)


def test_stripe_down_shows_try_again_and_sync_finds_the_lost_charge(
        client, seeded, ctx, localstripe, smtp_server):
    """The intent was made but every answer was lost: the donor is told to try
    again, and stripe-sync later records the one charge Stripe made, once."""
    base = localstripe.url
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = stripe_fake.FakeStripe(mock, base)
        _, intent_keys = _stripe(mock, base, [CUSTOMER], [ERROR_500])
        response = post_donation(client, token="tok_visa")
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "決済サービスに接続できませんでした。二重に請求されることはありません。" in page
        assert 'value="量子 花子"' in page
        assert intent_keys == ["fund-payment-1-intent"] * 4  # first try + 3 retries
        payment = db.session.query(Payment).one()
        assert payment.state == "created" and payment.stripe_payment_intent_id is None

        # What Stripe had done with the first of those requests:
        fake.intents["pi_lost"] = stripe_fake.intent("pi_lost", 5000, charge="ch_lost",
                                                     payment_id=payment.id, created=2_000_000_000)
        fake.charges["ch_lost"] = stripe_fake.charge("ch_lost", 5000, payment_intent="pi_lost")
        from datetime import datetime, timezone
        since = datetime(2033, 1, 1, tzinfo=timezone.utc)
        first = stripe_sync.sync(since=since)
        second = stripe_sync.sync(since=since)
    assert first.repaired == [f"payment {payment.id} (pi_lost): created -> succeeded"]
    assert second.repaired == [] and second.problems == []
    db.session.expire_all()
    assert payment.state == "succeeded" and payment.stripe_payment_intent_id == "pi_lost"
    assert db.session.query(Payment).filter_by(state="succeeded").count() == 1
    assert db.session.query(Receipt).count() == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_stripe_asking_not_to_retry_is_obeyed(client, seeded, ctx, localstripe):
    base = localstripe.url
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        calls = []

        def answer(request):
            calls.append(request.headers.get("Idempotency-Key"))
            return 500, {"Stripe-Should-Retry": "false"}, json.dumps(ERROR_500[1])
        mock.add_callback(responses.POST, f"{base}/v1/customers", callback=answer)
        response = post_donation(client, token="tok_visa")
    assert response.status_code == 503
    assert calls == ["fund-payment-1-customer"]
