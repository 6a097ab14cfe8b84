"""Receipts follow the rules (issue 10, items 4, 5, 8): voids that stay void, receipts
that follow the money, and a QR code anyone can check.

Each test reproduces a defect found on main: a voided receipt came back from "issue
missing receipts"; a receipt was issued while a chargeback was open; two payments on
one ¥5,000 gift gave a ¥10,000 receipt; the CLI called a void receipt genuine.
"""
import re
from datetime import date

import pytest
import segno

from fund.core import signals
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.giving.settlement import settle_gift
from fund.office import dashboard
from fund.receipts import bulk, reactions, rules, verification, wording
from fund.receipts import issuing as receipts
from fund.receipts.models import Receipt
from tests.factories import DisputeFactory, PaymentFactory
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text, refund
from tests.support.forms import csrf_token  # noqa: F401


def _issue(gift):
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


def _valid(gift):
    return receipts.covering_receipt(gift)


def _actions():
    return [a.action for a in db.session.execute(
        db.select(AuditEntry).order_by(AuditEntry.id)).scalars()]


# --- 4. voids that stay void ---------------------------------------------------

def test_a_receipt_voided_as_ineligible_never_comes_back(ctx):
    gift = paid_gift()
    original = _issue(gift)
    receipts.void(receipt=original, reason="対価性あり（リターン） not a gift", actor=ACTOR,
                  ineligible=True)
    assert gift.no_receipt and gift.no_receipt_reason.startswith("対価性あり")
    # "Issue missing receipts" skips it (it issued it again under a new number before).
    assert bulk.issue_year(year=2026, actor=ACTOR) == {"single": 0, "annual": 0}
    assert _valid(gift) is None
    with pytest.raises(Conflict, match="no receipt"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()
    with pytest.raises(Conflict, match="no receipt"):
        receipts.reissue(receipt=original, actor=ACTOR, reason="try again")
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count()).select_from(Receipt)).scalar() == 1
    assert "donation.no_receipt" in _actions()


def test_only_an_office_action_with_a_reason_lifts_the_mark(ctx):
    gift = paid_gift()
    receipts.void(receipt=_issue(gift), reason="対象外", actor=ACTOR, ineligible=True)
    with pytest.raises(ValidationFailed, match="reason"):
        rules.lift_no_receipt(donation=gift, reason="  ", confirmed=True, actor=ACTOR)
    with pytest.raises(ValidationFailed, match="confirm"):
        rules.lift_no_receipt(donation=gift, reason="確認の結果対象", confirmed=False, actor=ACTOR)
    db.session.rollback()
    assert gift.no_receipt
    rules.lift_no_receipt(donation=gift, reason="確認の結果対象 eligible after all",
                          confirmed=True, actor=ACTOR)
    assert not gift.no_receipt
    lifted = db.session.execute(db.select(AuditEntry).filter_by(
        action="donation.no_receipt_lifted")).scalar_one()
    assert lifted.data["reason"].startswith("確認の結果") and lifted.data["was"] == "対象外"
    assert _issue(gift).number == "2026-000002"


