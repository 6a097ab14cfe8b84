"""Office void/reissue pages, mail delivery with a signed link, the CLI, fonts."""
import hashlib
import logging
import zipfile
from datetime import datetime, timezone

import pytest

from fund import create_app
from fund.receipts import fonts as pdf  # the font checks live in fund.receipts.fonts
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts.models import Receipt
from fund.receipts import links
from fund.core import mail
from fund.receipts import issuing as receipts
from fund.giving.settlement import settle_gift
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text


def _issued(**kw):
    receipt = receipts.issue_for_donation(donation=paid_gift(**kw), actor=ACTOR)
    db.session.commit()
    return receipt


def test_office_voids_and_reissues_through_the_pages(client, ctx, sign_in, smtp_server):
    receipt = _issued(amount=20000)
    token = sign_in("office").csrf
    page = client.get(f"/office/receipts/{receipt.id}")
    assert page.status_code == 200 and receipt.number in page.get_data(as_text=True)
    assert client.post(f"/office/receipts/{receipt.id}/void",
                       data={"reason": "", "csrf_token": token}).status_code == 422
    response = client.post(f"/office/receipts/{receipt.id}/void",
                           data={"reason": "名前の誤記", "csrf_token": token})
    assert response.status_code == 302
    again = client.post(f"/office/receipts/{receipt.id}/void",
                        data={"reason": "x", "csrf_token": token})
    assert again.status_code == 409 and "already void" in again.get_data(as_text=True)
    # A free amount is refused and changes nothing: the amount follows the money.
    refused = client.post(f"/office/receipts/{receipt.id}/reissue",
                          data={"amount": "15,000", "reason": "金額訂正", "csrf_token": token})
    assert refused.status_code == 422 and "cannot be typed" in refused.get_data(as_text=True)
    assert db.session.execute(db.select(Receipt).filter_by(revision=2)).scalar_one_or_none() is None
    response = client.post(f"/office/receipts/{receipt.id}/reissue",
                           data={"reason": "名前の誤記を訂正", "csrf_token": token})
    assert response.status_code == 302
    new = db.session.execute(db.select(Receipt).filter_by(revision=2)).scalar_one()
    assert new.number == receipt.number + "-2" and new.amount == 20000
    assert new.replaces_id == receipt.id and new.reissue_reason == "名前の誤記を訂正"
    void_notice, message = smtp_server.wait_for(2)[:2]
    # The void was announced with its reason, then the reissue with why and what changed.
    assert receipt.number in void_notice["Subject"]
    assert "名前の誤記" in void_notice.get_body(("plain",)).get_content()
    assert new.number in message["Subject"]
    assert "名前の誤記を訂正" in message.get_body(("plain",)).get_content()
    url = next(line for line in message.get_body(("plain",)).get_content().splitlines() if "/r/" in line)
    token_part = url.strip().rsplit("/r/", 1)[1]
    pdf_response = client.get(f"/r/{token_part}")
    assert pdf_response.status_code == 200 and new.number in pdf_text(pdf_response.data)


def test_accountant_cannot_void(client, ctx, sign_in):
    receipt = _issued()
    token = sign_in("accountant").csrf
    response = client.post(f"/office/receipts/{receipt.id}/void",
                           data={"reason": "x", "csrf_token": token})
    assert response.status_code == 403 and receipt.status == "valid"


def test_receipt_mail_attaches_the_pdf_when_configured(app, ctx, smtp_server):
    app.config["RECEIPT_ATTACH_PDF"] = True
    try:
        gift = paid_gift()
        ids = settle_gift(donation=gift, actor=ACTOR)
        db.session.commit()
        mail.deliver(ids)
    finally:
        app.config["RECEIPT_ATTACH_PDF"] = False
    message = smtp_server.wait_for(1)[0]
    receipt = receipts.covering_receipt(gift)
    attachment = next(message.iter_attachments())
    data = attachment.get_content()
    assert attachment.get_filename() == f"receipt-{receipt.number}.pdf"
    assert hashlib.sha256(data).hexdigest() == receipt.sha256
    assert links.receipt_url(receipt).rsplit("/r/", 1)[0] in message.get_body(("plain",)).get_content()


