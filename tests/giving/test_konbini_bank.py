"""Konbini and bank transfer: instructions now, the gift only when Stripe says paid.

Real Stripe test mode is imitated with `responses` (localstripe has neither
method); webhook deliveries are signed and posted through the test client.
"""
import json
import re
import time
from datetime import timedelta

import responses
from freezegun import freeze_time

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.giving.models import Donation
from fund.payments.models import Payment, PaymentInstructions
from fund.receipts.models import Receipt
from fund.giving import async_methods as async_payments
from fund.payments import instructions as payment_instructions
from tests.conftest import WEBHOOK_SECRET
from tests.support import stripe_fake as so
from tests.support.forms import post_donation
from tests.support.stripe_events import deliver, event

CAMPAIGN = "campaign:airborne-virus-laser-2026"


def _create_intent_callback(method, made, expires_at=None, customer=None):
    """POST /v1/payment_intents: answer requires_action with the method's instructions."""
    def callback(request):
        form = so.form_of(type("C", (), {"request": request}))
        amount = int(form["amount"])
        pid = f"pi_{method}_{form['metadata[payment_id]']}"
        action = so.konbini_action(expires_at) if method == "konbini" else so.bank_action(amount)
        obj = so.intent(pid, amount=amount, status="requires_action",
                        methods=["konbini" if method == "konbini" else "customer_balance"],
                        payment_id=form["metadata[payment_id]"],
                        donation_id=form["metadata[donation_id]"], next_action=action,
                        customer=customer)
        made.append(obj)
        return 200, {}, json.dumps(obj)
    return callback


def _start(client, online, method, expires_at=None, **form):
    made = []
    if method == "bank_transfer":
        so.add_json(online, responses.POST, "/customers", so.customer("cus_bank_1"))
    online.add_callback(responses.POST, f"{so.API}/payment_intents",
                        callback=_create_intent_callback(method, made, expires_at,
                                                         "cus_bank_1" if method == "bank_transfer" else None))
    response = post_donation(client, payment_method=method, **form)
    return response, made


def _settle_mocks(online, obj, status, **extra):
    """GET /v1/payment_intents/<id> answers the intent in its new state."""
    fresh = dict(obj, status=status, next_action=None, **extra)
    online.replace(responses.GET, f"{so.API}/payment_intents/{obj['id']}", json=fresh) \
        if any(c.url == f"{so.API}/payment_intents/{obj['id']}" for c in online.registered()) \
        else so.add_json(online, responses.GET, f"/payment_intents/{obj['id']}", fresh)
    return fresh


def _campaign_raised(client):
    home = client.get("/").get_data(as_text=True)
    return re.search(r'class="raised">([^<]+)<', home).group(1)


