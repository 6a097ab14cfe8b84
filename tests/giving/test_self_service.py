"""Donor self-service: a one-time link by email, then the donor's own gifts, receipts and monthly gift."""
import re
from datetime import timedelta

from fund.core import clock
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.donors.models import DonorSignIn
from fund.giving.models import Pledge
from fund.receipts import issuing as receipts
from tests.support import stripe_fake as so
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text
from tests.support.forms import csrf_token

LINK = re.compile(r"(http://\S+/my/sign-in/\S+)")


def _receipted(**donor_fields):
    person = donor(**donor_fields)
    gift = paid_gift(person, 12000)
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return person, gift, receipt


def _ask_link(client, email, lang="ja"):
    return client.post(f"/my/sign-in?lang={lang}", data={
        "email": email, "csrf_token": csrf_token(client, "/my/sign-in")})


def _sign_in(client, smtp_server, email):
    smtp_server.clear()
    assert _ask_link(client, email).status_code == 200
    body = smtp_server.wait_for(1)[0].get_body(("plain",)).get_content()
    url = LINK.search(body).group(1)
    path = url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/")
    return "/" + path


def test_a_donor_signs_in_by_mail_and_downloads_their_receipt(client, ctx, smtp_server):
    person, gift, receipt = _receipted(name="量子 花子", email="hanako@example.jp")
    _ask_link(client, "ＨＡＮＡＫＯ@example.jp")  # full-width and capitals: the same address
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "hanako@example.jp" and "ログイン用リンク" in message["Subject"]
    smtp_server.clear()
    _sign_in(client, smtp_server, "hanako@example.jp")
    page = client.get("/my/?lang=ja").get_data(as_text=True)
    assert receipt.number in page and gift.public_id in page and "¥12,000" in page
    assert "ご寄附と受領証明書" in page and "入金済み" in page
    assert "Your gifts and receipts" in client.get("/my/?lang=en").get_data(as_text=True)
    pdf = client.get(f"/my/receipts/{receipt.id}.pdf")
    assert pdf.status_code == 200 and receipt.number in pdf_text(pdf.data)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, ctx, smtp_server):
    _receipted(email="known@example.jp")
    known = _ask_link(client, "known@example.jp").get_data(as_text=True)
    smtp_server.wait_for(1)
    smtp_server.clear()
    unknown = _ask_link(client, "nobody@example.jp").get_data(as_text=True)
    assert unknown.replace("nobody", "known") == known
    assert smtp_server.messages == []


def test_a_link_works_once_and_not_after_it_expires(client, ctx, smtp_server):
    _receipted(email="once@example.jp")
    path = _sign_in(client, smtp_server, "once@example.jp")
    client.post("/my/sign-out", data={"csrf_token": csrf_token(client, "/my/")})
    assert client.get("/my/").status_code == 302  # signed out
    assert client.get(path).status_code == 403  # used up
    _ask_link(client, "once@example.jp")
    row = db.session.query(DonorSignIn).order_by(DonorSignIn.id.desc()).first()
    row.expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    body = smtp_server.wait_for(2)[-1].get_body(("plain",)).get_content()
    expired = "/" + LINK.search(body).group(1).split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert client.get(expired).status_code == 410
    assert client.get("/my/sign-in/not-a-token").status_code == 403


def test_nothing_of_another_donor_is_reachable(client, ctx, smtp_server):
    _receipted(email="me@example.jp")
    other, _, theirs = _receipted(email="them@example.jp", address="東京都千代田区1-1")
    _sign_in(client, smtp_server, "me@example.jp")
    assert client.get(f"/my/receipts/{theirs.id}.pdf").status_code == 404
    token = csrf_token(client, "/my/")
    response = client.post(f"/my/donors/{other.id}/address", data={
        "postal_code": "100-0001", "address": "乗っ取り", "csrf_token": token})
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.address == "東京都千代田区1-1"
    assert "them@example.jp" not in client.get("/my/").get_data(as_text=True)


