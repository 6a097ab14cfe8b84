"""One gift of an annual summary marked not eligible (issue 10, item 4).

Before, "no receipt" was reached only by voiding a per-gift receipt: a summary could
not lose one gift. Now the office marks the gift on the summary; the summary is voided
and reissued under its number without it, the donor is told, and the gift stays off
every later summary until the office lifts the mark.
"""
from datetime import datetime, timezone

import pytest

from fund.core.errors import Conflict
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts import annual, bulk, rules
from fund.receipts import issuing as receipts
from fund.receipts import office as receipt_office
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text

pytestmark = pytest.mark.usefixtures("after_year_end")
REASON = "対価性あり（リターンの対価） not a gift"


def _at(month):
    return datetime(2026, month, 10, 3, tzinfo=timezone.utc)


def _summary(*amounts):
    supporter = donor(receipt_preference="annual")
    gifts = [paid_gift(supporter, amount=amount, at=_at(month))
             for month, amount in enumerate(amounts, 3)]
    db.session.commit()
    return supporter, gifts, receipt_office.annual_and_send(donor=supporter, year=2026,
                                                            actor=ACTOR)


def _mails(receipt):
    return db.session.execute(db.select(OutboundEmail).filter_by(receipt_id=receipt.id)
                              ).scalars().all()


def test_one_gift_leaves_the_summary_and_stays_out_until_the_mark_is_lifted(ctx):
    supporter, (kept, wrong, other), summary = _summary(3000, 20000, 4000)
    assert summary.amount == 27000

    new = receipt_office.not_eligible_in_summary(summary=summary, donation=wrong,
                                                 reason=REASON, actor=ACTOR)
    assert summary.status == "void" and "対価性あり" in summary.void_reason
    assert wrong.no_receipt and wrong.no_receipt_reason == REASON
    assert new.number == summary.number + "-2" and new.replaces_id == summary.id
    assert [line.donation_id for line in new.lines] == [kept.id, other.id]
    assert new.amount == 7000 and new.received_on == other.received_at.date()
    assert "対価性あり" in new.reissue_reason and f"#{wrong.id}" in new.reissue_reason
    printed = "".join(pdf_text(receipts.pdf_bytes(new)).split())
    assert f"差替元{summary.number}" in printed and "対価性あり" in printed
    assert "2026年4月10日¥20,000" not in printed  # named in the reason, not listed

    # The donor is sent the reissue with what changed and why.
    notice, = _mails(new)
    assert notice.kind == "receipt" and notice.to_address == supporter.email
    assert summary.number in notice.body and "¥27,000 → ¥7,000" in notice.body
    assert "対価性あり" in notice.body

    # It stays out: the summary is current, a year's run and the office issue nothing.
    assert annual.is_current(supporter, 2026)
    with pytest.raises(Conflict, match="already up to date"):
        annual.issue_annual(donor=supporter, year=2026, actor=ACTOR)
    db.session.rollback()
    assert bulk.issue_year(year=2026, actor=ACTOR) == {"single": 0, "annual": 0}
    with pytest.raises(Conflict, match="no receipt"):
        receipts.issue_for_donation(donation=wrong, actor=ACTOR)
    db.session.rollback()

    # Lifted by the office with a reason: the next summary takes the gift again.
    rules.lift_no_receipt(donation=wrong, reason="確認の結果対象 eligible after all",
                          confirmed=True, actor=ACTOR)
    again = receipt_office.annual_and_send(donor=supporter, year=2026, actor=ACTOR)
    assert again.number == summary.number + "-3" and again.amount == 27000
    assert {line.donation_id for line in again.lines} == {kept.id, wrong.id, other.id}


def test_the_only_gift_of_a_summary_voids_it_and_the_donor_is_told(ctx):
    supporter, (only,), summary = _summary(5000)
    assert receipt_office.not_eligible_in_summary(summary=summary, donation=only,
                                                  reason=REASON, actor=ACTOR) is None
    assert summary.status == "void" and only.no_receipt
    assert annual.valid_annual(supporter, 2026) is None
    void_notice = [m for m in _mails(summary) if m.kind == "receipt_void"]
    assert len(void_notice) == 1 and "対価性あり" in void_notice[0].body
    with pytest.raises(Conflict, match="no paid gifts"):
        annual.issue_annual(donor=supporter, year=2026, actor=ACTOR)


def test_refusals_change_nothing(ctx):
    _, (first, second), summary = _summary(3000, 4000)
    stranger = paid_gift(amount=1000, at=_at(5))
    db.session.commit()
    for donation, reason, message in ((second, "  ", "reason"),
                                      (stranger, REASON, "not on the annual receipt")):
        with pytest.raises(Exception, match=message):
            receipt_office.not_eligible_in_summary(summary=summary, donation=donation,
                                                   reason=reason, actor=ACTOR)
        db.session.rollback()
    assert summary.status == "valid" and not second.no_receipt and not stranger.no_receipt
    single = receipts.issue_for_donation(donation=stranger, actor=ACTOR)
    db.session.commit()
    with pytest.raises(Conflict, match="not a valid annual summary"):
        receipt_office.not_eligible_in_summary(summary=single, donation=stranger,
                                               reason=REASON, actor=ACTOR)
    db.session.rollback()
    assert single.status == "valid" and not stranger.no_receipt


def test_the_summary_page_marks_one_gift_with_a_reason(client, ctx, sign_in):
    _, (kept, wrong), summary = _summary(3000, 20000)
    token = sign_in("office").csrf
    page = client.get(f"/office/receipts/{summary.id}").get_data(as_text=True)
    url = f"/office/receipts/{summary.id}/gifts/{wrong.id}/not-eligible"
    assert url in page
    assert client.post(url, data={"reason": "", "csrf_token": token}).status_code == 422
    db.session.expire_all()
    assert summary.status == "valid"
    response = client.post(url, data={"reason": REASON, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    new = annual.valid_annual(summary.donor, 2026)
    assert response.headers["Location"].endswith(f"/office/receipts/{new.id}")
    assert [line.donation_id for line in new.lines] == [kept.id] and wrong.no_receipt
    detail = client.get(f"/office/receipts/{new.id}").get_data(as_text=True)
    assert summary.number in detail and "対価性あり" in detail


def test_an_accountant_cannot_mark_a_gift(client, ctx, sign_in):
    _, (_, wrong), summary = _summary(3000, 20000)
    token = sign_in("accountant").csrf
    response = client.post(f"/office/receipts/{summary.id}/gifts/{wrong.id}/not-eligible",
                           data={"reason": REASON, "csrf_token": token})
    db.session.expire_all()
    assert response.status_code == 403 and summary.status == "valid" and not wrong.no_receipt
