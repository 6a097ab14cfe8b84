"""Monthly giving: subscription sign-up, renewals, a failed renewal, cancelling.

Subscriptions on current objects (price_data, invoice.parent) exist only on
real Stripe, so Stripe's side is answered with `responses`.
"""
import json
import re

import responses

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.giving.models import Donation, Pledge, PledgeInvoice
from fund.payments.models import Payment
from fund.receipts.models import Receipt
from fund.core import signing
from fund.giving import pledge_links
from tests.conftest import WEBHOOK_SECRET
from tests.support import stripe_fake as so
from tests.support.forms import csrf_token, post_donation
from tests.support.stripe_events import deliver, event

PROJECT = "project:quantum-scalpel-magnet"
CANCEL_LINK = re.compile(r"http://127\.0\.0\.1:\d+(/pledges/cancel/\S+)")


def _invoice_mocks(online, invoice_id, amount, pledge_id=1, status="paid"):
    intent_id = f"pi_{invoice_id}"
    charge_id = f"ch_{invoice_id}"
    so.add_json(online, responses.GET, f"/invoices/{invoice_id}", so.invoice(
        invoice_id, sub_id="sub_monthly_1", pledge_id=pledge_id, amount=amount, status=status,
        intent_id=intent_id))
    if status == "paid":
        so.add_json(online, responses.GET, f"/payment_intents/{intent_id}", so.intent(
            intent_id, amount=amount, status="succeeded", methods=["card"], payment_id="",
            donation_id="", customer="cus_monthly_1", latest_charge=charge_id))
        so.add_json(online, responses.GET, f"/charges/{charge_id}", so.charge(charge_id, amount, fee=180))


def _sign_up(client, online, amount="5000", product_exists=False, **form):
    so.add_json(online, responses.POST, "/customers", so.customer("cus_monthly_1", "card_monthly_1"))
    if product_exists:
        so.add_json(online, responses.GET, "/products/qst-fund-monthly",
                    {"id": "qst-fund-monthly", "object": "product", "active": True})
    else:
        online.add(responses.GET, f"{so.API}/products/qst-fund-monthly", status=404,
                   json={"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": "No such product: 'qst-fund-monthly'"}})
        so.add_json(online, responses.POST, "/products",
                    {"id": "qst-fund-monthly", "object": "product", "active": True})

    def subscription(request):
        sent = so.form_of(type("C", (), {"request": request}))
        return 200, {}, json.dumps(so.subscription(
            "sub_monthly_1", status="active", customer_id="cus_monthly_1",
            latest_invoice="in_first", pledge_id=sent["metadata[pledge_id]"]))
    online.add_callback(responses.POST, f"{so.API}/subscriptions", callback=subscription)
    _invoice_mocks(online, "in_first", int(amount))
    return post_donation(client, token="tok_visa", frequency="monthly", payment_method="card",
                         amount_choice="other", amount_other=amount, **form)


def _paid(client, online, invoice_id, event_id, amount=5000):
    _invoice_mocks(online, invoice_id, amount)
    return deliver(client, event(event_id, "invoice.paid",
                                 {"id": invoice_id, "object": "invoice"}), WEBHOOK_SECRET)


def test_sign_up_creates_subscription_and_first_gift(client, seeded, ctx, online, smtp_server):
    response = _sign_up(client, online, destination=PROJECT)
    assert response.status_code == 302 and "/thanks/" in response.headers["Location"]
    pledge = db.session.query(Pledge).one()
    assert pledge.status == "active" and pledge.stripe_subscription_id == "sub_monthly_1"
    assert pledge.designation == "project" and pledge.amount == 5000

    [sub_call] = so.calls_to(online, "POST", "/subscriptions")
    sent = so.form_of(sub_call)
    assert sent["customer"] == "cus_monthly_1"
    assert sent["items[0][price_data][currency]"] == "jpy"
    assert sent["items[0][price_data][unit_amount]"] == "5000"
    assert sent["items[0][price_data][product]"] == "qst-fund-monthly"
    assert sent["items[0][price_data][recurring][interval]"] == "month"
    assert sent["default_payment_method"] == "card_monthly_1"
    assert sent["payment_behavior"] == "error_if_incomplete"
    assert sub_call.request.headers["Idempotency-Key"] == f"fund-pledge-{pledge.id}-subscription"
    assert so.calls_to(online, "POST", "/products")  # made once under its fixed id

    [donation] = pledge.donations
    assert donation.status == "paid" and donation.project.slug == "quantum-scalpel-magnet"
    assert donation.payments[0].stripe_payment_intent_id == "pi_in_first"
    assert donation.payments[0].fee == 180
    [receipt] = db.session.query(Receipt).all()
    assert receipt.amount == 5000
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "毎月¥5,000のご寄附をお受けします" in page
    [mail] = smtp_server.wait_for(1)
    assert receipt.number in mail["Subject"]
    assert CANCEL_LINK.search(mail.get_body(("plain",)).get_content())

    # invoice.paid for that same first invoice arrives later: nothing new.
    again = _paid(client, online, "in_first", "evt_first_paid")
    assert again.get_json()["outcome"] == "processed"
    assert db.session.query(Donation).count() == 1


