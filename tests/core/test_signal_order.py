"""Signal receivers run in the order they connected, in every process: the lock order
of a payment's effects (totals, ledger, receipts) must not depend on id() values."""
from fund import WIRING_MODULES
from fund.core import signals


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


def test_a_paid_gift_has_its_effects_in_wiring_order(app):
    modules = [receiver.__module__ for receiver in signals.payment_succeeded.receivers_for(None)]
    assert modules == sorted(modules, key=WIRING_MODULES.index)
    assert {"fund.giving.settlement", "fund.giving.totals", "fund.ledger.bookings"} <= set(modules)
