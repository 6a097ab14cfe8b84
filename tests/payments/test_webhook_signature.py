"""The Stripe-Signature check (fund.payments.stripe.signature), which replaced
stripe.Webhook.construct_event: what it accepts and what it refuses."""
import hashlib
import hmac
import json
import time

import pytest
import stripe

from fund.core.extensions import db
from fund.payments.models import StripeEvent
from fund.payments.stripe.signature import TOLERANCE_SECONDS, BadSignature, parse_event, verify
from tests.conftest import WEBHOOK_SECRET
from tests.support.stripe_events import event, sign

SECRET = "whsec_unit_test_secret"
NOW = 1_780_000_000


def _body(event_id="evt_sig_1"):
    return json.dumps(event(event_id, "payment_intent.succeeded",
                            {"id": "pi_sig_1", "object": "payment_intent"}, created=NOW)).encode()


def _digest(body, secret=SECRET, stamp=NOW):
    return hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_valid_signature_gives_the_event():
    body = _body()
    assert parse_event(body, sign(body, SECRET, NOW), SECRET, now=NOW) == (
        "evt_sig_1", "payment_intent.succeeded", {"id": "pi_sig_1", "object": "payment_intent"})


def test_a_tampered_body_is_refused():
    body = _body()
    header = sign(body, SECRET, NOW)
    tampered = body.replace(b"pi_sig_1", b"pi_sig_2")
    with pytest.raises(BadSignature, match="No signatures found"):
        parse_event(tampered, header, SECRET, now=NOW)
    with pytest.raises(BadSignature):
        parse_event(body + b" ", header, SECRET, now=NOW)


def test_a_signature_made_with_another_secret_is_refused():
    body = _body()
    with pytest.raises(BadSignature, match="No signatures found"):
        verify(body, sign(body, "whsec_someone_else", NOW), SECRET, now=NOW)


def test_the_timestamp_is_part_of_what_is_signed():
    body = _body()
    with pytest.raises(BadSignature, match="No signatures found"):
        verify(body, f"t={NOW + 1},v1={_digest(body, stamp=NOW)}", SECRET, now=NOW)


def test_a_timestamp_older_than_the_tolerance_is_refused_even_when_signed():
    body = _body()
    old = NOW - TOLERANCE_SECONDS - 1
    with pytest.raises(BadSignature, match="tolerance"):
        verify(body, sign(body, SECRET, old), SECRET, now=NOW)
    verify(body, sign(body, SECRET, NOW - TOLERANCE_SECONDS + 5), SECRET, now=NOW)
    # A captured delivery replayed later: the same bytes and header, ten minutes on.
    header = sign(body, SECRET, NOW)
    verify(body, header, SECRET, now=NOW)
    with pytest.raises(BadSignature, match="tolerance"):
        verify(body, header, SECRET, now=NOW + 600)


def test_any_matching_v1_entry_is_accepted_and_v0_is_not():
    body = _body()
    good, wrong = _digest(body), _digest(body, secret="whsec_old")
    for header in (f"t={NOW},v1={wrong},v1={good}", f"t={NOW},v1={good},v1={wrong}",
                   f"t={NOW},v0={wrong},v1={good}"):
        verify(body, header, SECRET, now=NOW)
    for header in (f"t={NOW},v1={wrong},v1={wrong}", f"t={NOW},v0={good}",
                   f"t={NOW},v1={wrong},v0={good}"):
        with pytest.raises(BadSignature):
            verify(body, header, SECRET, now=NOW)


@pytest.mark.parametrize("header", [
    "", "garbage", "t=", "v1=abc", f"t={NOW}", f"t={NOW},v1=", "t=soon,v1=abc",
    f"t=-{NOW},v1=abc", f"t={NOW},t={NOW},v1=abc", f"t={NOW},v1=\u00e9\u00e9", "t,v1",
    f"t={NOW};v1=abc", f" t={NOW},v1={_digest(_body())}",
])
def test_a_malformed_header_is_refused(header):
    with pytest.raises(BadSignature):
        verify(_body(), header, SECRET, now=NOW)


def test_no_secret_verifies_nothing():
    body = _body()
    with pytest.raises(BadSignature, match="secret"):
        verify(body, sign(body, "", NOW), "", now=NOW)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "evt_1"}',
                                  b'{"id": "evt_1", "type": "x", "data": {"object": []}}',
                                  b"\xff\xfe"])
def test_a_signed_body_that_is_not_an_event_is_refused(body):
    with pytest.raises(BadSignature, match="Invalid payload"):
        parse_event(body, sign(body, SECRET, NOW), SECRET, now=NOW)


def test_it_agrees_with_stripes_own_library():
    body = _body()
    now = int(time.time())
    cases = {"valid": sign(body, SECRET, now), "wrong secret": sign(body, "whsec_x", now),
             "too old": sign(body, SECRET, now - TOLERANCE_SECONDS - 10),
             "two v1": f"t={now},v1={_digest(body, 'whsec_x', now)},v1={_digest(body, stamp=now)}",
             "no v1": f"t={now}", "no t": f"v1={_digest(body, stamp=now)}"}
    for name, header in cases.items():
        try:
            stripe.Webhook.construct_event(body, header, SECRET)
            theirs = True
        except (ValueError, stripe.SignatureVerificationError):
            theirs = False
        try:
            parse_event(body, header, SECRET)
            ours = True
        except BadSignature:
            ours = False
        assert ours == theirs, name


def test_the_endpoint_refuses_an_old_delivery_and_stores_nothing(client, ctx):
    body = _body("evt_sig_old")
    answer = client.post("/webhooks/stripe", data=body, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": sign(body, WEBHOOK_SECRET, time.time() - TOLERANCE_SECONDS - 60)})
    assert answer.status_code == 400 and answer.get_json()["code"] == "bad_signature"
    assert db.session.query(StripeEvent).count() == 0
    fresh = client.post("/webhooks/stripe", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": sign(body, WEBHOOK_SECRET)})
    assert fresh.status_code == 200 and fresh.get_json()["outcome"] == "unknown_object"
