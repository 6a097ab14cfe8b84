"""Annual summaries (年間寄附金受領証明書) and the donor's receipt preference."""
from datetime import datetime, timezone

import pytest

from fund.core.errors import Conflict
from fund.core.extensions import db
from fund.receipts.models import Receipt
from fund.receipts import annual as receipt_annual
from fund.receipts import issuing as receipts
from fund.receipts import reactions
from fund.giving.settlement import settle_gift
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text, refund


def _at(month, day=15):
    return datetime(2026, month, day, 1, 0, tzinfo=timezone.utc)


def _flat(data):
    return "".join(pdf_text(data).split())


@pytest.mark.usefixtures("after_year_end")
def test_annual_summary_lists_every_gift_of_the_year(ctx):
    supporter = donor(name="月額 支援子", receipt_preference="annual")
    for month in (1, 2, 3):
        paid_gift(supporter, amount=3000, at=_at(month))
    paid_gift(supporter, amount=9999, at=datetime(2025, 12, 20, tzinfo=timezone.utc))
    paid_gift(donor(), amount=7777, at=_at(2))  # someone else
    summary = receipt_annual.issue_annual(donor=supporter, year=2026, actor=ACTOR)
    assert summary.kind == "annual" and summary.amount == 9000 and len(summary.lines) == 3
    text = _flat(receipts.pdf_bytes(summary))
    for expected in ("年間寄附金受領証明書", summary.number, "月額支援子", "金9,000円",
                     "2026年1月15日", "2026年2月15日", "2026年3月15日", "3件",
                     "2026年1月1日〜2026年12月31日", "所得税法第78条"):
        assert expected in text, expected
    assert "9,999" not in text and "7,777" not in text


def test_annual_preference_skips_per_gift_receipts(ctx):
    supporter = donor(receipt_preference="annual")
    gift = paid_gift(supporter)
    settle_gift(donation=gift, actor=ACTOR)
    db.session.commit()
    assert receipts.covering_receipt(gift) is None
    per_gift = paid_gift(donor())
    settle_gift(donation=per_gift, actor=ACTOR)
    db.session.commit()
    assert receipts.covering_receipt(per_gift).kind == "single"


@pytest.mark.usefixtures("after_year_end")
def test_summary_takes_over_per_gift_receipts_and_is_refused_twice(ctx):
    person = donor(receipt_preference="annual")
    early = paid_gift(person, amount=5000, at=_at(1))
    single = receipts.issue_for_donation(donation=early, actor=ACTOR)
    db.session.commit()
    paid_gift(person, amount=2000, at=_at(6))
    summary = receipt_annual.issue_annual(donor=person, year=2026, actor=ACTOR)
    assert single.status == "void" and "年間" in single.void_reason
    assert receipts.covering_receipt(early) == summary and summary.amount == 7000
    with pytest.raises(Conflict, match="up to date"):
        receipt_annual.issue_annual(donor=person, year=2026, actor=ACTOR)


@pytest.mark.usefixtures("after_year_end")
def test_a_late_gift_reissues_the_summary_under_its_number(ctx):
    person = donor(receipt_preference="annual")
    paid_gift(person, amount=1000, at=_at(3))
    first = receipt_annual.issue_annual(donor=person, year=2026, actor=ACTOR)
    paid_gift(person, amount=4000, at=_at(12, 1))
    second = receipt_annual.issue_annual(donor=person, year=2026, actor=ACTOR)
    assert second.number == first.number + "-2" and second.amount == 5000
    assert first.status == "void"
    assert "再発行" in pdf_text(receipts.pdf_bytes(second))


@pytest.mark.usefixtures("after_year_end")
def test_refund_on_a_summarised_gift_reissues_the_summary(ctx):
    person = donor(receipt_preference="annual")
    kept = paid_gift(person, amount=3000, at=_at(4))
    refunded = paid_gift(person, amount=3000, at=_at(5))
    summary = receipt_annual.issue_annual(donor=person, year=2026, actor=ACTOR)
    refund(refunded, 3000)
    new = reactions.follow_net_amount(donation=refunded, actor=ACTOR)
    db.session.commit()
    assert summary.status == "void" and new.kind == "annual" and new.amount == 3000
    assert [line.donation_id for line in new.lines] == [kept.id]
    assert receipts.covering_receipt(refunded) is None


@pytest.mark.usefixtures("after_year_end")
def test_no_gifts_no_summary(ctx):
    with pytest.raises(Conflict, match="no paid gifts"):
        receipt_annual.issue_annual(donor=donor(), year=2026, actor=ACTOR)
    assert db.session.execute(db.select(Receipt)).first() is None