def test_konbini_gift_pending_then_paid_issues_one_receipt(
        client, seeded, ctx, online, smtp_server):
    expires = time.time() + 3 * 86400
    response, made = _start(client, online, "konbini", expires_at=expires,
                            destination=CAMPAIGN, amount_choice="other", amount_other="5000")
    assert response.status_code == 302 and response.headers["Location"].endswith("/pay")

    # What went to Stripe: a konbini intent confirmed on the server, keyed by our row.
    [create] = so.calls_to(online, "POST", "/payment_intents")
    sent = so.form_of(create)
    payment = db.session.query(Payment).one()
    assert sent["payment_method_types[0]"] == "konbini"
    assert sent["payment_method_data[type]"] == "konbini"
    assert sent["payment_method_data[billing_details][name]"] == "量子 花子"
    assert sent["payment_method_data[billing_details][email]"] == "hanako@example.jp"
    assert sent["payment_method_options[konbini][expires_after_days]"] == "3"
    assert sent["confirm"] == "true" and sent["amount"] == "5000" and sent["currency"] == "jpy"
    assert create.request.headers["Idempotency-Key"] == f"fund-payment-{payment.id}-intent"

    assert payment.method == "konbini" and payment.state == "requires_action"
    assert payment.donation.status == "pending"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "123456" in page and "01234567890" in page and "ファミリーマート" in page
    assert "https://payments.stripe.com/konbini/voucher/test_YWNjdF8x" in page
    instructions = db.session.query(PaymentInstructions).one()
    assert abs(instructions.expires_at.timestamp() - int(expires)) < 1
    assert async_payments.expires_text(instructions, "ja") in page
    [instructions_mail] = smtp_server.wait_for(1)
    body = instructions_mail.get_body(("plain",)).get_content()
    assert "コンビニ" in instructions_mail["Subject"]
    assert "123456" in body and async_payments.expires_text(instructions, "ja") in body
    assert f"/donations/{payment.donation.public_id}/pay" in body
    assert db.session.query(Receipt).count() == 0
    assert _campaign_raised(client) == "¥0"

    # The donor pays at the store; Stripe sends payment_intent.succeeded.
    obj = made[0]
    _settle_mocks(online, obj, "succeeded", latest_charge="ch_konbini_1",
                  amount_received=5000)
    so.add_json(online, responses.GET, "/charges/ch_konbini_1", so.charge("ch_konbini_1", 5000, fee=190))
    body = event("evt_konbini_paid", "payment_intent.succeeded",
                 {"id": obj["id"], "object": "payment_intent"})
    first = deliver(client, body, WEBHOOK_SECRET)
    again = deliver(client, body, WEBHOOK_SECRET)
    other = deliver(client, event("evt_konbini_paid_2", "payment_intent.succeeded",
                                  {"id": obj["id"], "object": "payment_intent"}), WEBHOOK_SECRET)
    assert first.get_json()["outcome"] == "processed"
    assert again.get_json()["outcome"] == "duplicate"
    assert other.status_code == 200
    db.session.expire_all()
    assert payment.state == "succeeded" and payment.fee == 190 and payment.net == 4810
    assert payment.donation.status == "paid"
    [receipt] = db.session.query(Receipt).all()
    assert receipt.amount == 5000
    mails = smtp_server.wait_for(2)
    assert len(mails) == 2 and receipt.number in mails[1]["Subject"]
    assert _campaign_raised(client) == "¥5,000"
    assert "pay-paid" in client.get(f"/donations/{payment.donation.public_id}/pay").get_data(as_text=True)


def test_konbini_voucher_expiry_is_expired_without_receipt(client, seeded, ctx, online, smtp_server):
    response, made = _start(client, online, "konbini", expires_at=time.time() + 86400,
                            destination=CAMPAIGN)
    assert response.status_code == 302
    smtp_server.wait_for(1)
    obj = made[0]
    # Stripe's documented expiry: the intent returns to requires_payment_method
    # with payment_intent_payment_attempt_expired, and payment_failed is sent.
    _settle_mocks(online, obj, "requires_payment_method", last_payment_error={
        "code": "payment_intent_payment_attempt_expired", "type": "invalid_request_error",
        "message": "The latest attempt for this PaymentIntent has expired."})
    result = deliver(client, event("evt_konbini_expired", "payment_intent.payment_failed",
                                   {"id": obj["id"], "object": "payment_intent"}), WEBHOOK_SECRET)
    assert result.status_code == 200 and result.get_json()["outcome"] == "processed"
    db.session.expire_all()
    payment = db.session.query(Payment).one()
    assert payment.state == "expired"
    assert payment.donation.status == "failed"
    assert db.session.query(Receipt).count() == 0
    assert _campaign_raised(client) == "¥0"
    mails = smtp_server.wait_for(2)
    assert "期限" in mails[1]["Subject"]
    page = client.get(f"/donations/{payment.donation.public_id}/pay").get_data(as_text=True)
    assert "pay-expired" in page
    # "Try again" refills the form for the same destination (not a blank general-fund form).
    assert f'href="/donate/again/{payment.donation.public_id}"' in page
    thanks = client.get(f"/thanks/{payment.donation.public_id}").get_data(as_text=True)
    assert "お支払い期限を過ぎた" in thanks and "カードが承認されません" not in thanks
    # A late cancellation event changes nothing more.
    _settle_mocks(online, obj, "canceled")
    deliver(client, event("evt_konbini_canceled", "payment_intent.canceled",
                          {"id": obj["id"], "object": "payment_intent"}), WEBHOOK_SECRET)
    db.session.expire_all()
    assert payment.state == "expired"
    assert db.session.query(OutboundEmail).count() == 2


