"""Numbering, void, reissue and refunds: one valid receipt per gift at any time."""
import threading
from datetime import datetime, timezone

import pytest

from fund.core.errors import Conflict, FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.giving.models import Donation
from fund.receipts.models import Receipt, ReceiptLine
from fund.receipts import issuing as receipts
from fund.receipts import reactions
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text, refund


def _issue(gift):
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


def _valid_for(gift):
    return db.session.execute(db.select(Receipt).join(ReceiptLine).where(
        ReceiptLine.donation_id == gift.id, Receipt.status == "valid")).scalars().all()


def test_numbers_run_per_calendar_year_in_japan_time(ctx):
    late_2025 = paid_gift(at=datetime(2025, 12, 31, 14, 59, tzinfo=timezone.utc))
    new_year = paid_gift(at=datetime(2025, 12, 31, 15, 0, tzinfo=timezone.utc))  # 1/1 JST
    assert [_issue(g).number for g in (late_2025, new_year, paid_gift())] == [
        "2025-000001", "2026-000001", "2026-000002"]


def test_issuing_twice_and_unpaid_gifts_are_refused(ctx):
    gift = paid_gift()
    _issue(gift)
    with pytest.raises(Conflict, match="already has a valid receipt"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()
    unpaid = Donation(donor=gift.donor, amount=1000)
    db.session.add(unpaid)
    db.session.flush()
    with pytest.raises(FundError, match="not been paid"):
        receipts.issue_for_donation(donation=unpaid, actor=ACTOR)


def test_void_stamps_the_pdf_and_keeps_it(ctx):
    receipt = _issue(paid_gift())
    issued_hash = receipt.sha256
    receipts.void(receipt=receipt, reason="住所の誤り wrong address", actor=ACTOR)
    text = "".join(pdf_text(receipts.pdf_bytes(receipt)).split())
    assert "無効" in text and "VOID" in text and "住所の誤り" in text
    assert receipt.status == "void" and receipt.sha256 == issued_hash
    assert receipt.void_sha256 and receipt.void_sha256 != issued_hash
    assert receipts.find_by_sha256(issued_hash) == receipt
    assert db.session.execute(db.select(AuditEntry).filter_by(
        action="receipt.voided")).scalar_one().data["reason"] == "住所の誤り wrong address"


def test_voiding_needs_a_reason_and_a_valid_receipt(ctx):
    receipt = _issue(paid_gift())
    with pytest.raises(ValidationFailed, match="reason"):
        receipts.void(receipt=receipt, reason="  ", actor=ACTOR)
    db.session.rollback()
    receipts.void(receipt=receipt, reason="mistake", actor=ACTOR)
    with pytest.raises(Conflict, match="already void"):
        receipts.void(receipt=receipt, reason="again", actor=ACTOR)


def test_reissue_keeps_the_number_with_a_suffix_and_current_address(ctx):
    person = donor(address="旧住所 茨城県")
    gift = paid_gift(person, amount=8000)
    first = _issue(gift)
    person.address = "新住所 千葉県"
    db.session.commit()
    second = receipts.reissue(receipt=first, actor=ACTOR, reason="住所変更 new address")
    assert second.number == f"{first.number}-2" and second.replaces_id == first.id
    assert first.status == "void" and second.status == "valid"
    text = pdf_text(receipts.pdf_bytes(second))
    assert "再発行" in text and second.number in text and "新住所" in text
    assert "旧住所" in pdf_text(receipts.pdf_bytes(first))
    assert _valid_for(gift) == [second]
    with pytest.raises(Conflict, match="already reissued"):
        receipts.reissue(receipt=first, actor=ACTOR, reason="住所変更 new address")
    third = receipts.reissue(receipt=second, actor=ACTOR, reason="again")
    assert third.number == f"{first.number}-3"
    assert _valid_for(gift) == [third]


def test_partial_refund_voids_and_reissues_for_the_rest(ctx):
    gift = paid_gift(amount=10000)
    original = _issue(gift)
    refund(gift, 4000)
    new = reactions.follow_net_amount(donation=gift, actor=ACTOR)
    db.session.commit()
    assert original.status == "void" and original.void_reason.startswith("返金")
    assert new.number == original.number + "-2" and new.amount == 6000
    text = "".join(pdf_text(receipts.pdf_bytes(new)).split())
    assert "金6,000円" in text and "再発行" in text
    assert "無効" in pdf_text(receipts.pdf_bytes(original))
    assert _valid_for(gift) == [new]
    # The donor is sent the new receipt through the outbox.
    from fund.core.models import OutboundEmail
    message = db.session.execute(db.select(OutboundEmail).filter_by(receipt_id=new.id)).scalar_one()
    assert "/r/" in message.body and new.number in message.subject


def test_full_refund_voids_without_reissue_and_reissue_is_refused(ctx):
    gift = paid_gift(amount=5000)
    original = _issue(gift)
    refund(gift, 5000)
    assert reactions.follow_net_amount(donation=gift, actor=ACTOR) is None
    db.session.commit()
    assert original.status == "void" and _valid_for(gift) == []
    with pytest.raises(Conflict, match="refunded in full"):
        receipts.reissue(receipt=original, actor=ACTOR, reason="x")
    db.session.rollback()
    with pytest.raises(Conflict, match="refunded in full"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)


def test_refund_without_a_receipt_does_nothing(ctx):
    gift = paid_gift()
    refund(gift, 1000)
    assert reactions.follow_net_amount(donation=gift, actor=ACTOR) is None


def test_a_gift_cannot_be_on_two_valid_receipts_even_bypassing_the_service(ctx):
    gift = paid_gift()
    receipt = _issue(gift)
    clone = Receipt(**{c.name: getattr(receipt, c.name) for c in Receipt.__table__.columns
                       if c.name not in ("id", "number", "sequence")},
                    number="2026-999999", sequence=999999)
    clone.lines.append(ReceiptLine(donation_id=gift.id, amount=gift.amount,
                                   received_on=receipt.received_on))
    db.session.add(clone)
    with pytest.raises(Exception):
        db.session.flush()
    db.session.rollback()


@pytest.mark.pg_only
def test_concurrent_issuing_gives_gapless_unique_numbers(app, ctx):
    gifts = [paid_gift(amount=1000 + i) for i in range(24)]
    db.session.commit()
    ids = [g.id for g in gifts]
    barrier = threading.Barrier(8)
    errors = []

    def worker(chunk):
        from fund.giving.models import Donation
        with app.app_context():
            try:
                barrier.wait()
                for gift_id in chunk:
                    receipts.issue_for_donation(
                        donation=db.session.get(Donation, gift_id), actor=ACTOR, with_hash=False)
                    db.session.commit()
            except Exception as err:  # reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(ids[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    numbers = db.session.execute(db.select(Receipt.sequence)).scalars().all()
    assert sorted(numbers) == list(range(1, 25))


@pytest.mark.pg_only
def test_a_rolled_back_issue_returns_its_number(app, ctx):
    first = paid_gift()
    db.session.commit()
    receipts.issue_for_donation(donation=first, actor=ACTOR)
    db.session.rollback()
    assert _issue(paid_gift()).number == "2026-000001"
