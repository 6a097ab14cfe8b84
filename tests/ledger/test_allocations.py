"""Allocations: general fund or a campaign's pool to a project; refusals change nothing."""
from datetime import date

import pytest

from fund.core.errors import FundError
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.ledger import accounts, allocations
from fund.ledger.models import Allocation, Category, Entry
from fund.ledger.posting import Cr, Dr, post
from fund.staff.services import create_staff
from tests.factories import CampaignFactory, ProjectFactory
from tests.ledger.helpers import balances, entries

DAY = date(2026, 5, 10)


def staff(role, n=[0]):
    n[0] += 1
    return create_staff(f"{role}{n[0]}@qst.example", f"{role} {n[0]}", role, "pw-for-tests")


def give(account, amount, key):
    post(key=key, category=Category.GIFT, lines=[Dr("bank:main", amount), Cr(account, amount)],
         actor="system", effective_date=DAY)
    db.session.commit()


@pytest.fixture
def office(ctx):
    return staff("office")


@pytest.fixture
def admins(ctx):
    return staff("admin"), staff("admin")


@pytest.fixture
def scalpel(ctx):
    project = ProjectFactory(slug="quantum-scalpel")
    db.session.commit()
    return project


def test_an_allocation_under_the_threshold_is_booked_at_once(app, ctx, office, scalpel):
    give("fund:general", 500_000, "gift:1")
    row = allocations.allocate(source="fund:general", project=scalpel, amount=80_000,
                               memo="磁場測定装置の頭金", staff=office, lang="en")
    assert row.state == "booked"
    assert balances() == {"bank:main": 500_000, "fund:general": 420_000,
                          "fund:project:quantum-scalpel": 80_000}
    assert entries()[-1] == (f"alloc:{row.id}", "allocation", [
        ("fund:general", "debit", 80_000), ("fund:project:quantum-scalpel", "credit", 80_000)])
    assert [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)] == [
        "allocation.requested", "allocation.booked"]