def test_bank_transfer_pending_then_paid(client, seeded, ctx, online, smtp_server):
    response, made = _start(client, online, "bank_transfer", amount_choice="30000")
    assert response.status_code == 302
    payment = db.session.query(Payment).one()
    assert payment.method == "bank_transfer" and payment.state == "requires_action"
    [customer_call] = so.calls_to(online, "POST", "/customers")
    assert customer_call.request.headers["Idempotency-Key"] == f"fund-payment-{payment.id}-customer"
    sent = so.form_of(so.calls_to(online, "POST", "/payment_intents")[0])
    assert sent["customer"] == "cus_bank_1"
    assert sent["payment_method_types[0]"] == "customer_balance"
    assert sent["payment_method_options[customer_balance][funding_type]"] == "bank_transfer"
    assert sent["payment_method_options[customer_balance][bank_transfer][type]"] == "jp_bank_transfer"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for text in ("三井住友銀行", "カエデ支店", "1234567", "ストライプジャパン（カ", "普通", "¥30,000"):
        assert text in page
    [mail] = smtp_server.wait_for(1)
    assert "1234567" in mail.get_body(("plain",)).get_content() and "振込" in mail["Subject"]
    assert db.session.query(Receipt).count() == 0

    obj = made[0]
    _settle_mocks(online, obj, "succeeded", latest_charge="ch_bank_1", amount_received=30000)
    so.add_json(online, responses.GET, "/charges/ch_bank_1", so.charge("ch_bank_1", 30000, fee=0))
    result = deliver(client, event("evt_bank_paid", "payment_intent.succeeded",
                                   {"id": obj["id"], "object": "payment_intent"}), WEBHOOK_SECRET)
    assert result.get_json()["outcome"] == "processed"
    db.session.expire_all()
    assert payment.state == "succeeded" and payment.donation.status == "paid"
    assert db.session.query(Receipt).one().amount == 30000
    smtp_server.wait_for(2)


def test_unpaid_bank_transfer_is_canceled_and_expired_after_the_deadline(
        client, seeded, ctx, online, smtp_server):
    response, made = _start(client, online, "bank_transfer")
    payment = db.session.query(Payment).one()
    obj = made[0]
    so.add_json(online, responses.GET, f"/payment_intents/{obj['id']}", obj)
    canceled = dict(obj, status="canceled", next_action=None, cancellation_reason="abandoned")
    so.add_json(online, responses.POST, f"/payment_intents/{obj['id']}/cancel", canceled)
    assert payment_instructions.expire_overdue() == (0, 0, 0)  # not yet due
    with freeze_time(db.session.query(PaymentInstructions).one().expires_at + timedelta(hours=2)):
        assert payment_instructions.expire_overdue() == (1, 0, 0)
    [cancel] = so.calls_to(online, "POST", f"/payment_intents/{obj['id']}/cancel")
    assert cancel.request.headers["Idempotency-Key"] == f"fund-payment-{payment.id}-expire"
    db.session.expire_all()
    assert payment.state == "expired" and db.session.query(Receipt).count() == 0
    smtp_server.wait_for(2)


def test_konbini_amount_limits_refused_with_nothing_saved(client, seeded, ctx, online):
    response = post_donation(client, payment_method="konbini", amount_choice="other",
                             amount_other="300001")
    assert response.status_code == 422
    assert "コンビニ払いは120円以上300,000円以下" in response.get_data(as_text=True)
    assert 'value="量子 花子"' in response.get_data(as_text=True)
    assert db.session.query(Donation).count() == 0
    assert not online.calls


def test_localstripe_offers_card_only(client, seeded, ctx):
    page = client.get("/donate").get_data(as_text=True)
    assert "この環境ではクレジットカードのみご利用いただけます" in page
    assert 'value="konbini"' not in page and 'value="monthly"' not in page
    response = post_donation(client, payment_method="konbini")
    assert response.status_code == 422
    assert "このお支払い方法は現在ご利用いただけません" in response.get_data(as_text=True)
    assert db.session.query(Donation).count() == 0


def test_online_form_offers_konbini_bank_transfer_and_monthly(client, seeded, ctx, online):
    page = client.get("/donate").get_data(as_text=True)
    for value in ('value="konbini"', 'value="bank_transfer"', 'value="monthly"'):
        assert value in page
    assert "この環境ではクレジットカードのみ" not in page
    assert "https://js.stripe.com/v3/" in page
