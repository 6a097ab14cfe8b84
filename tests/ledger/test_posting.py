"""post(): balanced, idempotent, no overdraft, never commits; the database keeps entries as posted."""
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from fund.core.extensions import db
from fund.ledger import accounts, balances
from fund.ledger.models import Account, Category, DayTotal, Entry, Line, MonthTotal
from fund.ledger.posting import Cr, Dr, KeyReused, Overdraft, Unbalanced, post
from tests.factories import ProjectFactory

ACTOR = "staff:1"
DAY = date(2026, 5, 10)


def gift_to(account, amount, key, day=DAY):
    return post(key=key, category=Category.GIFT, lines=[Dr("bank:main", amount), Cr(account, amount)],
                actor=ACTOR, effective_date=day, memo="寄附 振込")


def test_a_balanced_entry_moves_both_balances_and_the_kept_totals(ctx):
    project = ProjectFactory(slug="camp")
    entry = gift_to("fund:project:camp", 30_000, "gift:offline:1")
    db.session.commit()
    assert entry.amount == 30_000
    assert [(line.account.code, line.side, line.amount) for line in entry.lines] == [
        ("bank:main", "debit", 30_000), ("fund:project:camp", "credit", 30_000)]
    assert accounts.for_project(project).balance == 30_000
    assert accounts.bank().balance == 30_000
    day = db.session.get(DayTotal, (accounts.bank().id, DAY, "gift"))
    assert (day.debit, day.credit, day.lines) == (30_000, 0, 1)
    month = db.session.get(MonthTotal, (accounts.for_project(project).id, date(2026, 5, 1)))
    assert (month.debit, month.credit) == (0, 30_000)


@pytest.mark.parametrize("lines, problem", [
    ([Dr("bank:main", 1000), Cr("fund:general", 999)], "must be equal"),
    ([Dr("bank:main", 1000)], "at least one debit and one credit"),
    ([Dr("bank:main", 0), Cr("fund:general", 0)], "positive amount"),
    ([Dr("bank:main", -5), Cr("fund:general", -5)], "positive amount"),
    ([Dr("bank:main", 10.0), Cr("fund:general", 10.0)], "whole yen"),
    ([Dr("fund:general", 10), Cr("fund:general", 10)], "same account"),
])
def test_a_bad_entry_is_refused_and_books_nothing(ctx, lines, problem):
    with pytest.raises(Unbalanced, match=problem):
        post(key="adjustment:1", category=Category.ADJUSTMENT, lines=lines, actor=ACTOR,
             effective_date=DAY)
    db.session.rollback()
    assert db.session.query(Entry).count() == 0
    assert db.session.query(Line).count() == 0


def test_other_refusals_name_the_problem(ctx):
    lines = [Dr("bank:main", 10), Cr("fund:general", 10)]
    with pytest.raises(Unbalanced, match="yen only"):
        post(key="x", category="gift", lines=lines, actor=ACTOR, currency="USD")
    with pytest.raises(Unbalanced, match="not a ledger category"):
        post(key="x", category="bonus", lines=lines, actor=ACTOR)
    with pytest.raises(Unbalanced, match="idempotency key"):
        post(key=" ", category="gift", lines=lines, actor=ACTOR)
    with pytest.raises(accounts.UnknownAccount, match="fund:project:nowhere"):
        post(key="x", category="gift", lines=[Dr("bank:main", 10), Cr("fund:project:nowhere", 10)],
             actor=ACTOR)


def test_the_same_key_books_once(ctx):
    first = gift_to("fund:general", 5000, "gift:42")
    again = gift_to("fund:general", 5000, "gift:42")
    db.session.commit()
    assert again.id == first.id
    assert db.session.query(Entry).count() == 1
    assert accounts.general().balance == 5000


def test_the_same_key_with_other_lines_is_refused(ctx):
    gift_to("fund:general", 5000, "gift:42")
    db.session.commit()
    with pytest.raises(KeyReused, match="already booked with other lines"):
        gift_to("fund:general", 6000, "gift:42")
    db.session.rollback()
    assert accounts.general().balance == 5000


def test_no_fund_goes_below_zero(ctx):
    ProjectFactory(slug="magnet")
    gift_to("fund:general", 10_000, "gift:1")
    db.session.commit()
    with pytest.raises(Overdraft, match=r"holds ¥10,000; ¥10,001 would take it below zero") as err:
        post(key="alloc:1", category=Category.ALLOCATION,
             lines=[Dr("fund:general", 10_001), Cr("fund:project:magnet", 10_001)], actor=ACTOR)
    assert err.value.needed == 10_001
    db.session.rollback()
    assert accounts.general().balance == 10_000
    assert db.session.query(Entry).count() == 1


