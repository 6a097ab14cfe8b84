"""Refunds from the office page, against localstripe: Stripe, our rows and the audit log agree."""
import json
import time

import pytest
import requests

from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.core.models import AuditEntry
from fund.giving.models import Donation
from fund.payments.models import Refund, StripeEvent
from fund.receipts.models import Receipt
from fund.core import clock
from tests.conftest import WEBHOOK_SECRET
from tests.payments.conftest import post_refund
from tests.support.forms import csrf_token, post_donation
from tests.support.stripe_events import event, sign


def paid_gift(client, card_token, amount=5000):
    response = post_donation(client, token=card_token(), amount_choice="other",
                             amount_other=str(amount))
    assert response.status_code == 302
    donation = db.session.query(Donation).one()
    assert donation.status == "paid"
    return donation


def test_full_refund_through_the_office_page(client, seeded, ctx, card_token, office,
                                             stripe_client):
    gift = paid_gift(client, card_token)
    page = client.get(f"/office/donations/{gift.id}?lang=en").get_data(as_text=True)
    assert "Refund this gift" in page and 'class="refundable">¥5,000' in page
    assert 'id="amount" name="amount" inputmode="numeric" value=""' in page  # never pre-filled
    payment = gift.payments[0]
    assert payment.fee is not None and f'class="num net">¥{payment.net:,}' in page
    received = payment.succeeded_at.astimezone(clock.JST).strftime("%Y-%m-%d %H:%M")
    assert f'class="received">{received}<' in page
    settles = payment.available_on.astimezone(clock.JST).strftime("%Y-%m-%d")
    assert f'class="settles">{settles}<' in page

    response = post_refund(client, gift.id, "5,000", reason="二重の寄附でした")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refund of ¥5,000: Succeeded." in page

    db.session.expire_all()
    refund = db.session.query(Refund).one()
    assert (refund.state, refund.amount, refund.reason) == ("succeeded", 5000, "二重の寄附でした")
    at_stripe = stripe_client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert at_stripe["amount"] == 5000
    assert at_stripe["metadata"]["refund_id"] == str(refund.id)
    assert gift.refunded_amount == 5000 and gift.net_amount == 0
    assert gift.status == "refunded"
    trail = {(a.action, a.actor_type, a.actor_id) for a in
             db.session.query(AuditEntry).filter_by(subject_type="refund", subject_id=refund.id)}
    assert trail == {("refund.created", "staff", str(office.id)),
                     ("refund.succeeded", "staff", str(office.id))}
    assert 'class="status">Refunded' in page and "Nothing left to refund." in page


def test_partial_refunds_and_over_refund_refused_before_stripe(
        client, seeded, ctx, card_token, office, stripe_client, monkeypatch):
    gift = paid_gift(client, card_token)
    original = db.session.query(Receipt).one()
    assert post_refund(client, gift.id, 2000).status_code == 302
    db.session.expire_all()
    assert gift.status == "partially_refunded" and gift.net_amount == 3000
    # The receipt follows the net amount (receipts.on_refund): void, reissued for ¥3,000.
    assert original.status == "void"
    reissue = db.session.query(Receipt).filter_by(status="valid").one()
    assert reissue.number == f"{original.number}-2" and reissue.amount == 3000

    calls = []
    real_create = gateway.create_refund
    monkeypatch.setattr(gateway, "create_refund",
                        lambda **kw: calls.append(kw) or real_create(**kw))
    refused = post_refund(client, gift.id, 3001)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "At most ¥3,000 of this gift can still be refunded" in page
    assert 'value="3001"' in page  # what was typed is kept
    assert calls == []  # Stripe was never asked
    db.session.expire_all()
    assert db.session.query(Refund).count() == 1
    charge = gift.payments[0].stripe_charge_id
    assert len(stripe_client.v1.refunds.list(params={"charge": charge})["data"]) == 1

    assert post_refund(client, gift.id, 3000).status_code == 302
    assert len(calls) == 1
    db.session.expire_all()
    assert [r.amount for r in gift.refunds] == [2000, 3000]
    assert gift.status == "refunded" and gift.net_amount == 0
    assert db.session.query(Receipt).filter_by(status="valid").count() == 0
    assert post_refund(client, gift.id, 1).status_code == 409


