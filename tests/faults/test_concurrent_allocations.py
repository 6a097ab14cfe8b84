"""Fault 3: many allocations from one fund at the same moment, on PostgreSQL.

Twelve threads, each with its own connection, allocate ¥3,000 at a time from
a general fund holding ¥100,000 until it refuses them. The account row lock
(`posting.lock_accounts`, SELECT … FOR UPDATE) makes them take turns, so each
sees the balance the one before it left: exactly 33 succeed, the fund ends
at ¥1,000 and its kept balance equals the sum of its lines. Without the lock
two threads read the same balance: more allocations succeed than the fund
holds, and the kept balance disagrees with the lines.
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from fund.core.errors import FundError
from fund.core.extensions import db
from fund.ledger import accounts, allocations
from fund.ledger.models import Account, Allocation, Category, Line
from fund.ledger.posting import Cr, Dr, post
from fund.staff.models import StaffUser
from fund.staff.services import create_staff
from tests.factories import ProjectFactory

pytestmark = pytest.mark.pg_only

HELD = 100_000
EACH = 3_000
THREADS = 12
TRIES = 5  # 60 attempts for 33 allocations' worth


def _line_balance(account):
    debit, credit = db.session.execute(db.select(
        db.func.coalesce(db.func.sum(db.case((Line.side == "debit", Line.amount), else_=0)), 0),
        db.func.coalesce(db.func.sum(db.case((Line.side == "credit", Line.amount), else_=0)), 0),
    ).where(Line.account_id == account.id)).one()
    return (credit - debit) if account.is_fund else (debit - credit)


def test_concurrent_allocations_never_overdraw_the_fund(app, ctx):
    projects = [ProjectFactory(slug="quantum-scalpel"), ProjectFactory(slug="science-camp")]
    staff_id = create_staff("alloc-fault@qst.example", "Office", "office", "pw-for-tests").id
    post(key="gift:seed", category=Category.GIFT,
         lines=[Dr("bank:main", HELD), Cr(accounts.general(), HELD)], actor="system",
         effective_date=date(2026, 5, 1))
    for project in projects:
        accounts.for_project(project)
    db.session.commit()
    project_ids = [p.id for p in projects]
    start = threading.Barrier(THREADS)

    def allocate(n):
        done, refused, errors = 0, 0, []
        with app.app_context():
            start.wait(timeout=30)
            try:
                for _ in range(TRIES):
                    user = db.session.get(StaffUser, staff_id)
                    try:
                        allocations.allocate(source="fund:general",
                                             project=project_ids[n % 2], amount=EACH,
                                             memo=f"thread {n}", staff=user, lang="en")
                        done += 1
                    except FundError as error:
                        assert "holds" in error.message or "below zero" in error.message, \
                            error.message
                        refused += 1
                    except Exception as error:  # a deadlock or lost lock would land here
                        db.session.rollback()
                        errors.append(repr(error))
            finally:
                db.session.remove()
        return done, refused, errors

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(allocate, range(THREADS)))
    assert [e for _, _, errors in results for e in errors] == []
    booked = sum(done for done, _, _ in results)
    db.session.expire_all()
    general = accounts.general()
    assert booked == HELD // EACH
    assert general.balance == HELD - booked * EACH == _line_balance(general) >= 0
    held_by_projects = sum(db.session.get(Account, accounts.for_project(p).id).balance
                           for p in projects)
    assert held_by_projects == booked * EACH
    assert all(db.session.get(Account, accounts.for_project(p).id).balance
               == _line_balance(accounts.for_project(p)) for p in projects)
    assert db.session.query(Allocation).filter_by(state="booked").count() == booked
