"""`flask fund ledger check` passes on honest books and names each corruption it is shown."""
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from fund.accounting.models import StripePayout
from fund.core.extensions import db
from fund.ledger import accounts, bookings, check
from fund.ledger.models import Account, Entry
from fund.payments.models import Payment
from tests.factories import DisputeFactory, ProjectFactory, RefundFactory, paid_gift

ACTOR = "system:test"
AT = datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)


def books():
    """Three card gifts (one to a project) with fees, a refund, a lost chargeback, a payout."""
    project = ProjectFactory(slug="camp")
    one = paid_gift(amount=10_000, at=AT).payments[0]
    two = paid_gift(amount=5_000, at=AT, designation="project", project=project).payments[0]
    three = paid_gift(amount=3_000, at=AT).payments[0]
    for payment, fee in ((one, 360), (two, 180), (three, 108)):
        payment.fee = fee
        bookings.book_gift(payment, actor=ACTOR)
        bookings.book_fee(payment, actor=ACTOR)
    bookings.book_refund(RefundFactory(payment=one, amount=4_000), actor=ACTOR)
    bookings.book_dispute(DisputeFactory(payment=three, state="lost", stripe_status="lost"),
                          actor=ACTOR)
    db.session.add(StripePayout(stripe_payout_id="po_1", amount=6_000, stripe_status="paid",
                                arrival_on=date(2026, 5, 20)))
    bookings.book_payout(payout_id="po_1", amount=6_000, arrival_date=date(2026, 5, 20),
                         actor=ACTOR)
    db.session.commit()
    return one, two, three


def corrupt(*statements):
    """Run SQL the append-only triggers would refuse (PostgreSQL: triggers off in this
    transaction only; nothing is committed, the check reads the same transaction)."""
    pg = db.engine.dialect.name == "postgresql"
    for table in ("ledger_line", "ledger_entry"):
        if pg:
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    for statement in statements:
        db.session.execute(sa.text(statement))


def problems():
    report = check.run()
    return report, " ".join(p.message for p in report.problems)


def test_honest_books_pass(ctx):
    books()
    report = check.run()
    assert report.ok, report.problems
    assert report.gifts == 3 and report.entries == 9


def test_a_deleted_line_is_an_unbalanced_entry_and_a_wrong_balance(ctx):
    one, _, _ = books()
    entry = db.session.execute(db.select(Entry).filter_by(key=f"gift:{one.id}")).scalar_one()
    line = [line for line in entry.lines if line.side == "credit"][0]
    corrupt(f"DELETE FROM ledger_line WHERE id = {line.id}")
    report, text = problems()
    assert {"unbalanced", "kept_balance", "kept_totals"} <= report.kinds()
    assert f"Entry {entry.id} (gift:{one.id}): 1 line(s)" in text


def test_an_unbalanced_entry_inserted_by_hand_fails(ctx):
    books()
    general, bank = accounts.general().id, accounts.bank().id
    corrupt("INSERT INTO ledger_entry (key, category, memo, effective_date, posted_at, actor, "
            "fixed_asset, amount) VALUES ('forged', 'adjustment', '', '2026-05-11', "
            "'2026-05-11 00:00:00+00', 'sql', false, 1000)")
    forged = db.session.execute(db.select(Entry.id).filter_by(key="forged")).scalar_one()
    corrupt(f"INSERT INTO ledger_line (entry_id, account_id, side, amount, effective_date) "
            f"VALUES ({forged}, {bank}, 'debit', 1000, '2026-05-11'), "
            f"({forged}, {general}, 'credit', 900, '2026-05-11')")
    report, text = problems()
    assert "unbalanced" in report.kinds()
    assert "Entry %d (forged): 2 line(s), debits ¥1,000, credits ¥900" % forged in text


def test_a_refund_the_ledger_does_not_know_fails_per_gift(ctx):
    one, _, _ = books()
    RefundFactory(payment=one, amount=1_000)
    db.session.commit()
    report, text = problems()
    assert report.kinds() == {"gift", "stripe_balance"}
    assert f"Donation #{one.donation_id}" in text and "refunded ¥5,000" in text


def test_a_fee_that_differs_and_a_payout_not_booked_fail(ctx):
    _, two, _ = books()
    db.session.get(Payment, two.id).fee = 200
    db.session.add(StripePayout(stripe_payout_id="po_2", amount=1_000, stripe_status="paid"))
    db.session.commit()
    report, text = problems()
    assert {"fee", "payout", "stripe_balance"} <= report.kinds()
    assert "the card fee is ¥200, the ledger books ¥180" in text
    assert "Payout po_2 (¥1,000) is paid at Stripe but not booked" in text


def test_a_fund_below_zero_is_listed(ctx):
    books()
    camp = db.session.execute(db.select(Account).filter_by(code="fund:project:camp")).scalar_one()
    general = accounts.general()
    corrupt("INSERT INTO ledger_entry (key, category, memo, effective_date, posted_at, actor, "
            "fixed_asset, amount) VALUES ('overdrawn', 'allocation', '', '2026-05-11', "
            "'2026-05-11 00:00:00+00', 'sql', false, 9000)")
    forged = db.session.execute(db.select(Entry.id).filter_by(key="overdrawn")).scalar_one()
    corrupt(f"INSERT INTO ledger_line (entry_id, account_id, side, amount, effective_date) "
            f"VALUES ({forged}, {camp.id}, 'debit', 9000, '2026-05-11'), "
            f"({forged}, {general.id}, 'credit', 9000, '2026-05-11')")
    report, text = problems()
    assert "fund_below_zero" in report.kinds()
    assert "fund:project:camp is below zero: -¥4,180" in text


def test_the_command_exits_non_zero_listing_each_problem(app, ctx):
    one, _, _ = books()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["fund", "ledger", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ledger check: ok (9 entries, 3 paid gifts" in ok.output
    RefundFactory(payment=one, amount=1_000)
    db.session.commit()
    bad = runner.invoke(args=["fund", "ledger", "check"])
    assert bad.exit_code == 1
    assert "[gift] Donation #" in bad.output and "disagreement(s)" in bad.output