def test_failed_send_is_kept_and_retried(app, ctx, smtp_server):
    receipt = _issued()
    from fund.receipts import mail as receipt_mail
    message = receipt_mail.queue_receipt_mail(receipt)
    db.session.commit()
    app.config["MAIL_PORT"], port = 1, app.config["MAIL_PORT"]  # nothing listens there
    try:
        assert mail.deliver([message.id]) == (0, 1)
    finally:
        app.config["MAIL_PORT"] = port
    assert message.status == "failed" and message.last_error
    result = app.test_cli_runner().invoke(args=["fund", "mail-retry"])
    assert result.exit_code == 0, result.output
    assert db.session.get(OutboundEmail, message.id).status == "sent"
    assert receipt.number in smtp_server.wait_for(1)[0]["Subject"]


def test_cli_issue_export_verify(app, ctx, tmp_path):
    for month in (3, 5):
        paid_gift(at=datetime(2025, month, 1, tzinfo=timezone.utc))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fund", "receipts", "issue", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "2 issued" in result.output
    out = tmp_path / "fy.zip"
    result = runner.invoke(args=["fund", "receipts", "export", "--fiscal-year", "2025",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 receipts written" in result.output  # March 2025 is fiscal 2024
    archive = zipfile.ZipFile(out)
    name = next(n for n in archive.namelist() if n.endswith(".pdf"))
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(archive.read(name))
    result = runner.invoke(args=["fund", "receipts", "verify", str(copy)])
    assert result.exit_code == 0 and "of receipt 2025-000002: VALID" in result.output
    copy.write_bytes(archive.read(name) + b"\n%tampered")
    result = runner.invoke(args=["fund", "receipts", "verify", str(copy)])
    assert result.exit_code != 0 and "matches no receipt" in result.output
    result = runner.invoke(args=["fund", "receipts", "export", "--out", str(out)])
    assert result.exit_code != 0


@pytest.fixture
def no_japanese_font(monkeypatch):
    """fontconfig reports no Japanese family (as on a host without `make fonts`)."""
    monkeypatch.setattr(pdf, "_fontconfig_families", lambda: {"dejavu sans"})
    pdf.japanese_font.cache_clear()
    yield
    pdf.japanese_font.cache_clear()


def test_missing_font_refuses_receipts_clearly(ctx, no_japanese_font, caplog):
    gift = paid_gift()
    db.session.commit()
    with pytest.raises(receipts.ReceiptUnavailable, match="fonts-ipaexfont"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()
    # A payment still succeeds; the receipt waits for the office.
    settle_gift(donation=gift, actor=ACTOR)
    db.session.commit()
    assert receipts.covering_receipt(gift) is None and gift.is_paid


def test_missing_font_is_logged_at_start(app, no_japanese_font, caplog, monkeypatch):
    # Alembic's fileConfig (run by the test database's upgrade) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("fund"), "disabled", False)
    with caplog.at_level(logging.ERROR):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert any("receipts disabled" in r.getMessage() and "fonts-ipaexfont" in r.getMessage()
               for r in caplog.records)


def test_character_no_font_has_is_never_printed_as_geta(ctx, monkeypatch):
    from fund.receipts.holds import ReceiptHeld

    points = pdf._drawable_codepoints() - {0x20BB7}
    monkeypatch.setattr(pdf, "_drawable_codepoints", lambda: points)
    with pytest.raises(ReceiptHeld, match="U[+]20BB7"):
        _issued(donor_row=donor(name="𠮷田 花子"))
    db.session.rollback()
    assert db.session.query(Receipt).count() == 0