def test_two_renewals_give_two_more_gifts_once_each(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online, product_exists=True).status_code == 302
    assert not so.calls_to(online, "POST", "/products")
    for n in (2, 3):
        first = _paid(client, online, f"in_month_{n}", f"evt_paid_{n}")
        repeat = deliver(client, event(f"evt_paid_{n}", "invoice.paid",
                                       {"id": f"in_month_{n}", "object": "invoice"}), WEBHOOK_SECRET)
        other = _paid(client, online, f"in_month_{n}", f"evt_paid_{n}_again")
        assert first.get_json()["outcome"] == "processed"
        assert repeat.get_json()["outcome"] == "duplicate"
        assert other.get_json()["outcome"] == "processed"
    db.session.expire_all()
    pledge = db.session.query(Pledge).one()
    assert len(pledge.donations) == 3
    assert db.session.query(PledgeInvoice).count() == 3
    assert sorted(p.state for p in db.session.query(Payment)) == ["succeeded"] * 3
    assert db.session.query(Receipt).count() == 3
    assert len(smtp_server.wait_for(3)) == 3


def test_annual_preference_leaves_receipts_for_the_summary(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online, receipt_preference="annual").status_code == 302
    _paid(client, online, "in_month_2", "evt_paid_2")
    db.session.expire_all()
    pledge = db.session.query(Pledge).one()
    assert pledge.donor.receipt_preference == "annual"
    assert len(pledge.donations) == 2 and all(d.wants_receipt for d in pledge.donations)
    assert db.session.query(Receipt).count() == 0
    mails = smtp_server.wait_for(2)
    assert "年に一度" in mails[0].get_body(("plain",)).get_content() or "1年分" in mails[0].get_body(("plain",)).get_content()


def test_failed_renewal_marks_past_due_and_mails_once(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online).status_code == 302
    smtp_server.wait_for(1)
    _invoice_mocks(online, "in_month_2", 5000, status="open")
    for event_id in ("evt_failed_1", "evt_failed_2"):  # Stripe retries and fails again
        result = deliver(client, event(event_id, "invoice.payment_failed",
                                       {"id": "in_month_2", "object": "invoice"}), WEBHOOK_SECRET)
        assert result.get_json()["outcome"] == "processed"
    db.session.expire_all()
    pledge = db.session.query(Pledge).one()
    assert pledge.status == "past_due"
    mails = smtp_server.wait_for(2)
    assert len(mails) == 2 and "決済ができませんでした" in mails[1]["Subject"]
    assert CANCEL_LINK.search(mails[1].get_body(("plain",)).get_content())
    assert db.session.query(Donation).count() == 1
    # A later retry succeeds: the gift is recorded and the pledge is active again.
    online.remove(responses.GET, f"{so.API}/invoices/in_month_2")
    _paid(client, online, "in_month_2", "evt_paid_2")
    db.session.expire_all()
    assert pledge.status == "active" and db.session.query(Donation).count() == 2


def test_donor_cancels_through_the_signed_link(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online).status_code == 302
    [mail] = smtp_server.wait_for(1)
    path = CANCEL_LINK.search(mail.get_body(("plain",)).get_content()).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "毎月¥5,000のご寄附" in page.get_data(as_text=True)
    assert db.session.query(Pledge).one().status == "active"  # GET changes nothing

    canceled = so.subscription("sub_monthly_1", status="canceled", customer_id="cus_monthly_1",
                               latest_invoice="in_first", pledge_id=1)
    so.add_json(online, responses.DELETE, "/subscriptions/sub_monthly_1", canceled)
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200 and "停止しました" in done.get_data(as_text=True)
    db.session.expire_all()
    pledge = db.session.query(Pledge).one()
    assert pledge.status == "canceled" and pledge.canceled_at is not None
    assert len(so.calls_to(online, "DELETE", "/subscriptions/sub_monthly_1")) == 1
    mails = smtp_server.wait_for(2)
    assert "停止しました" in mails[1]["Subject"]
    # Stripe's customer.subscription.deleted follows: no second mail, no change.
    so.add_json(online, responses.GET, "/subscriptions/sub_monthly_1", canceled)
    deliver(client, event("evt_sub_deleted", "customer.subscription.deleted",
                          {"id": "sub_monthly_1", "object": "subscription"}), WEBHOOK_SECRET)
    # The link again: already stopped, nothing sent to Stripe.
    second = client.post(path, data={"csrf_token": csrf_token(client)})
    assert second.status_code == 409 and "すでに停止" in second.get_data(as_text=True)
    assert len(so.calls_to(online, "DELETE", "/subscriptions/sub_monthly_1")) == 1
    assert len(smtp_server.messages) == 2
    assert db.session.query(AuditEntry).filter_by(action="pledge.canceled").count() == 1