def test_above_the_threshold_another_admin_approves(app, ctx, office, admins, scalpel):
    first, second = admins
    give("fund:general", 500_000, "gift:1")
    row = allocations.allocate(source="fund:general", project=scalpel, amount=300_000,
                               memo="装置", staff=first, lang="en")
    assert row.state == "pending" and row.entry_id is None
    assert balances()["fund:general"] == 500_000
    with pytest.raises(FundError, match="another admin must approve"):
        allocations.approve(row.id, staff=first, lang="en")
    with pytest.raises(FundError, match="Only an admin"):
        allocations.approve(row.id, staff=office, lang="en")
    assert db.session.get(Allocation, row.id).state == "pending"
    row = allocations.approve(row.id, staff=second, note="ok", lang="en")
    assert row.state == "booked" and row.decided_by_id == second.id
    assert balances()["fund:project:quantum-scalpel"] == 300_000
    with pytest.raises(FundError, match="already decided"):
        allocations.approve(row.id, staff=second, lang="en")
    actions = [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["allocation.requested", "allocation.approved"]


def test_the_threshold_is_configurable(app, ctx, office, scalpel, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_APPROVAL_THRESHOLD", 1_000)
    give("fund:general", 5_000, "gift:1")
    assert allocations.allocate(source="fund:general", project=scalpel, amount=1_000, memo="m",
                                staff=office).state == "booked"
    assert allocations.allocate(source="fund:general", project=scalpel, amount=1_001, memo="m",
                                staff=office).state == "pending"


def test_a_rejected_request_books_nothing(app, ctx, admins, scalpel):
    first, second = admins
    give("fund:general", 500_000, "gift:1")
    row = allocations.allocate(source="fund:general", project=scalpel, amount=200_000,
                               memo="m", staff=first)
    allocations.reject(row.id, staff=second, note="予算外")
    assert db.session.get(Allocation, row.id).state == "rejected"
    assert db.session.query(Entry).count() == 1
    with pytest.raises(FundError, match="already decided"):
        allocations.approve(row.id, staff=second, lang="en")


def test_approval_checks_the_balance_again(app, ctx, office, admins, scalpel):
    first, second = admins
    give("fund:general", 300_000, "gift:1")
    row = allocations.allocate(source="fund:general", project=scalpel, amount=250_000,
                               memo="m", staff=first)
    allocations.allocate(source="fund:general", project=scalpel, amount=100_000, memo="m",
                         staff=office)
    with pytest.raises(FundError, match="holds ¥200,000"):
        allocations.approve(row.id, staff=second, lang="en")
    assert db.session.get(Allocation, row.id).state == "pending"
    assert balances()["fund:general"] == 200_000


def _refused(match, **kwargs):
    before = (db.session.query(Entry).count(), db.session.query(Allocation).count(),
              db.session.query(AuditEntry).count())
    with pytest.raises(FundError, match=match):
        allocations.allocate(lang="en", **kwargs)
    after = (db.session.query(Entry).count(), db.session.query(Allocation).count(),
             db.session.query(AuditEntry).count())
    assert after == before


def test_each_bad_allocation_is_refused_and_changes_nothing(app, ctx, office, scalpel):
    give("fund:general", 50_000, "gift:1")
    camp = ProjectFactory(slug="science-camp")
    closed = ProjectFactory(slug="old", status="closed")
    campaign = CampaignFactory(slug="virus", project=camp)
    db.session.commit()
    give("fund:campaign:virus", 30_000, "gift:2")
    give("fund:project:science-camp", 10_000, "gift:3")
    accountant = staff("accountant")
    ok = {"source": "fund:general", "project": scalpel, "memo": "m", "staff": office}
    _refused("holds ¥50,000", **{**ok, "amount": 50_001})
    _refused("above ¥0", **{**ok, "amount": 0})
    _refused("above ¥0", **{**ok, "amount": -5})
    _refused("above ¥0", **{**ok, "amount": 10.5})
    _refused("is closed", **{**ok, "amount": 1, "project": closed})
    _refused("only to its own project", **{**ok, "amount": 1, "source": "fund:campaign:virus"})
    _refused("stays with that project",
             **{**ok, "amount": 1, "source": "fund:project:science-camp"})
    _refused("not from bank:main", **{**ok, "amount": 1, "source": "bank:main"})
    _refused("general fund or a campaign", **{**ok, "amount": 1, "source": "fund:nothing"})
    _refused("Write a memo", **{**ok, "amount": 1, "memo": "  "})
    _refused("Only office staff", **{**ok, "amount": 1, "staff": accountant})
    row = allocations.allocate(**{**ok, "amount": 20_000, "source": "fund:campaign:virus",
                                  "project": camp})
    assert row.state == "booked"
    assert balances()["fund:campaign:virus"] == 10_000
    assert campaign.project_id == camp.id


def test_a_successful_campaign_moves_its_pool_once(app, ctx, scalpel):
    campaign = CampaignFactory(slug="virus", project=scalpel)
    db.session.commit()
    give(accounts.for_campaign(campaign), 120_000, "gift:1")
    entry = allocations.close_campaign_to_project(campaign)
    db.session.commit()
    assert entry.key == f"campaign_close:{campaign.id}" and entry.amount == 120_000
    assert allocations.close_campaign_to_project(campaign).id == entry.id
    db.session.commit()
    assert balances() == {"bank:main": 120_000, "fund:project:quantum-scalpel": 120_000}


def test_closing_a_campaign_in_the_office_moves_the_pool(app, ctx, scalpel):
    from datetime import datetime, timezone

    from fund.office import deadlines
    campaign = CampaignFactory(slug="virus", project=scalpel, goal_amount=1,
                               funding_model="all_in",
                               ends_at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    db.session.commit()
    give(accounts.for_campaign(campaign), 70_000, "gift:1")
    assert deadlines.close(campaign.id, now=datetime(2026, 6, 2, tzinfo=timezone.utc)) \
        == "succeeded"
    assert balances()["fund:project:quantum-scalpel"] == 70_000
    assert "fund:campaign:virus" not in balances()
