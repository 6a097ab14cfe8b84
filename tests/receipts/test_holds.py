"""A name no installed font can print holds the receipt for the office; never 〓."""
import pytest

from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.giving.settlement import settle_gift
from fund.receipts import bulk, fonts, holds
from fund.receipts import issuing as receipts
from fund.receipts.models import Receipt, ReceiptHold
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text


def _no_font_has():
    """A real character (CJK Extension G first) that no installed font covers."""
    for point in (0x31350, 0x3134A, 0xF0000):
        if point not in fonts._drawable_codepoints():
            return chr(point)
    pytest.fail("every candidate character has a font here")


def test_a_paid_gift_whose_name_cannot_be_printed_is_held_not_issued(client, sign_in):
    odd = _no_font_has()
    gift = paid_gift(donor(name=f"{odd}田 花子"))
    settle_gift(donation=gift, actor=ACTOR)
    db.session.commit()
    assert db.session.query(Receipt).count() == 0
    hold = db.session.execute(db.select(ReceiptHold)).scalar_one()
    assert hold.donation_id == gift.id and hold.characters == odd and hold.field == "name"
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "receipt.held")).scalar_one().data["codepoints"] == [
            f"U+{ord(odd):04X}"]
    # Issuing it by hand is refused with the character named, and changes nothing.
    with pytest.raises(holds.ReceiptHeld, match=f"U[+]{ord(odd):04X}"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()

    token = sign_in("office").csrf
    assert "attention-receipt_holds" in client.get("/office/").get_data(as_text=True)
    page = client.get("/office/receipts/holds").get_data(as_text=True)
    assert f'data-hold="{hold.id}"' in page and f"U+{ord(odd):04X}" in page

    # Released before the name is corrected: refused, still held, no receipt.
    refused = client.post(f"/office/receipts/holds/{hold.id}/release",
                          data={"csrf_token": token})
    assert refused.status_code == 409 and odd in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ReceiptHold, hold.id).released_at is None
    assert db.session.query(Receipt).count() == 0

    # The office corrects the name with the donor, then releases: issued and sent.
    gift.donor.name = "吉田 花子"
    db.session.commit()
    released = client.post(f"/office/receipts/holds/{hold.id}/release",
                           data={"csrf_token": token})
    assert released.status_code == 302
    db.session.expire_all()
    receipt = db.session.execute(db.select(Receipt)).scalar_one()
    held = db.session.get(ReceiptHold, hold.id)
    assert held.released_at is not None and held.receipt_id == receipt.id
    text = "".join(pdf_text(receipts.pdf_bytes(receipt)).split())
    assert "吉田花子" in text and fonts.GETA not in text
    assert db.session.execute(db.select(OutboundEmail).where(
        OutboundEmail.receipt_id == receipt.id)).scalar_one()
    assert "receipt_holds" not in client.get("/office/").get_data(as_text=True)


def test_issuing_a_year_holds_what_it_cannot_print_and_issues_the_rest(ctx):
    odd = _no_font_has()
    held = paid_gift(donor(name="量子 花子", address=f"千葉県{odd}市"))
    fine = paid_gift(donor(name="量子 太郎"))
    db.session.commit()
    counts = bulk.issue_year(year=2026, actor=ACTOR)
    assert counts["single"] == 1
    assert receipts.covering_receipt(fine) is not None
    assert receipts.covering_receipt(held) is None
    hold = db.session.execute(db.select(ReceiptHold)).scalar_one()
    assert hold.donation_id == held.id and hold.field == "address"


@pytest.mark.usefixtures("after_year_end")
def test_the_january_run_holds_a_summary_it_cannot_print_and_its_release_issues_it(
        client, sign_in):
    from datetime import datetime, timezone

    from fund.receipts import annual, january
    odd = _no_font_has()
    held = donor(name=f"{odd}田 花子", receipt_preference="annual")
    fine = donor(name="量子 太郎", receipt_preference="annual")
    for person in (held, fine):
        paid_gift(person, amount=3000, at=datetime(2026, 5, 1, 1, tzinfo=timezone.utc))
    db.session.commit()
    row = january.run(year=2026)
    assert row.state == "done" and row.issued == 1
    assert annual.valid_annual(fine, 2026) is not None
    assert annual.valid_annual(held, 2026) is None
    hold = db.session.execute(db.select(ReceiptHold)).scalar_one()
    assert (hold.donor_id, hold.kind, hold.year, hold.donation_id) == (held.id, "annual", 2026,
                                                                       None)
    assert (hold.field, hold.characters) == ("name", odd)
    # The next beat (or the office starting the run again) opens no second hold.
    january.run(year=2026)
    assert db.session.query(ReceiptHold).count() == 1

    token = sign_in("office").csrf
    assert "attention-receipt_holds" in client.get("/office/").get_data(as_text=True)
    page = client.get("/office/receipts/holds").get_data(as_text=True)
    assert f'data-hold="{hold.id}"' in page and f"U+{ord(odd):04X}" in page and "2026" in page

    # Released before the name is corrected: refused, nothing issued.
    refused = client.post(f"/office/receipts/holds/{hold.id}/release",
                          data={"csrf_token": token})
    assert refused.status_code == 409
    db.session.expire_all()
    assert annual.valid_annual(held, 2026) is None

    held.name = "吉田 花子"
    db.session.commit()
    released = client.post(f"/office/receipts/holds/{hold.id}/release",
                           data={"csrf_token": token})
    assert released.status_code == 302
    db.session.expire_all()
    summary = annual.valid_annual(held, 2026)
    assert summary is not None and summary.kind == "annual" and summary.sha256
    assert db.session.get(ReceiptHold, hold.id).receipt_id == summary.id
    assert "吉田花子" in "".join(pdf_text(receipts.pdf_bytes(summary)).split())
    assert db.session.execute(db.select(OutboundEmail).where(
        OutboundEmail.receipt_id == summary.id)).scalar_one()
    assert "receipt_holds" not in client.get("/office/").get_data(as_text=True)


@pytest.mark.usefixtures("after_year_end")
def test_issuing_a_year_holds_an_annual_summary_it_cannot_print(ctx):
    odd = _no_font_has()
    supporter = donor(name=f"{odd}田 花子", receipt_preference="annual")
    paid_gift(supporter)
    db.session.commit()
    counts = bulk.issue_year(year=2026, actor=ACTOR)
    assert counts["annual"] == 0
    hold = db.session.execute(db.select(ReceiptHold)).scalar_one()
    assert (hold.kind, hold.year, hold.donor_id) == ("annual", 2026, supporter.id)
