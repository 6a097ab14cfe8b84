"""A donor who presses "try again" after an outage is charged once.

Stripe is played by `responses` here, honouring idempotency keys the way the
real API does: a repeated key with the same parameters replays the first answer.
"""
import json
import re
from urllib.parse import parse_qs

import responses

from fund.core.extensions import db
from fund.giving.models import Donation
from fund.payments.models import Payment
from fund.receipts.models import Receipt
from tests.support import stripe_fake
from tests.support.forms import csrf_token, donation_form

CHECKOUT = re.compile(r'name="checkout_key" value="([^"]+)"')
TOKEN = re.compile(r'name="card_token" id="card_token" value="([^"]*)"')


class IdempotentStripe:
    """Customers and intents that replay per idempotency key; can lose answers."""

    def __init__(self, mock, base):
        self.seen = {}          # key -> (params, response body)
        self.charges_made = 0
        self.lose_intent_answers = 0
        self.requests = []
        mock.add_callback(responses.POST, f"{base}/v1/customers", callback=self.customer)
        mock.add_callback(responses.POST, f"{base}/v1/payment_intents", callback=self.intent)

    def _replay(self, request, make):
        key = request.headers["Idempotency-Key"]
        params = parse_qs(request.body)
        self.requests.append((request.url.rsplit("/", 1)[1], key))
        if key in self.seen:
            first_params, body = self.seen[key]
            if first_params != params:
                return 400, {}, json.dumps({"error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same "
                               "parameters they were first used with."}})
        else:
            body = make(params)
            self.seen[key] = (params, body)
        return 200, {}, json.dumps(body)

    def customer(self, request):
        return self._replay(request, lambda params: {
            "id": "cus_once", "object": "customer", "default_source": "card_once"})

    def intent(self, request):
        def make(params):
            self.charges_made += 1
            return stripe_fake.intent("pi_once", int(params["amount"][0]), charge="ch_once",
                                      payment_id=int(params["metadata[payment_id]"][0]))
        status, headers, body = self._replay(request, make)
        if self.lose_intent_answers:
            self.lose_intent_answers -= 1
            return 503, {}, json.dumps({"error": {"type": "api_error", "message": "lost"}})
        return status, headers, body


def _submit(client, form):
    return client.post("/donate", data=form)


def test_try_again_after_lost_answers_charges_once(client, seeded, ctx, localstripe, smtp_server):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stripe = IdempotentStripe(mock, localstripe.url)
        stripe_fake.FakeStripe(mock, localstripe.url).charges["ch_once"] = \
            stripe_fake.charge("ch_once", 5000, payment_intent="pi_once", fee=180)
        page = client.get("/donate").get_data(as_text=True)
        form = donation_form(card_token="tok_visa")
        form["csrf_token"] = csrf_token(client)
        form["checkout_key"] = CHECKOUT.search(page).group(1)
        # Stripe makes the charge, but every answer (first try and retries) is lost.
        stripe.lose_intent_answers = 4
        first = _submit(client, form)
        assert first.status_code == 503
        again = first.get_data(as_text=True)
        assert "二重に請求されることはありません" in again
        # The page keeps the same checkout and token for "try again".
        assert CHECKOUT.search(again).group(1) == form["checkout_key"]
        assert TOKEN.search(again).group(1) == "tok_visa"
        assert db.session.query(Payment).one().state == "created"

        second = _submit(client, form)
        assert second.status_code == 302 and "/thanks/" in second.headers["Location"]
        # A double click after success changes nothing either.
        third = _submit(client, form)
        assert third.status_code == 302
    assert stripe.charges_made == 1
    intent_keys = {key for path, key in stripe.requests if path == "payment_intents"}
    assert intent_keys == {"fund-payment-1-intent"}
    assert db.session.query(Donation).count() == 1
    payment = db.session.query(Payment).one()
    assert payment.state == "succeeded" and payment.stripe_payment_intent_id == "pi_once"
    assert db.session.query(Receipt).count() == 1


def test_changed_amount_on_a_resubmitted_form_is_refused(client, seeded, ctx, localstripe):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stripe = IdempotentStripe(mock, localstripe.url)
        page = client.get("/donate").get_data(as_text=True)
        form = donation_form(card_token="tok_visa")
        form["csrf_token"] = csrf_token(client)
        form["checkout_key"] = CHECKOUT.search(page).group(1)
        stripe.lose_intent_answers = 4
        assert _submit(client, form).status_code == 503
        form["amount_choice"] = "10000"
        response = _submit(client, form)
    assert response.status_code == 409
    assert "すでに送信されています" in response.get_data(as_text=True)
    assert db.session.query(Donation).count() == 1
    assert stripe.charges_made == 1
