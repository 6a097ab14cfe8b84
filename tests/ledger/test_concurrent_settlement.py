"""Fifty card gifts settled at the same moment on PostgreSQL: no deadlock, every yen booked.

Each settlement books the fee (payment_settled) and the gift (payment_succeeded)
in one transaction, on the gift's fund, Stripe and the general fund. The
accounts are made so that a project's fund has the lowest id, Stripe the
highest: a transaction that locked only each posting's own accounts would
hold the project and Stripe, then wait for the general fund, which a general
gift holds while it waits for Stripe (PostgreSQL's deadlock detector then
kills one with a 500).
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fund.core import audit
from fund.core.extensions import db
from fund.ledger import accounts
from fund.payments import services
from fund.payments.models import Payment
from fund.payments.stripe import api as gateway
from tests.factories import DonationFactory, PaymentFactory, ProjectFactory
from tests.ledger.helpers import balances

pytestmark = pytest.mark.pg_only

FEE = 180


def test_fifty_concurrent_gifts_settle_without_deadlock(app, ctx, monkeypatch):
    project = ProjectFactory(slug="quantum-scalpel")
    accounts.for_project(project)  # lowest id
    accounts.general()
    accounts.stripe()              # highest id
    ids = []
    for n in range(50):
        designation = {"designation": "project", "project": project} if n % 2 else {}
        gift = DonationFactory(amount=5000, wants_receipt=False, **designation)
        ids.append(PaymentFactory(donation=gift, state="requires_action", succeeded_at=None,
                                  stripe_charge_id=f"ch_conc_{n}").id)
    db.session.commit()
    monkeypatch.setattr(gateway, "retrieve_settlement", lambda charge_id: gateway.Settlement(
        charge_id=charge_id, fee=FEE, net=5000 - FEE, available_on=None))
    start = threading.Barrier(len(ids))

    def settle(payment_id):
        with app.app_context():
            start.wait(timeout=30)
            try:
                payment = db.session.get(Payment, payment_id)
                services.mark_succeeded(payment, audit.stripe_event(f"evt_{payment_id}"))
                db.session.commit()
                return None
            except Exception as error:  # the deadlock a request would have turned into a 500
                db.session.rollback()
                return repr(error)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(ids)) as pool:
        errors = [e for e in pool.map(settle, ids) if e is not None]
    assert errors == []
    assert balances() == {"stripe": 50 * (5000 - FEE), "fund:general": 25 * (5000 - FEE),
                          "fund:project:quantum-scalpel": 25 * (5000 - FEE)}
