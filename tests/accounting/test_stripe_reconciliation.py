"""Reconciling with Stripe: balance transactions and payouts, from the API or the report CSV."""
from datetime import datetime, timedelta, timezone

import pytest

from fund.accounting import stripe_recon
from fund.accounting.models import PayoutState, StripeImport, StripePayout, StripeTxn
from fund.core import audit
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.ledger import bookings
from fund.staff.services import create_staff
from tests.factories import DisputeFactory, RefundFactory, paid_gift
from tests.ledger.helpers import balances, entries, keys
from tests.support import stripe_fake as sf
from tests.support.stripe_report import report, row

NOW = datetime.fromtimestamp(sf.NOW, timezone.utc)
SINCE = NOW - timedelta(days=3)


@pytest.fixture
def staff(ctx, seeded):
    return create_staff("clerk@qst.example", "Clerk", "office", "pw-for-tests")


def card_gift(amount, charge, *, fee=None, book_fee=True):
    """A paid card gift as the ledger has it: its gift entry, and its fee when known then."""
    payment = paid_gift(amount=amount, at=NOW).payments[0]
    payment.stripe_charge_id = charge
    payment.fee = fee
    bookings.book_gift(payment, actor="test")
    if fee and book_fee:
        bookings.book_fee(payment, actor="test")
    db.session.commit()
    return payment


def stripe_world(fake):
    """Three card gifts, one refund; Stripe paid out two gifts less fees and the refund."""
    one = card_gift(5_000, "ch_1", fee=180)
    two = card_gift(10_000, "ch_2", fee=360, book_fee=False)  # settlement never read
    three = card_gift(3_000, "ch_3", fee=108)                 # not paid out yet
    refund = RefundFactory(payment=one, amount=1_000, stripe_refund_id="re_1")
    db.session.commit()
    settled = [sf.balance_transaction("txn_1", 5_000, fee=180, source="ch_1"),
               sf.balance_transaction("txn_2", 10_000, fee=360, source="ch_2"),
               sf.balance_transaction("txn_r1", -1_000, type_="refund", source="re_1")]
    fake.add_payout(sf.payout("po_1", 5_000 - 180 + 10_000 - 360 - 1_000,
                              arrival_date=sf.NOW + 86400 * 2), settled)
    fake.balance_transactions["txn_3"] = sf.balance_transaction("txn_3", 3_000, fee=108,
                                                                source="ch_3")
    return one, two, three, refund


def test_api_import_matches_books_the_payout_and_the_missing_fee_once(staff, fake):
    one, two, three, refund = stripe_world(fake)
    before = set(keys())
    result = stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff,
                                          lang="en")
    assert (result.txns_added, result.payouts_added, result.unknown, result.differs) == (4, 1, 0, 0)
    assert set(keys()) - before == {"payout:po_1", f"fee:{two.id}"}
    assert result.fees_booked == 1
    payout = db.session.execute(db.select(StripePayout)).scalar_one()
    assert payout.amount == 13_460
    assert sorted(t.stripe_txn_id for t in payout.txns) == ["txn_1", "txn_2", "txn_r1"]
    txn = db.session.execute(db.select(StripeTxn).filter_by(stripe_txn_id="txn_r1")).scalar_one()
    assert (txn.match, txn.refund_id) == ("matched", refund.id)
    # Importing again books and stores nothing new.
    again = stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff,
                                         lang="en")
    assert (again.txns_added, again.payouts_added, again.fees_booked) == (0, 0, 0)
    assert set(keys()) - before == {"payout:po_1", f"fee:{two.id}"}
    assert balances()["bank:main"] == 13_460
    assert db.session.query(StripeImport).count() == 2


def test_the_three_lists(staff, fake):
    one, two, three, refund = stripe_world(fake)
    fake.balance_transactions["txn_x"] = sf.balance_transaction("txn_x", 7_000, fee=252,
                                                                source="ch_not_ours")
    fake.balance_transactions["txn_3"]["fee"] = 110  # Stripe says 110, we booked 108
    fake.balance_transactions["txn_3"]["net"] = 2_890
    lonely = card_gift(2_000, "ch_lonely", fee=72)  # here, never seen by Stripe
    stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff, lang="en")
    lists = stripe_recon.lists()
    assert [t.stripe_txn_id for t in lists.only_stripe] == ["txn_x"]
    assert [p.id for p in lists.only_here] == [lonely.id]
    differ, = lists.differ
    assert differ.stripe_txn_id == "txn_3" and "fee: Stripe ¥110, here ¥108" in differ.difference
    # A fee already booked at settlement is not booked again with Stripe's other figure.
    assert [e for e in entries() if e[0] == f"fee:{three.id}"][0][2][-1] == ("stripe", "credit",
                                                                          108)


