"""A card gift from form to receipt, against localstripe with signed webhooks."""
import io
import re

import pytest
from pypdf import PdfReader

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.giving.models import Donation
from fund.payments.models import Payment, StripeEvent
from fund.receipts.models import Receipt
from tests.support.forms import post_donation

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/r/\S+)")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def receipt_link(message):
    return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def test_card_gift_is_paid_receipted_and_mailed(client, seeded, ctx, card_token, smtp_server):
    response = post_donation(client, token=card_token(), amount_choice="other",
                             amount_other="5,000", destination="campaign:airborne-virus-laser-2026")
    assert response.status_code == 302
    assert "/thanks/" in response.headers["Location"]
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "¥5,000のご寄附を承りました。" in thanks

    donation = db.session.query(Donation).one()
    assert donation.amount == 5000 and donation.status == "paid"
    payment = donation.payments[0]
    assert payment.state == "succeeded" and payment.stripe_payment_intent_id.startswith("pi_")
    assert payment.fee is not None and payment.net == 5000 - payment.fee
    receipt = db.session.query(Receipt).one()
    assert re.fullmatch(r"\d{4}-000001", receipt.number)
    assert receipt.donor_name == "量子 花子" and receipt.amount == 5000
    assert receipt.purpose == "レーザーで空気中のウイルスを検出する研究"

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "hanako@example.jp"
    assert receipt.number in mail["Subject"]
    pdf = client.get(receipt_link(mail).split("127.0.0.1", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in ("寄附金受領証明書", "特定寄附金", "量子 花子", "5,000", receipt.number):
        assert expected in text
    assert f"{receipt.received_on.year}年{receipt.received_on.month}月{receipt.received_on.day}日" in text

    # The campaign shows the gift.
    home = client.get("/").get_data(as_text=True)
    assert 'class="raised">¥5,000' in home and 'class="supporters">1' in home


def test_declined_card_shows_a_message_and_records_a_failed_payment(
        client, seeded, ctx, card_token, smtp_server):
    response = post_donation(client, token=card_token("4000000000000341"))
    page = response.get_data(as_text=True)
    assert response.status_code == 402
    assert "カードが承認されませんでした。" in page
    assert 'value="量子 花子"' in page  # nothing typed is lost
    payment = db.session.query(Payment).one()
    assert payment.state == "failed" and payment.failure_code
    assert payment.donation.status == "failed"
    assert db.session.query(Receipt).count() == 0
    assert smtp_server.messages == []
    assert db.session.query(AuditEntry).filter_by(action="payment.failed").count() == 1


def test_card_declined_when_attached_to_the_customer(client, seeded, ctx, card_token):
    response = post_donation(client, token=card_token("4000000000000002"))
    assert response.status_code == 402
    assert db.session.query(Payment).one().state == "failed"
    assert db.session.query(Receipt).count() == 0


@pytest.mark.parametrize("success", [True, False])
def test_three_d_secure_goes_through_authentication(
        client, seeded, ctx, card_token, localstripe, smtp_server, success):
    response = post_donation(client, token=card_token("4000002500003155"))
    assert response.status_code == 302 and "/authenticate" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    payment = db.session.query(Payment).one()
    assert payment.state == "requires_action"
    assert db.session.query(Receipt).count() == 0
    secret = re.search(r'confirmCardPayment\("([^"]+)"\)', page).group(1)
    # What the donor's click in the Stripe.js modal does:
    localstripe.authenticate(payment.stripe_payment_intent_id, secret, success=success)
    back = client.get(f"/donations/{payment.donation.public_id}/return"
                      + ("" if success else "?failed=1"))
    thanks = client.get(back.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    if success:
        assert payment.state == "succeeded"
        assert "のご寄附を承りました" in thanks
        assert db.session.query(Receipt).count() == 1
        smtp_server.wait_for(1)
    else:
        assert payment.state == "failed"
        assert "本人認証が完了しなかった" in thanks
        assert db.session.query(Receipt).count() == 0


def test_no_receipt_wanted_means_mail_without_link(client, seeded, ctx, card_token, smtp_server):
    response = post_donation(client, token=card_token(), wants_receipt=None)
    assert response.status_code == 302
    assert db.session.query(Receipt).count() == 0
    [mail] = smtp_server.wait_for(1)
    assert "/r/" not in mail.get_body(("plain",)).get_content()


def test_webhook_from_localstripe_is_recorded_once(
        client, seeded, ctx, card_token, webhooks):
    response = post_donation(client, token=card_token())
    assert response.status_code == 302
    intent_id = db.session.query(Payment).one().stripe_payment_intent_id
    # localstripe delivers payment_intent.succeeded (and others) after ~1 s. Events
    # of earlier tests may still arrive: count only this test's intent.
    ours = db.session.query(StripeEvent).filter_by(type="payment_intent.succeeded",
                                                   object_id=intent_id)
    import time
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        db.session.expire_all()
        if ours.count():
            break
        time.sleep(0.2)
    assert ours.count() == 1
    assert ours.one().outcome == "processed"
    assert db.session.query(Payment).one().state == "succeeded"
    assert db.session.query(Receipt).count() == 1
