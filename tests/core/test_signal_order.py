"""Signal receivers run in the order they connected, in every process: the lock order
of a payment's effects (totals, ledger, receipts) must not depend on id() values."""
import os
import subprocess
import sys
from pathlib import Path

from fund import WIRING_MODULES
from fund.core import signals

ROOT = Path(__file__).resolve().parents[2]


def test_receivers_run_in_the_order_they_connected():
    signal = type(signals.payment_succeeded)("test-order")
    called = []

    def make(n):
        def receiver(sender):
            called.append(n)
        return receiver
    receivers = [make(n) for n in range(40)]
    # Connected in the reverse of their creation (and so of their addresses): a set of
    # id() values would not give this order back.
    for receiver in reversed(receivers):
        signal.connect(receiver)
    signal.send(None)
    assert called == list(reversed(range(40)))
    signal.disconnect(receivers[3])
    called.clear()
    signal.send(None)
    assert called == [n for n in reversed(range(40)) if n != 3]


PRINT_ORDER = """
from fund import create_app
from fund.core import signals
create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
print(" ".join(r.__module__ for r in signals.payment_succeeded.receivers_for(None)))
"""


def test_a_paid_gift_has_its_effects_in_wiring_order():
    """Each process (a gunicorn worker) connects the receivers as create_app imports them:
    in WIRING_MODULES order, whatever the hash seed. A fresh interpreter each time, as a
    worker is: in this test session other tests have imported the modules already."""
    orders = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "FUND_ENV": "development"}
        done = subprocess.run([sys.executable, "-c", PRINT_ORDER], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=True)
        orders.add(done.stdout.strip().splitlines()[-1])
    assert len(orders) == 1
    modules = orders.pop().split()
    assert modules == sorted(modules, key=WIRING_MODULES.index)
    assert {"fund.giving.settlement", "fund.giving.totals", "fund.ledger.bookings"} <= set(modules)
