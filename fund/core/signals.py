"""News that travels upward: a lower package says what happened, higher ones react.

Receivers run inside the sender's transaction and never commit; the sender
commits once, after every receiver has run. A receiver that must not undo the
sender's work (a receipt that cannot be rendered must not undo a refund Stripe
already made) wraps its own work in a savepoint.

Sent by fund.payments:
- payment_succeeded(payment, actor): a payment became `succeeded` (card, konbini,
  bank transfer, a monthly invoice). Giving settles the gift (receipt if wanted,
  thank-you mail); the ledger books it.
- payment_expired(payment, actor): an unpaid konbini or bank-transfer request ran out.
- payment_settled(payment): Stripe's fee and net for a succeeded payment became known
  (at success, or later through stripe-sync).
- refund_succeeded(refund, actor): Stripe confirmed money going back (and
  refund_failed(refund, actor) when a bank later rejected one that had succeeded).
- dispute_opened(dispute, actor): Stripe withdrew a dispute's money (a chargeback,
  not an inquiry): sent once, when a dispute is first seen as one.
- dispute_lost(dispute, actor) / dispute_won(dispute, actor): an issuer decided.
- net_amount_changed(donation, actor): what the fund keeps of a gift changed
  (after refund_succeeded, refund_failed or dispute_lost). Receipts follow it.

Sent by fund.core.mail:
- mail_attachments(message): asked while a queued mail is sent; each receiver
  returns a list of (filename, bytes, mimetype) to attach (receipts attach the PDF).
"""
from blinker import NamedSignal, Namespace


class _OrderedIds(dict):
    """The set blinker keeps receiver ids in, in the order they connected.

    blinker's own is a plain set of id() values, whose order differs between
    processes: two gunicorn workers then ran payment_succeeded's receivers
    (totals, ledger, receipts) in different orders, took their row locks in
    different orders and deadlocked (bench/load.py, donations at 10 and 50
    clients). In connection order (the order of WIRING_MODULES), every
    process locks alike.
    """

    def __init__(self, items=()):
        super().__init__((item, None) for item in items)

    def add(self, item):
        self[item] = None

    def discard(self, item):
        self.pop(item, None)

    def remove(self, item):
        del self[item]

    def copy(self):
        return _OrderedIds(self)

    def __or__(self, other):
        return _OrderedIds([*self, *other])


class _OrderedSignal(NamedSignal):
    set_class = _OrderedIds


class _OrderedNamespace(Namespace):
    def signal(self, name, doc=None):
        if name not in self:
            self[name] = _OrderedSignal(name, doc)
        return self[name]


_signals = _OrderedNamespace()

payment_succeeded = _signals.signal("payment-succeeded")
payment_expired = _signals.signal("payment-expired")
payment_settled = _signals.signal("payment-settled")
refund_succeeded = _signals.signal("refund-succeeded")
refund_failed = _signals.signal("refund-failed")
dispute_opened = _signals.signal("dispute-opened")
dispute_lost = _signals.signal("dispute-lost")
dispute_won = _signals.signal("dispute-won")
net_amount_changed = _signals.signal("net-amount-changed")
mail_attachments = _signals.signal("mail-attachments")