def test_stripe_may_go_negative_and_a_fact_may_overdraw_a_fund(ctx):
    gift_to("fund:general", 1000, "gift:1")
    post(key="refund:1", category=Category.REFUND, lines=[Dr("fund:general", 3000), Cr("stripe", 3000)],
         actor=ACTOR, allow_overdraft=True)
    db.session.commit()
    assert accounts.stripe().balance == -3000
    assert accounts.general().balance == -2000


def test_post_never_commits(ctx):
    gift_to("fund:general", 1000, "gift:1")
    db.session.rollback()
    assert db.session.query(Entry).count() == 0
    assert db.session.query(Account).filter(Account.balance != 0).count() == 0


def test_a_reversal_swaps_the_sides_and_cannot_be_reversed(ctx):
    from fund.ledger.posting import LedgerError, post_reversal
    entry = gift_to("fund:general", 1000, "gift:1")
    undo = post_reversal(entry, key="reversal:1", actor=ACTOR)
    db.session.commit()
    assert [(line.account.code, line.side) for line in undo.lines] == [
        ("bank:main", "credit"), ("fund:general", "debit")]
    assert undo.reverses_id == entry.id and entry.reversed_by.id == undo.id
    assert accounts.general().balance == 0
    with pytest.raises(LedgerError, match="cannot be reversed"):
        post_reversal(undo, key="reversal:2", actor=ACTOR)
    with pytest.raises(LedgerError, match="already reversed"):
        post_reversal(entry, key="reversal:3", actor=ACTOR)


@pytest.mark.pg_only
def test_the_database_refuses_to_change_a_posted_entry_or_line(ctx):
    entry = gift_to("fund:general", 1000, "gift:1")
    db.session.commit()
    for statement in (f"UPDATE ledger_line SET amount = 2000 WHERE entry_id = {entry.id}",
                      f"DELETE FROM ledger_line WHERE entry_id = {entry.id}",
                      f"UPDATE ledger_entry SET memo = 'edited' WHERE id = {entry.id}",
                      f"DELETE FROM ledger_entry WHERE id = {entry.id}"):
        with pytest.raises(DBAPIError, match="refused; book a reversal instead"):
            db.session.execute(sa.text(statement))
        db.session.rollback()


@pytest.mark.pg_only
def test_the_database_refuses_an_unbalanced_entry_at_commit(ctx):
    bank, general = accounts.bank(), accounts.general()
    db.session.commit()
    entry = Entry(key="forged", category="gift", memo="", effective_date=DAY, actor="sql",
                  amount=1000, fixed_asset=False)
    db.session.add(entry)
    db.session.flush()
    db.session.add_all([Line(entry_id=entry.id, account_id=bank.id, side="debit", amount=1000,
                             effective_date=DAY),
                        Line(entry_id=entry.id, account_id=general.id, side="credit", amount=900,
                             effective_date=DAY)])
    db.session.flush()  # accepted until the transaction ends
    with pytest.raises(DBAPIError, match="does not balance"):
        db.session.commit()
    db.session.rollback()
    lone = Entry(key="lonely", category="gift", memo="", effective_date=DAY, actor="sql",
                 amount=1000, fixed_asset=False)
    db.session.add(lone)
    with pytest.raises(DBAPIError, match="does not balance"):
        db.session.commit()
    db.session.rollback()
    assert db.session.query(Entry).count() == 0


def test_balances_at_a_date(ctx):
    gift_to("fund:general", 1000, "gift:1", day=date(2026, 3, 31))
    gift_to("fund:general", 2000, "gift:2", day=date(2026, 4, 1))
    gift_to("fund:general", 4000, "gift:3", day=date(2026, 4, 15))
    db.session.commit()
    at = balances.balances_at(date(2026, 4, 1))
    assert at["fund:general"] == 3000 and at["bank:main"] == 3000
    assert balances.balances_at(date(2026, 3, 31))["fund:general"] == 1000
    assert balances.balances_at(date(2027, 1, 1))["fund:general"] == 7000
    assert balances.balances_at(date(2026, 1, 1)).get("fund:general", 0) == 0