@pytest.mark.parametrize("amount,reason,field", [("0", "x", "amount"), ("1.5", "x", "amount"),
                                                 ("-100", "x", "amount"), ("1000", "  ", "reason")])
def test_bad_refund_input_is_refused_with_a_message(client, seeded, ctx, card_token, office,
                                                    amount, reason, field):
    gift = paid_gift(client, card_token)
    response = post_refund(client, gift.id, amount, reason=reason)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert db.session.query(Refund).count() == 0


def test_refund_needs_csrf_token_and_an_office_role(client, seeded, ctx, card_token, sign_in):
    gift = paid_gift(client, card_token)
    sign_in("accountant")
    page = client.get(f"/office/donations/{gift.id}")
    assert page.status_code == 200 and "refund-form" not in page.get_data(as_text=True)
    token = csrf_token(client, f"/office/donations/{gift.id}")
    for step in ("refund/confirm", "refund"):
        refused = client.post(f"/office/donations/{gift.id}/{step}", data={
            "amount": "5000", "reason": "x", "confirmed": "yes", "csrf_token": token})
        assert refused.status_code == 403
    client.post("/office/logout", data={"csrf_token": token})
    sign_in("office")
    forged = client.post(f"/office/donations/{gift.id}/refund",
                         data={"amount": "5000", "reason": "x"})
    assert forged.status_code == 400
    assert db.session.query(Refund).count() == 0


def _wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return
        # End our read transaction: on SQLite it would keep the live app from committing.
        db.session.rollback()
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def test_dashboard_refund_arrives_by_signed_webhook_once(
        client, seeded, ctx, card_token, webhooks, live_server, stripe_client):
    gift = paid_gift(client, card_token)
    # localstripe itself delivers payment_intent.succeeded to the live app
    # (events of earlier tests may still be on their way: look for ours).
    intent_id = gift.payments[0].stripe_payment_intent_id
    _wait_for(lambda: db.session.query(StripeEvent).filter_by(
        type="payment_intent.succeeded", object_id=intent_id).count() == 1)
    charge = gift.payments[0].stripe_charge_id
    # Someone refunds ¥1,500 in the dashboard; localstripe sends no refund
    # events, so we deliver the ones Stripe would send, signed, to the live app.
    made = stripe_client.v1.refunds.create(params={"charge": charge, "amount": 1500})
    charge_obj = stripe_client.v1.charges.retrieve(charge).to_dict()
    deliveries = [event("evt_dash_1", "charge.refunded", charge_obj),
                  event("evt_dash_2", "refund.updated", made.to_dict()),
                  event("evt_dash_1", "charge.refunded", charge_obj)]  # Stripe retries
    for body in deliveries:
        payload = json.dumps(body).encode()
        answer = requests.post(f"{live_server.url}/webhooks/stripe", data=payload, timeout=10,
                               headers={"Content-Type": "application/json",
                                        "Stripe-Signature": sign(payload, WEBHOOK_SECRET)})
        assert answer.status_code == 200
    db.session.expire_all()
    refund = db.session.query(Refund).one()
    assert (refund.stripe_refund_id, refund.amount, refund.state) == (made["id"], 1500, "succeeded")
    assert refund.reason.startswith("Refunded in Stripe")
    assert gift.status == "partially_refunded" and gift.net_amount == 3500
    recorded = db.session.query(AuditEntry).filter_by(action="refund.recorded").one()
    assert recorded.actor_type == "stripe" and recorded.actor_id == "evt_dash_1"
    assert db.session.query(StripeEvent).filter_by(stripe_event_id="evt_dash_1").count() == 1
