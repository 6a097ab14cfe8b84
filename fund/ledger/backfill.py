"""Book what money that moved before the ledger existed lacks (migration 0111, `flask fund
ledger backfill`).

For every succeeded payment without its gift entry, and every known fee, succeeded refund
and chargeback without theirs, it books through the same functions and keys the
signals use (`fund.ledger.bookings`: `gift:<payment id>`, `fee:<payment id>`,
`refund:<refund id>`, `dispute:<dispute id>`, `dispute_won:<dispute id>`), so running it
again, or a webhook replayed afterwards, books nothing twice. Each entry is dated when the
money moved (Japan time): the payment's success, the refund's or dispute's last change.

A payment recorded outside Stripe (provider `office`) is booked on the money account its
offline-gift row names (read from that table here: the ledger does not import fund.giving),
else on the configured bank account. Dispute fees are not in the payments table (they come
from Stripe's balance transactions, which the reconciliation books).
"""
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, exists

from fund.core import clock
from fund.core.extensions import db
from fund.ledger import accounts, bookings
from fund.ledger.models import Entry
from fund.payments.models import Dispute, DisputeState, Payment, PaymentState, Refund, \
    RefundState

ACTOR = "system:backfill"
BATCH = 500


@dataclass
class Result:
    gifts: int = 0
    fees: int = 0
    refunds: int = 0
    disputes: int = 0

    @property
    def total(self):
        return self.gifts + self.fees + self.refunds + self.disputes


def _missing(model, source_type, *where, key_prefix=None):
    """Rows of `model` with no entry whose source is them (or whose key is prefix:<id>)."""
    if key_prefix is None:
        booked = exists().where(and_(Entry.source_type == source_type, Entry.source_id == model.id))
    else:
        booked = exists().where(Entry.key == key_prefix + cast(model.id, String))
    return db.select(model).where(*where, ~booked).order_by(model.id)


def _asset(payment):
    if payment.provider == "stripe":
        return None
    code = db.session.execute(db.text("SELECT money_account FROM offline_gift WHERE payment_id = :p"),
                              {"p": payment.id}).scalar_one_or_none()
    return accounts.get(code) if code else bookings.bank_account()


def _day(moment):
    return clock.jst_date(moment) if moment is not None else clock.today_jst()


def _each(query):
    """The rows of `query`, a batch at a time (each batch is booked before the next is read)."""
    last = 0
    model = query.column_descriptions[0]["entity"]
    while True:
        rows = db.session.execute(query.where(model.id > last).limit(BATCH)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def run(*, commit=True):
    """Book every missing entry; returns what was booked. Commits per batch unless told not."""
    result = Result()
    succeeded = Payment.state == PaymentState.SUCCEEDED.value
    for n, payment in enumerate(_each(_missing(Payment, None, succeeded, key_prefix="gift:")), 1):
        bookings.book_gift(payment, actor=ACTOR, asset=_asset(payment))
        result.gifts += 1
        _maybe_commit(n, commit)
    fees = _missing(Payment, None, succeeded, Payment.provider == "stripe", Payment.fee > 0,
                    key_prefix="fee:")
    for n, payment in enumerate(_each(fees), 1):
        bookings.book_fee(payment, actor=ACTOR)
        result.fees += 1
        _maybe_commit(n, commit)
    refunds = _missing(Refund, "refund", Refund.state == RefundState.SUCCEEDED.value)
    for n, refund in enumerate(_each(refunds), 1):
        bookings.book_refund(refund, actor=ACTOR, day=_day(refund.updated_at or refund.created_at))
        result.refunds += 1
        _maybe_commit(n, commit)
    for n, dispute in enumerate(_each(_missing(Dispute, "dispute")), 1):
        if not bookings.withdrawn(dispute):
            continue
        bookings.book_dispute(dispute, actor=ACTOR, day=_day(dispute.created_at))
        if dispute.state == DisputeState.WON:
            bookings.book_dispute_won(dispute, actor=ACTOR)
        result.disputes += 1
        _maybe_commit(n, commit)
    db.session.flush()
    if commit:
        db.session.commit()
    return result


def _maybe_commit(n, commit):
    if n % BATCH == 0:
        db.session.flush()
        if commit:
            db.session.commit()