def test_office_pages_void_as_ineligible_and_lift_with_confirmation(client, ctx, sign_in):
    gift = paid_gift()
    receipt = _issue(gift)
    token = sign_in("office").csrf
    assert client.post(f"/office/receipts/{receipt.id}/void", data={
        "reason": "対象外", "ineligible": "yes", "csrf_token": token}).status_code == 302
    page = client.get(f"/office/donations/{gift.id}").get_data(as_text=True)
    assert "lift-no-receipt" in page and "対象外" in page
    refused = client.post(f"/office/receipts/issue", data={"donation_id": str(gift.id),
                                                           "csrf_token": token})
    assert refused.status_code == 409 and "no receipt" in refused.get_data(as_text=True)
    url = f"/office/receipts/donations/{gift.id}/lift-no-receipt"
    unconfirmed = client.post(url, data={"reason": "対象", "csrf_token": token})
    assert unconfirmed.status_code == 422
    db.session.expire_all()
    assert gift.no_receipt
    assert client.post(url, data={"reason": "対象", "confirm": "yes",
                                  "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert not gift.no_receipt


def test_accountant_cannot_lift_the_mark(client, ctx, sign_in):
    gift = paid_gift()
    receipts.void(receipt=_issue(gift), reason="対象外", actor=ACTOR, ineligible=True)
    token = sign_in("accountant").csrf
    response = client.post(f"/office/receipts/donations/{gift.id}/lift-no-receipt",
                           data={"reason": "x", "confirm": "yes", "csrf_token": token})
    db.session.expire_all()
    assert response.status_code == 403 and gift.no_receipt


def test_every_reissue_names_the_receipt_it_replaces_and_why(ctx):
    gift = paid_gift(amount=10000)
    first = _issue(gift)
    second = receipts.reissue(receipt=first, actor=ACTOR, reason="住所変更")
    assert second.replaces_id == first.id and second.reissue_reason == "住所変更"
    text = "".join(pdf_text(receipts.pdf_bytes(second)).split())
    assert f"差替元{first.number}" in text and "住所変更" in text
    refund(gift, 4000)
    third = reactions.follow_net_amount(donation=gift, actor=ACTOR)
    assert third.replaces_id == second.id and third.reissue_reason == receipts.REFUND_REASON
    assert db.session.execute(db.select(AuditEntry).filter_by(action="receipt.reissued")
                              .order_by(AuditEntry.id)).scalars().first().data["reason"] == "住所変更"
    with pytest.raises(TypeError):
        receipts.reissue(receipt=third, actor=ACTOR, reason="x", amount=1)  # no free amount


# --- 5. receipts follow the money ------------------------------------------------

def test_no_receipt_while_a_dispute_is_open_and_one_once_it_is_won(ctx):
    gift = paid_gift()
    dispute = DisputeFactory(payment=gift.payments[0])
    db.session.commit()
    db.session.expire(gift.payments[0], ["disputes"])
    assert receipts.issue_after_payment(donation=gift, actor=ACTOR) is None
    with pytest.raises(Conflict, match="open dispute"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()
    assert bulk.issue_year(year=2026, actor=ACTOR)["single"] == 0
    dispute.state = "won"
    signals.dispute_won.send(dispute, actor=ACTOR)
    db.session.commit()
    receipt = _valid(gift)
    assert receipt is not None and receipt.amount == 5000


def test_two_payments_on_one_gift_give_one_gifts_receipt_and_a_refund_flag(ctx):
    gift = paid_gift(amount=5000)
    PaymentFactory(donation=gift, amount=5000)
    db.session.expire(gift, ["payments"])
    settle_gift(donation=gift, actor=ACTOR)
    db.session.commit()
    receipt = _valid(gift)
    assert receipt.amount == 5000 and receipt.lines[0].amount == 5000  # was ¥10,000
    assert gift.refund_due == 5000 and gift.duplicate_payment_at is not None
    needs = {item.kind: item for item in dashboard.attention(gift.created_at)}
    assert needs["duplicate_payments"].count == 1 and needs["duplicate_payments"].rows == [gift]
    # Refunding the duplicate leaves the receipt as it is and clears the flag.
    refund(gift, 5000)
    db.session.expire(gift, ["payments"])
    assert reactions.follow_net_amount(donation=gift, actor=ACTOR) is None
    assert receipt.status == "valid" and gift.refund_due == 0
    assert "duplicate_payments" not in {i.kind for i in dashboard.attention(gift.created_at)}


def test_the_gift_page_and_dashboard_show_the_duplicate(client, ctx, sign_in):
    gift = paid_gift(amount=5000)
    PaymentFactory(donation=gift, amount=5000)
    db.session.expire(gift, ["payments"])
    settle_gift(donation=gift, actor=ACTOR)
    db.session.commit()
    sign_in("office")
    page = client.get(f"/office/donations/{gift.id}").get_data(as_text=True)
    assert "duplicate-payment" in page and "5,000" in page
    board = client.get("/office/").get_data(as_text=True)
    assert "attention-duplicate_payments" in board and f"/office/donations/{gift.id}" in board


# --- 8. receipts anyone can verify -------------------------------------------------

def _token_from(receipt):
    fields = receipts.printable(receipt)
    assert fields.verify_url.endswith("/verify/" + verification.token_for(receipt.number))
    return fields.verify_url.rsplit("/verify/", 1)[1]


def test_every_receipt_prints_a_qr_code_of_its_signed_verification_url(ctx):
    receipt = _issue(paid_gift())
    fields = receipts.printable(receipt)
    context = wording.context(fields, 0)
    expected = segno.make(fields.verify_url, error="m").svg_inline(scale=2, border=2,
                                                                   omitsize=True)
    assert context["qr_svg"] == expected and "<path" in expected
    data = receipts.pdf_bytes(receipt)
    assert "有効性を確認" in "".join(pdf_text(data).split())
    assert receipts.pdf_bytes(receipt) == data  # the QR keeps the bytes deterministic


def test_the_verification_page_shows_status_and_nothing_about_the_donor(client, ctx):
    gift = paid_gift(donor(name="検証 花子", address="北海道札幌市検証町1-2-3"), amount=7000)
    first = _issue(gift)
    token = _token_from(first)
    page = client.get(f"/verify/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and first.number in text and "¥7,000" in text
    assert first.sha256 in text and 'status-valid' in text
    assert "検証 花子" not in text and gift.donor.email not in text
    assert gift.donor.address not in text
    second = receipts.reissue(receipt=first, actor=ACTOR, reason="住所変更")
    text = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "status-reissued" in text and second.number in text
    receipts.void(receipt=second, reason="誤り", actor=ACTOR)
    text = client.get(f"/verify/{_token_from(second)}").get_data(as_text=True)
    assert "status-void" in text and "誤り" not in text


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
                                    lambda t: "forged-token",
                                    lambda t: verification.signing.URLSafeSerializer(
                                        "another secret", salt="receipt-verify").dumps("2026-000001")])
def test_a_qr_url_whose_signature_does_not_verify_is_refused(client, ctx, mangle):
    receipt = _issue(paid_gift())
    response = client.get(f"/verify/{mangle(_token_from(receipt))}")
    assert response.status_code == 403
    assert "verify-error" in response.get_data(as_text=True)
    assert receipt.number not in response.get_data(as_text=True)


def test_the_cli_reports_a_void_receipt_as_void_never_genuine(app, ctx, tmp_path):
    receipt = _issue(paid_gift())
    issued = tmp_path / "issued.pdf"
    issued.write_bytes(receipts.pdf_bytes(receipt))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["fund", "receipts", "verify", receipt.number])
    assert ok.exit_code == 0 and f"{receipt.number}: VALID" in ok.output
    receipts.void(receipt=receipt, reason="誤り", actor=ACTOR)
    for arg in (str(issued), receipt.number):
        result = runner.invoke(args=["fund", "receipts", "verify", arg])
        assert result.exit_code != 0 and "VOID" in result.output
        assert "genuine" not in result.output and "VALID" not in result.output
    missing = runner.invoke(args=["fund", "receipts", "verify", "2026-999999"])
    assert missing.exit_code != 0 and "no receipt" in missing.output
