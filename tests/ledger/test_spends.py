"""Spends: a project's invoice paid from the bank; the same approval rule; never below zero.
Reversals from the office: both entries stay, a reversal of a reversal is refused."""
from datetime import date, timedelta

import pytest

from fund.core import clock
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.ledger import allocations, reversals, spends
from fund.ledger.models import Category, Entry, Spend
from fund.ledger.posting import Cr, Dr, post
from fund.staff.services import create_staff
from tests.factories import ProjectFactory
from tests.ledger.helpers import balances, entries

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = date(2026, 5, 10)


def staff(role, n=[0]):
    n[0] += 1
    return create_staff(f"s{role}{n[0]}@qst.example", f"{role} {n[0]}", role, "pw-for-tests")


@pytest.fixture
def scalpel(ctx):
    project = ProjectFactory(slug="quantum-scalpel")
    db.session.commit()
    post(key="gift:1", category=Category.GIFT, lines=[Dr("bank:main", 200_000),
                                                      Cr("fund:project:quantum-scalpel", 200_000)],
         actor="system", effective_date=DAY)
    db.session.commit()
    return project


def spend(project, user, **fields):
    values = {"vendor": "東陽テクニカ", "invoice_number": "INV-001", "spent_on": DAY,
              "amount": 80_000, "memo": "ホールプローブ", "staff": user, "lang": "en"}
    values.update(fields)
    return spends.record_spend(project=project, **values)


def test_a_spend_books_the_project_fund_against_the_bank(app, ctx, scalpel):
    office = staff("office")
    row = spend(scalpel, office, attachment=("請求書.pdf", PDF), fixed_asset=True)
    assert row.state == "booked" and row.attachment_size == len(PDF)
    assert db.session.get(Spend, row.id).attachment == PDF
    assert balances() == {"bank:main": 120_000, "fund:project:quantum-scalpel": 120_000}
    key, category, lines = entries()[-1]
    assert (key, category) == (f"spend:{row.id}", "spend")
    assert lines == [("fund:project:quantum-scalpel", "debit", 80_000),
                     ("bank:main", "credit", 80_000)]
    assert db.session.get(Entry, row.entry_id).fixed_asset is True
    assert db.session.get(Entry, row.entry_id).effective_date == DAY


def test_a_large_spend_waits_for_another_admin(app, ctx, scalpel, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_APPROVAL_THRESHOLD", 50_000)
    first, second = staff("admin"), staff("admin")
    row = spend(scalpel, first)
    assert row.state == "pending" and balances()["fund:project:quantum-scalpel"] == 200_000
    with pytest.raises(FundError, match="another admin must approve"):
        spends.approve(row.id, staff=first, lang="en")
    spends.approve(row.id, staff=second, lang="en")
    assert balances()["fund:project:quantum-scalpel"] == 120_000
    other = spend(scalpel, first, invoice_number="INV-002")
    spends.reject(other.id, staff=second, note="重複", lang="en")
    assert balances()["fund:project:quantum-scalpel"] == 120_000
    assert [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)] == [
        "spend.requested", "spend.approved", "spend.requested", "spend.rejected"]


@pytest.mark.parametrize("fields, problem", [
    ({"amount": 200_001}, "holds ¥200,000"),
    ({"amount": 0}, "above ¥0"),
    ({"amount": -1}, "above ¥0"),
    ({"vendor": " "}, "vendor"),
    ({"invoice_number": ""}, "invoice number"),
    ({"spent_on": None}, "date the money was spent"),
    ({"spent_on": "future"}, "cannot be in the future"),
    ({"attachment": ("x.pdf", b"GIF89a....")}, "not a PDF"),
    ({"attachment": ("x.pdf", PDF + b"0" * 2048)}, "larger than"),
    ({"project": "no-such-project"}, "Choose the project"),
])
def test_each_bad_spend_is_refused_and_changes_nothing(app, ctx, scalpel, monkeypatch, fields,
                                                       problem):
    monkeypatch.setitem(app.config, "SPEND_ATTACHMENT_MAX", 1024)
    office = staff("office")
    if fields.get("spent_on") == "future":
        fields["spent_on"] = clock.today_jst() + timedelta(days=1)
    project = fields.pop("project", scalpel)
    with pytest.raises(FundError, match=problem):
        spend(project, office, **fields)
    assert db.session.query(Spend).count() == 0
    assert db.session.query(AuditEntry).count() == 0
    assert balances() == {"bank:main": 200_000, "fund:project:quantum-scalpel": 200_000}


def test_an_invoice_is_recorded_once_unless_its_spend_was_reversed(app, ctx, scalpel):
    office = staff("office")
    row = spend(scalpel, office, amount=1_000)
    with pytest.raises(FundError, match="already recorded"):
        spend(scalpel, office, amount=1_000)
    reversals.reverse(row.entry_id, staff=office, reason="金額誤り", lang="en")
    assert spend(scalpel, office, amount=1_200).state == "booked"


def test_the_bank_never_goes_below_zero(app, ctx):
    project = ProjectFactory(slug="camp")
    db.session.commit()
    post(key="gift:s", category=Category.GIFT, lines=[Dr("stripe", 5_000),
                                                      Cr("fund:project:camp", 5_000)],
         actor="system", effective_date=DAY)
    db.session.commit()
    with pytest.raises(FundError, match="below zero"):
        spend(project, staff("office"), amount=5_000)
    assert db.session.query(Spend).count() == 0


def test_a_reversal_undoes_an_entry_and_both_stay(app, ctx, scalpel):
    office = staff("office")
    row = spend(scalpel, office)
    reversal = reversals.reverse(row.entry_id, staff=office, reason="請求書の誤り", lang="en")
    assert reversal.reverses_id == row.entry_id and reversal.key == f"reversal:{row.entry_id}"
    assert balances() == {"bank:main": 200_000, "fund:project:quantum-scalpel": 200_000}
    assert db.session.query(Entry).count() == 3
    with pytest.raises(FundError, match="a reversal cannot be reversed"):
        reversals.reverse(reversal.id, staff=office, reason="x", lang="en")
    with pytest.raises(FundError, match="already reversed"):
        reversals.reverse(row.entry_id, staff=office, reason="x", lang="en")
    with pytest.raises(FundError, match="corrected by a refund"):
        reversals.reverse(db.session.query(Entry).filter_by(key="gift:1").one().id,
                          staff=office, reason="x", lang="en")
    with pytest.raises(FundError, match="Say why"):
        reversals.reverse(row.entry_id, staff=office, reason=" ", lang="en")
    with pytest.raises(FundError, match="Only office staff"):
        reversals.reverse(row.entry_id, staff=staff("accountant"), reason="x", lang="en")
    assert db.session.query(Entry).count() == 3
    assert [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)][-1] \
        == "ledger.reversed"


def test_reversing_an_allocation_already_spent_is_refused(app, ctx):
    project = ProjectFactory(slug="camp")
    db.session.commit()
    post(key="gift:g", category=Category.GIFT, lines=[Dr("bank:main", 10_000),
                                                      Cr("fund:general", 10_000)],
         actor="system", effective_date=DAY)
    db.session.commit()
    office = staff("office")
    row = allocations.allocate(source="fund:general", project=project, amount=10_000, memo="m",
                               staff=office)
    spend(project, office, amount=6_000)
    with pytest.raises(FundError, match="below zero"):
        reversals.reverse(row.entry_id, staff=office, reason="誤り", lang="en")
    assert balances()["fund:project:camp"] == 4_000