def test_api_import_pages_through_long_lists_in_real_mode(staff, online):
    fake = sf.FakeStripe(online, "https://api.stripe.com")
    mine = card_gift(1_000, "ch_p0", fee=36)
    settled = [sf.balance_transaction(f"txn_p{i}", 1_000 + i, fee=36, source=f"ch_p{i}",
                                      created=sf.NOW + i) for i in range(130)]
    fake.add_payout(sf.payout("po_big", sum(t["net"] for t in settled)), settled)
    fake.balance_transactions["txn_old"] = sf.balance_transaction("txn_old", 500, source="ch_old",
                                                                  created=sf.NOW - 86400 * 30)
    result = stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff,
                                          lang="en")
    assert (result.txns_added, result.unknown) == (130, 129)  # one page of 100, then 30
    pages = [c for c in online.calls if "/v1/balance_transactions" in c.request.url]
    assert any("starting_after=txn_p" in c.request.url for c in pages)
    assert any("created%5Bgte%5D=" in c.request.url or "created[gte]=" in c.request.url
               for c in pages)
    assert db.session.query(StripeTxn).filter_by(stripe_txn_id="txn_old").count() == 0
    assert db.session.execute(db.select(StripeTxn).filter_by(
        stripe_txn_id="txn_p0")).scalar_one().payment_id == mine.id


def test_a_payout_whose_lines_all_match_is_marked_reconciled_once_and_never_reopened(staff, fake):
    stripe_world(fake)
    stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff, lang="en")
    payout = db.session.execute(db.select(StripePayout)).scalar_one()
    assert stripe_recon.payout_problems(payout, "en") == []
    stripe_recon.reconcile_payout(payout_id=payout.id, staff=staff, lang="en")
    db.session.expire_all()
    assert payout.state == PayoutState.RECONCILED and payout.reconciled_by == staff.id
    assert db.session.query(AuditEntry).filter_by(action="stripe_payout.reconciled").count() == 1
    with pytest.raises(Conflict) as err:
        stripe_recon.reconcile_payout(payout_id=payout.id, staff=staff, lang="en")
    assert "never reopened" in err.value.message
    # Stripe later saying something else changes nothing on a reconciled payout.
    fake.payouts["po_1"]["amount"] = 1
    result = stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff,
                                          lang="en")
    db.session.expire_all()
    assert payout.amount == 13_460 and payout.state == "reconciled"
    assert any("reconciled" in problem for problem in result.problems)


def test_a_payout_with_a_line_not_found_here_cannot_be_reconciled(staff, fake):
    stripe_world(fake)
    fake.add_payout(sf.payout("po_2", 4_000), [sf.balance_transaction("txn_y", 4_000,
                                                                        source="ch_unknown")])
    stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff, lang="en")
    payout = db.session.execute(db.select(StripePayout).filter_by(
        stripe_payout_id="po_2")).scalar_one()
    with pytest.raises(ValidationFailed) as err:
        stripe_recon.reconcile_payout(payout_id=payout.id, staff=staff, lang="en")
    assert "txn_y" in err.value.message
    db.session.expire_all()
    assert payout.state == "open"


def test_disputes_and_their_fees_are_matched_and_booked_once(staff, fake):
    one = card_gift(5_000, "ch_1", fee=180)
    dispute = DisputeFactory(payment=one, amount=5_000, stripe_dispute_id="dp_1",
                             stripe_status="needs_response")
    db.session.commit()
    bookings.book_dispute(dispute, actor="test")
    db.session.commit()
    fake.balance_transactions["txn_d"] = sf.balance_transaction(
        "txn_d", -5_000, fee=1_500, type_="adjustment", category="dispute", source="dp_1")
    stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff, lang="en")
    txn = db.session.execute(db.select(StripeTxn)).scalar_one()
    assert (txn.match, txn.dispute_id) == ("matched", dispute.id)
    assert f"dispute_fee:{dispute.id}" in keys()
    stripe_recon.import_from_api(since=SINCE, actor=audit.staff(staff), staff=staff, lang="en")
    assert keys().count(f"dispute_fee:{dispute.id}") == 1


def _report():
    return report([
        row("txn_1", 5_000, fee=180, source="ch_1", charge_id="ch_1"),
        row("txn_2", 10_000, fee=360, source="ch_2", charge_id="ch_2"),
        row("txn_r1", -1_000, category="refund", source="re_1"),
    ])


def test_the_report_csv_gives_the_same_reconciliation(staff, fake):
    one, two, three, refund = stripe_world(fake)
    before = set(keys())
    result = stripe_recon.import_report(filename="po.csv", data=_report(), staff=staff, lang="en")
    assert (result.txns_added, result.payouts_added, result.unknown) == (3, 1, 0)
    payout = db.session.execute(db.select(StripePayout)).scalar_one()
    assert (payout.stripe_payout_id, payout.amount, str(payout.arrival_on)) == (
        "po_report_1", 13_460, "2026-05-15")
    assert set(keys()) - before == {"payout:po_report_1", f"fee:{two.id}"}
    with pytest.raises(Conflict) as err:
        stripe_recon.import_report(filename="po.csv", data=_report(), staff=staff, lang="en")
    assert "already imported" in err.value.message


def test_a_refused_report_stores_nothing(staff):
    bad = report([row("txn_1", 5_000), row("txn_2", 20, currency="usd")])
    with pytest.raises(ValidationFailed):
        stripe_recon.import_report(filename="bad.csv", data=bad, staff=staff, lang="en")
    db.session.rollback()
    assert db.session.query(StripeImport).count() == 0
    assert db.session.query(StripeTxn).count() == 0 and keys() == []