def test_tampered_or_foreign_cancel_link_is_refused(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online).status_code == 302
    pledge = db.session.query(Pledge).one()
    token = pledge_links.cancel_token(pledge)
    assert client.get(f"/pledges/cancel/{token[:-2]}xx").status_code == 404
    forged = signing.dumps(pledge_links.SALT, {"p": pledge.id, "s": "sub_someone_else"})
    assert client.get(f"/pledges/cancel/{forged}").status_code == 404
    assert pledge.status == "active"


def test_subscription_canceled_at_stripe_follows_here(client, seeded, ctx, online, smtp_server):
    assert _sign_up(client, online).status_code == 302
    so.add_json(online, responses.GET, "/subscriptions/sub_monthly_1", so.subscription(
        "sub_monthly_1", status="canceled", customer_id="cus_monthly_1",
        latest_invoice="in_first", pledge_id=1))
    result = deliver(client, event("evt_sub_deleted", "customer.subscription.deleted",
                                   {"id": "sub_monthly_1", "object": "subscription"}), WEBHOOK_SECRET)
    assert result.get_json()["outcome"] == "processed"
    db.session.expire_all()
    assert db.session.query(Pledge).one().status == "canceled"
    assert len(smtp_server.wait_for(2)) == 2


def test_office_lists_and_cancels_a_pledge(client, seeded, ctx, online, smtp_server, sign_in):
    assert _sign_up(client, online, destination=PROJECT).status_code == 302
    pledge = db.session.query(Pledge).one()
    sign_in("office", email="office@qst.example", password="pw-office")
    listing = client.get("/office/pledges/")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f'data-pledge="{pledge.id}"' in text and "¥5,000" in text and "active" in text
    so.add_json(online, responses.DELETE, "/subscriptions/sub_monthly_1", so.subscription(
        "sub_monthly_1", status="canceled", customer_id="cus_monthly_1",
        latest_invoice="in_first", pledge_id=pledge.id))
    done = client.post(f"/office/pledges/{pledge.id}/cancel",
                       data={"csrf_token": csrf_token(client, "/office/pledges/")})
    assert done.status_code == 302
    db.session.expire_all()
    assert pledge.status == "canceled"
    entry = db.session.query(AuditEntry).filter_by(action="pledge.canceled").one()
    assert entry.actor_type == "staff"
    assert len(smtp_server.wait_for(2)) == 2


def test_declined_card_at_sign_up_starts_nothing(client, seeded, ctx, online, smtp_server):
    so.add_json(online, responses.POST, "/customers", so.customer("cus_monthly_1", "card_monthly_1"))
    so.add_json(online, responses.GET, "/products/qst-fund-monthly",
                {"id": "qst-fund-monthly", "object": "product"})
    online.add(responses.POST, f"{so.API}/subscriptions", status=402, json={"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
        "message": "Your card was declined."}})
    response = post_donation(client, token="tok_chargeDeclined", frequency="monthly",
                             payment_method="card")
    assert response.status_code == 402
    page = response.get_data(as_text=True)
    assert "マンスリーサポーターのお申し込みは完了していません" in page and 'value="量子 花子"' in page
    pledge = db.session.query(Pledge).one()
    assert pledge.status == "failed" and pledge.stripe_subscription_id is None
    assert db.session.query(Donation).count() == 0 and smtp_server.messages == []


def test_monthly_refuses_campaigns_and_non_card_methods(client, seeded, ctx, online):
    campaign = post_donation(client, token="tok_visa", frequency="monthly",
                             destination="campaign:airborne-virus-laser-2026")
    assert campaign.status_code == 422
    assert "マンスリーサポーターは「使途を特定しない寄附」" in campaign.get_data(as_text=True)
    konbini = post_donation(client, frequency="monthly", payment_method="konbini")
    assert konbini.status_code == 422
    assert "毎月のご寄附はクレジットカードのみ" in konbini.get_data(as_text=True)
    assert db.session.query(Pledge).count() == 0 and not online.calls


def test_office_pledges_need_a_signed_in_office_user(client, ctx):
    response = client.get("/office/pledges/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]
    assert client.post("/office/pledges/1/cancel").status_code in (302, 400)