def test_a_new_address_is_for_future_receipts_only(client, ctx, smtp_server):
    person, _, receipt = _receipted(email="moved@example.jp")
    old_address = receipt.donor_address
    _sign_in(client, smtp_server, "moved@example.jp")
    token = csrf_token(client, "/my/")
    bad = client.post(f"/my/donors/{person.id}/address", data={
        "postal_code": "12", "address": "", "csrf_token": token})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    response = client.post(f"/my/donors/{person.id}/address", data={
        "postal_code": "〒９８０－８５７９", "address": "宮城県仙台市青葉区", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert (person.postal_code, person.address) == ("980-8579", "宮城県仙台市青葉区")
    assert db.session.get(type(receipt), receipt.id).donor_address == old_address
    assert db.session.query(AuditEntry).filter_by(action="donor.address_changed").count() == 1


def test_sign_in_requests_are_rate_limited(app, client, ctx, smtp_server):
    saved = app.config["DONOR_SIGN_IN_RATE_LIMIT"]
    app.config["DONOR_SIGN_IN_RATE_LIMIT"] = "2/600"
    try:
        client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        assert [_ask_link(client, "x@example.jp").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        app.config["DONOR_SIGN_IN_RATE_LIMIT"] = saved


def _pledge(email):
    person = donor(email=email)
    pledge = Pledge(donor=person, amount=5000, status="active", stripe_customer_id="cus_monthly_1",
                    stripe_subscription_id="sub_monthly_1", locale="ja")
    db.session.add(pledge)
    db.session.commit()
    return pledge


def test_a_monthly_supporter_changes_the_amount_and_the_card(client, ctx, online, smtp_server):
    pledge = _pledge("monthly@example.jp")
    _sign_in(client, smtp_server, "monthly@example.jp")
    subscription = so.subscription("sub_monthly_1", status="active", customer_id="cus_monthly_1",
                                   latest_invoice=None, pledge_id=pledge.id)
    subscription["items"] = {"object": "list", "data": [{"id": "si_1", "object": "subscription_item"}]}
    so.add_json(online, "GET", "/subscriptions/sub_monthly_1", subscription)
    so.add_json(online, "GET", "/products/qst-fund-monthly", {"id": "qst-fund-monthly", "object": "product"})
    so.add_json(online, "POST", "/subscriptions/sub_monthly_1", subscription)
    so.add_json(online, "POST", "/billing_portal/sessions",
                {"id": "bps_1", "object": "billing_portal.session",
                 "url": "https://billing.stripe.com/p/session/test_1"})
    token = csrf_token(client, "/my/")
    smtp_server.clear()
    assert client.post(f"/my/pledges/{pledge.id}/amount",
                       data={"amount": "８，０００", "csrf_token": token}).status_code == 302
    [update] = so.calls_to(online, "POST", "/subscriptions/sub_monthly_1")
    sent = so.form_of(update)
    assert sent["items[0][id]"] == "si_1" and sent["items[0][price_data][unit_amount]"] == "8000"
    assert sent["proration_behavior"] == "none"
    db.session.refresh(pledge)
    assert pledge.amount == 8000
    assert "¥8,000" in smtp_server.wait_for(1)[0]["Subject"]
    too_small = client.post(f"/my/pledges/{pledge.id}/amount",
                            data={"amount": "10", "csrf_token": token})
    assert too_small.status_code == 302 and len(so.calls_to(online, "POST",
                                                            "/subscriptions/sub_monthly_1")) == 1
    db.session.refresh(pledge)
    assert pledge.amount == 8000
    card = client.post(f"/my/pledges/{pledge.id}/card", data={"csrf_token": token})
    assert card.status_code == 302
    assert card.headers["Location"] == "https://billing.stripe.com/p/session/test_1"


def test_another_donors_monthly_gift_cannot_be_touched(client, ctx, online, smtp_server):
    theirs = _pledge("someone@example.jp")
    _receipted(email="me2@example.jp")
    _sign_in(client, smtp_server, "me2@example.jp")
    token = csrf_token(client, "/my/")
    for action, data in (("amount", {"amount": "9000"}), ("cancel", {}), ("card", {})):
        response = client.post(f"/my/pledges/{theirs.id}/{action}", data={**data, "csrf_token": token})
        assert response.status_code == 404
    assert online.calls == [] or all("sub_monthly_1" not in c.request.url for c in online.calls)
    db.session.refresh(theirs)
    assert (theirs.amount, theirs.status) == (5000, "active")


def test_the_address_in_parts_the_postal_receipt_and_mail_choices(client, ctx, smtp_server):
    person, _, _ = _receipted(email="parts@example.jp")
    other, _, _ = _receipted(email="other@example.jp")
    _sign_in(client, smtp_server, "parts@example.jp")
    token = csrf_token(client, "/my/")
    page = client.get("/my/").get_data(as_text=True)
    assert 'name="prefecture"' in page and 'name="wants_news"' in page
    response = client.post(f"/my/donors/{person.id}/address", data={
        "postal_code": "263-8555", "prefecture": "千葉県", "city": "千葉市稲毛区",
        "street": "穴川4-9-1", "building": "QST棟", "receipt_delivery": "post",
        "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert person.address == "千葉県千葉市稲毛区穴川4-9-1 QST棟" and person.receipt_delivery == "post"
    refused = client.post(f"/my/donors/{person.id}/address", data={
        "postal_code": "263-8555", "prefecture": "千葉", "city": "", "street": "x",
        "csrf_token": token})
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count('aria-invalid="true"') == 2
    assert client.post(f"/my/donors/{person.id}/mail", data={
        "wants_news": "y", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert (person.wants_news, person.wants_reports) == (True, False)
    assert client.post(f"/my/donors/{other.id}/mail", data={
        "csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert other.wants_reports is True  # unchanged
