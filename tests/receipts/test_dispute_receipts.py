"""No receipt while a dispute is open (issue 10, item 5), for receipts issued before it.

Before, a receipt issued before a chargeback opened stayed valid while the dispute was
open. Now the chargeback voids it with a reason (an annual summary is reissued without
the gift), the donor is told, and a won dispute issues it again naming the one it
replaces; a lost one leaves it void.
"""
from datetime import datetime, timezone

import pytest

from fund.core import signals
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts import annual, issuing
from fund.receipts import office as receipt_office
from tests.factories import DisputeFactory
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text


def _issue(gift):
    receipt = issuing.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


def _open(gift):
    dispute = DisputeFactory(payment=gift.payments[0])
    db.session.flush()
    signals.dispute_opened.send(dispute, actor=ACTOR)
    db.session.commit()
    return dispute


def _close(dispute, state):
    dispute.state = state
    db.session.flush()
    if state == "won":
        signals.dispute_won.send(dispute, actor=ACTOR)
    else:
        signals.dispute_lost.send(dispute, actor=ACTOR)
        db.session.expire(dispute.payment.donation)
        signals.net_amount_changed.send(dispute.payment.donation, actor=ACTOR)
    db.session.commit()


def _mails(receipt, kind):
    return db.session.execute(db.select(OutboundEmail).filter_by(receipt_id=receipt.id,
                                                                 kind=kind)).scalars().all()


def test_a_chargeback_voids_the_receipt_and_a_won_dispute_reissues_it(ctx):
    gift = paid_gift(amount=5000)
    receipt = _issue(gift)
    dispute = _open(gift)
    assert receipt.status == "void" and receipt.void_reason == issuing.DISPUTE_REASON
    assert issuing.covering_receipt(gift) is None
    notice, = _mails(receipt, "receipt_void")
    assert notice.to_address == gift.donor.email and receipt.number in notice.body
    assert "チャージバック" in notice.body
    printed = "".join(pdf_text(issuing.pdf_bytes(receipt)).split())
    assert "無効" in printed and "チャージバック" in printed

    _close(dispute, "won")
    new = issuing.covering_receipt(gift)
    assert new.number == receipt.number + "-2" and new.replaces_id == receipt.id
    assert new.amount == 5000 and new.reissue_reason == issuing.DISPUTE_WON_REASON
    reissued, = _mails(new, "receipt")
    assert receipt.number in reissued.body and new.number in reissued.body
    printed = "".join(pdf_text(issuing.pdf_bytes(new)).split())
    assert f"差替元{receipt.number}" in printed


def test_a_lost_dispute_leaves_the_receipt_void(ctx):
    gift = paid_gift(amount=5000)
    receipt = _issue(gift)
    _close(_open(gift), "lost")
    assert receipt.status == "void" and issuing.covering_receipt(gift) is None
    assert db.session.scalar(db.select(db.func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "receipt")) == 0


@pytest.mark.usefixtures("after_year_end")
def test_a_summary_is_reissued_without_the_disputed_gift_and_takes_it_back_when_won(ctx):
    supporter = donor(receipt_preference="annual")
    kept = paid_gift(supporter, amount=3000, at=datetime(2026, 3, 1, 3, tzinfo=timezone.utc))
    disputed = paid_gift(supporter, amount=8000, at=datetime(2026, 7, 1, 3, tzinfo=timezone.utc))
    db.session.commit()
    summary = receipt_office.annual_and_send(donor=supporter, year=2026, actor=ACTOR)
    dispute = _open(disputed)
    without = annual.valid_annual(supporter, 2026)
    assert summary.status == "void" and summary.void_reason == issuing.DISPUTE_REASON
    assert without.number == summary.number + "-2" and without.replaces_id == summary.id
    assert [line.donation_id for line in without.lines] == [kept.id] and without.amount == 3000
    notice, = _mails(without, "receipt")
    assert "¥11,000 → ¥3,000" in notice.body and "チャージバック" in notice.body
    assert annual.is_current(supporter, 2026)  # the open dispute keeps the gift off

    _close(dispute, "won")
    back = annual.valid_annual(supporter, 2026)
    assert back.number == summary.number + "-3" and back.replaces_id == without.id
    assert [line.donation_id for line in back.lines] == [kept.id, disputed.id]
    assert back.amount == 11000 and back.reissue_reason == issuing.DISPUTE_WON_REASON


def test_a_gift_without_a_receipt_is_untouched_and_gets_one_when_won(ctx):
    gift = paid_gift(amount=5000)
    db.session.commit()
    dispute = _open(gift)
    assert db.session.scalar(db.select(db.func.count(OutboundEmail.id))) == 0
    _close(dispute, "won")
    receipt = issuing.covering_receipt(gift)
    assert receipt.revision == 1 and receipt.amount == 5000
