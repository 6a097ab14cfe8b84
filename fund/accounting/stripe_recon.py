"""Reconcile with Stripe: its balance transactions and payouts against our payments.

Imported from the API (`GET /v1/payouts?created[gte]=…`, then
`GET /v1/balance_transactions?payout=po_…` for what each settled, and
`GET /v1/balance_transactions?created[gte]=…` for what is not paid out yet)
or from the itemized payout reconciliation report uploaded as CSV. Both give
the same records and go through `store`:
- each balance transaction is kept once (unique id) and matched to our row:
  a charge to its Payment (by charge id, else payment intent id), a refund to
  its Refund, a dispute or its reversal to its Dispute, a payout to its payout;
- a payout Stripe reports paid is booked (`payout:<po id>`), once;
- a card fee not yet in the ledger is booked from the charge's transaction
  (`fund.ledger.bookings.book_fee`, key `fee:<payment id>`: the same entry the
  ledger books when the fee is known at settlement, so a fee is never booked
  twice); a dispute's fee likewise (`dispute_fee:<dispute id>`).
Three lists then show what needs a person: in Stripe but not here, here but
not in Stripe, and amounts that differ. A payout whose lines all match can be
marked reconciled; a reconciled payout is never reopened or changed.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY

from fund.accounting import csvfiles, payouts as payout_book, stripe_report
from fund.accounting.models import PayoutState, StripeImport, StripePayout, StripeTxn
from fund.core import audit, clock
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.ledger import bookings
from fund.ledger.models import Entry
from fund.payments.models import Dispute, DisputeState, Payment, PaymentState, Refund, RefundState
from fund.payments.stripe import api as gateway

CHUNK = 5000  # ids per IN (...) query; on PostgreSQL an id array is one parameter
PG_CHUNK = 100_000


@dataclass(frozen=True)
class TxnRecord:
    id: str
    type: str
    category: str
    amount: int
    fee: int
    net: int
    created: datetime
    available_on: datetime | None
    source: str
    payout: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""


@dataclass(frozen=True)
class PayoutRecord:
    id: str
    amount: int
    status: str
    arrival_on: date | None
    created: datetime | None = None


@dataclass
class Result:
    txns_added: int = 0
    txns_linked: int = 0
    payouts_added: int = 0
    payouts_booked: int = 0
    fees_booked: int = 0
    unknown: int = 0
    differs: int = 0
    problems: list = field(default_factory=list)


def _day(moment):
    return clock.jst_date(moment) if moment else None


# --- the two sources ---------------------------------------------------------------


def import_from_api(*, since, actor, lang, staff=None):
    """Read payouts and balance transactions created since `since` from Stripe; commits."""
    found_payouts = gateway.list_payouts(since)
    records, seen = [], set()
    for payout in found_payouts:
        if payout.currency != "JPY":
            continue
        for txn in gateway.list_balance_transactions(payout=payout.id):
            records.append(_from_api(txn, payout.id))
            seen.add(txn.id)
    for txn in gateway.list_balance_transactions(since=since):
        if txn.id not in seen and txn.currency == "JPY":
            records.append(_from_api(txn, ""))
    payout_records = [PayoutRecord(p.id, p.amount, p.status, _day(p.arrival_date), p.created)
                      for p in found_payouts if p.currency == "JPY"]
    row = StripeImport(source="api", since=since, rows=len(records),
                       imported_by=staff.id if staff else None)
    db.session.add(row)
    db.session.flush()
    result = store(records, payout_records, actor=actor, lang=lang)
    audit.record(actor, "stripe.imported", row, source="api", since=since.isoformat(),
                 txns=result.txns_added, payouts=result.payouts_added)
    db.session.commit()
    return result


def _from_api(txn, payout_id):
    return TxnRecord(id=txn.id, type=txn.type, category=txn.reporting_category,
                     amount=txn.amount, fee=txn.fee, net=txn.net, created=txn.created,
                     available_on=txn.available_on, source=txn.source or "",
                     payout=payout_id or txn.payout or "",
                     charge_id=txn.source if (txn.source or "").startswith(("ch_", "py_")) else "")


def import_report(*, filename, data, staff, lang):
    """Read Stripe's itemized payout reconciliation report (CSV); commits. Refused whole."""
    digest = csvfiles.sha256(data or b"")
    earlier = db.session.execute(
        db.select(StripeImport).filter_by(sha256=digest)).scalar_one_or_none()
    if earlier is not None:
        raise Conflict(gettext_for(lang, "This report was already imported on %(day)s; nothing "
                                         "was imported again.",
                                   day=clock.jst_date(earlier.created_at).isoformat()),
                       code="already_imported")
    rows = stripe_report.parse(data, lang)
    records = [TxnRecord(id=row.balance_transaction_id, type=row.reporting_category,
                         category=row.reporting_category, amount=row.gross, fee=row.fee,
                         net=row.net, created=row.created, available_on=row.available_on,
                         source=row.source_id, payout=row.payout_id,
                         charge_id=row.charge_id or (row.source_id if row.source_id.startswith(
                             ("ch_", "py_")) else ""),
                         payment_intent_id=row.payment_intent_id) for row in rows]
    # The report lists payouts that were paid; each pays out the sum of its lines' nets.
    totals, arrival = {}, {}
    for row in rows:
        if row.payout_id:
            totals[row.payout_id] = totals.get(row.payout_id, 0) + row.net
            arrival[row.payout_id] = _day(row.payout_effective_at)
    payout_records = [PayoutRecord(po, amount, "paid", arrival[po]) for po, amount in totals.items()]
    file_row = StripeImport(source="report", sha256=digest, filename=(filename or "")[:255],
                            rows=len(rows), imported_by=staff.id)
    db.session.add(file_row)
    db.session.flush()
    actor = audit.staff(staff)
    result = store(records, payout_records, actor=actor, lang=lang)
    audit.record(actor, "stripe.imported", file_row, source="report", rows=len(rows),
                 txns=result.txns_added, payouts=result.payouts_added)
    db.session.commit()
    return result


# --- storing and matching ------------------------------------------------------------


def _postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def _among(column, values):
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, one parameter for them all."""
    if _postgresql():
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _in_chunks(column_query, values):
    found = {}
    values = list(values)
    size = PG_CHUNK if _postgresql() else CHUNK
    for start in range(0, len(values), size):
        found.update(column_query(values[start:start + size]))
    return found


# What matching reads of a payment: its columns, not the whole object (the fee
# booking loads the few objects it needs).
_PAYMENT_COLUMNS = (Payment.id, Payment.stripe_charge_id, Payment.stripe_payment_intent_id,
                    Payment.state, Payment.amount, Payment.fee)


class _Lookups:
    """Our rows for the Stripe ids of one import, each read in a few chunked queries."""

    def __init__(self, records):
        charges = {r.charge_id for r in records if r.charge_id}
        sources = {r.source for r in records if r.source}
        self.by_charge = _in_chunks(lambda ids: {p.stripe_charge_id: p for p in db.session.execute(
            db.select(*_PAYMENT_COLUMNS).where(_among(Payment.stripe_charge_id, ids)))}, charges)
        # A payment intent id is only looked at when the charge id found nothing.
        intents = {r.payment_intent_id for r in records
                   if r.payment_intent_id and r.charge_id not in self.by_charge}
        self.by_intent = _in_chunks(lambda ids: {p.stripe_payment_intent_id: p for p in
                                                 db.session.execute(db.select(*_PAYMENT_COLUMNS)
                                                 .where(_among(Payment.stripe_payment_intent_id,
                                                               ids)))}, intents)
        self.refunds = _in_chunks(lambda ids: {r.stripe_refund_id: r for r in db.session.execute(
            db.select(Refund).where(_among(Refund.stripe_refund_id, ids))).scalars()},
            {s for s in sources if s.startswith(("re_", "pyr_"))})
        self.disputes = _in_chunks(lambda ids: {d.stripe_dispute_id: d for d in
                                                db.session.execute(db.select(Dispute).where(
                                                    _among(Dispute.stripe_dispute_id, ids)))
                                                .scalars()},
                                   {s for s in sources if s.startswith(("dp_", "du_"))})


def _match(record, lookups):
    """(match, payment, refund, dispute, difference) for one balance transaction."""
    category = record.category or record.type
    if category in ("charge", "payment") or record.type in ("charge", "payment"):
        payment = lookups.by_charge.get(record.charge_id) or lookups.by_intent.get(
            record.payment_intent_id)
        if payment is None:
            return "unknown", None, None, None, ""
        problems = []
        if payment.state != PaymentState.SUCCEEDED:
            problems.append(f"payment is {payment.state}")
        if record.amount != payment.amount:
            problems.append(f"Stripe {format_yen(record.amount)}, here "
                            f"{format_yen(payment.amount)}")
        if payment.fee is not None and record.fee != payment.fee:
            problems.append(f"fee: Stripe {format_yen(record.fee)}, here {format_yen(payment.fee)}")
        return ("differs" if problems else "matched"), payment, None, None, "; ".join(problems)
    if category in ("refund", "refund_failure"):
        refund = lookups.refunds.get(record.source)
        if refund is None:
            return "unknown", None, None, None, ""
        expected = RefundState.SUCCEEDED if category == "refund" else RefundState.FAILED
        problems = []
        if abs(record.amount) != refund.amount:
            problems.append(f"Stripe {format_yen(abs(record.amount))}, here "
                            f"{format_yen(refund.amount)}")
        if refund.state != expected:
            problems.append(f"refund is {refund.state}")
        return ("differs" if problems else "matched"), refund.payment, refund, None, \
            "; ".join(problems)
    if category in ("dispute", "dispute_reversal"):
        dispute = lookups.disputes.get(record.source)
        if dispute is None:
            return "unknown", None, None, None, ""
        problems = []
        if abs(record.amount) != dispute.amount:
            problems.append(f"Stripe {format_yen(abs(record.amount))}, here "
                            f"{format_yen(dispute.amount)}")
        if category == "dispute_reversal" and dispute.state != DisputeState.WON:
            problems.append(f"dispute is {dispute.state}")
        return ("differs" if problems else "matched"), dispute.payment, None, dispute, \
            "; ".join(problems)
    if category == "payout" or record.type == "payout":
        return "payout", None, None, None, ""
    return "unknown", None, None, None, ""


def _store_payouts(payout_records, result):
    ids = [p.id for p in payout_records]
    existing = _in_chunks(lambda chunk: {p.stripe_payout_id: p for p in db.session.execute(
        db.select(StripePayout).where(_among(StripePayout.stripe_payout_id, chunk))).scalars()},
        ids)
    for record in payout_records:
        row = existing.get(record.id)
        if row is None:
            row = StripePayout(stripe_payout_id=record.id, amount=record.amount, currency="JPY",
                               stripe_status=record.status, arrival_on=record.arrival_on,
                               state=PayoutState.OPEN.value)
            db.session.add(row)
            existing[record.id] = row
            result.payouts_added += 1
        elif row.state == PayoutState.OPEN:
            row.stripe_status = record.status or row.stripe_status
            row.arrival_on = record.arrival_on or row.arrival_on
            if record.amount != row.amount:
                result.problems.append(f"{record.id}: amount changed from "
                                       f"{format_yen(row.amount)} to {format_yen(record.amount)}")
                row.amount = record.amount
        elif record.amount != row.amount:
            result.problems.append(f"{record.id} is reconciled; Stripe now says "
                                   f"{format_yen(record.amount)}, it stays at "
                                   f"{format_yen(row.amount)}")
    db.session.flush()
    return existing


def store(records, payout_records, *, actor, lang):
    """Keep and match the records, book paid payouts and missing fees (no commit)."""
    result = Result()
    by_payout = _store_payouts(payout_records, result)
    # Payouts named by transactions but not listed (an older payout) are known by id only.
    named = {r.payout for r in records if r.payout} - set(by_payout)
    if named:
        by_payout.update({p.stripe_payout_id: p for p in db.session.execute(
            db.select(StripePayout).where(StripePayout.stripe_payout_id.in_(named))).scalars()})
    existing = _in_chunks(lambda chunk: {t.stripe_txn_id: t for t in db.session.execute(
        db.select(StripeTxn).where(_among(StripeTxn.stripe_txn_id, chunk))).scalars()},
        [r.id for r in records])
    lookups = _Lookups(records)
    new_rows, fees = [], []
    now = clock.now()
    for record in records:
        payout = by_payout.get(record.payout)
        match, payment, refund, dispute, difference = _match(record, lookups)
        row = existing.get(record.id)
        if row is not None:
            locked = row.payout is not None and row.payout.state == PayoutState.RECONCILED
            if not locked:
                if row.payout_id is None and payout is not None:
                    row.payout_id = payout.id
                    result.txns_linked += 1
                row.match, row.difference = match, difference[:300]
                row.payment_id = payment.id if payment else None
                row.refund_id = refund.id if refund else None
                row.dispute_id = dispute.id if dispute else None
        else:
            new_rows.append({
                "stripe_txn_id": record.id, "type": record.type[:32],
                "reporting_category": (record.category or record.type)[:48],
                "amount": record.amount, "fee": record.fee, "net": record.net, "currency": "JPY",
                "created": record.created, "available_on": record.available_on,
                "source_id": record.source[:64], "payout_id": payout.id if payout else None,
                "payment_id": payment.id if payment else None,
                "refund_id": refund.id if refund else None,
                "dispute_id": dispute.id if dispute else None, "match": match,
                "difference": difference[:300], "imported_at": now})
        if match in ("matched", "differs") and record.fee > 0 and refund is None:
            if dispute is not None and record.category == "dispute":
                fees.append((f"dispute_fee:{dispute.id}", dispute, record))
            elif dispute is None and payment is not None \
                    and payment.state == PaymentState.SUCCEEDED:
                fees.append((f"fee:{payment.id}", payment.id, record))
        result.unknown += match == "unknown"
        result.differs += match == "differs"
    if new_rows:
        _insert_txns(new_rows)
    result.txns_added = len(new_rows)
    for payout in by_payout.values():
        if payout.stripe_status == "paid":
            payout_book.book(payout, actor)
            result.payouts_booked += 1
    result.fees_booked = _book_missing_fees(fees, actor)
    db.session.flush()
    return result


def _insert_txns(rows):
    """Insert the new StripeTxn rows (dicts, all with the same keys) in bulk: COPY on PostgreSQL."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(StripeTxn), rows)
        return
    columns = list(rows[0])
    table = StripeTxn.__table__
    names = ", ".join(f'"{name}"' for name in columns)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])


def _book_missing_fees(fees, actor):
    """Book the card and dispute fees the ledger does not have yet; returns how many.

    `fees` holds (key, payment id or Dispute, balance transaction record).

    A fee booked at settlement (`fee:<payment id>`) is left alone, even when
    Stripe's figure differs: that difference is on the list of amounts that
    differ, for a person to look at.
    """
    keys = [key for key, _, _ in fees]
    booked = set(_in_chunks(lambda chunk: {k: True for k in db.session.execute(
        db.select(Entry.key).where(_among(Entry.key, chunk))).scalars()}, keys))
    wanted = {row for key, row, _ in fees if key not in booked and key.startswith("fee:")}
    payments = _in_chunks(lambda ids: {p.id: p for p in db.session.execute(
        db.select(Payment).where(_among(Payment.id, ids))).scalars()}, wanted)
    count = 0
    for key, row, record in fees:
        if key in booked:
            continue
        booked.add(key)
        day = _day(record.created)
        if key.startswith("dispute_fee:"):
            bookings.book_dispute_fee(row, fee=record.fee, actor=actor, day=day)
        else:
            bookings.book_fee(payments[row], actor=actor, fee=record.fee, day=day)
        count += 1
    return count


# --- the three lists and the reconciled mark -------------------------------------------


@dataclass
class Lists:
    start: date | None
    end: date | None
    only_stripe: list
    only_here: list
    differ: list


def lists(*, start=None, end=None, limit=500):
    """In Stripe but not here, here but not in Stripe, amounts that differ.

    The period defaults to the span of the balance transactions imported; a
    gift of ours counts as missing from Stripe only inside it.
    """
    span = db.session.execute(db.select(db.func.min(StripeTxn.created),
                                        db.func.max(StripeTxn.created))).one()
    start = start or _day(span[0])
    end = end or _day(span[1])
    only_stripe = db.session.execute(
        db.select(StripeTxn).filter_by(match="unknown").order_by(StripeTxn.created)
        .limit(limit)).scalars().all()
    differ = db.session.execute(
        db.select(StripeTxn).filter_by(match="differs").order_by(StripeTxn.created)
        .limit(limit)).scalars().all()
    only_here = []
    if start and end:
        low = datetime.combine(start, datetime.min.time(), tzinfo=clock.JST)
        high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=clock.JST)
        seen = db.select(StripeTxn.payment_id).where(StripeTxn.payment_id.is_not(None),
                                                     StripeTxn.refund_id.is_(None),
                                                     StripeTxn.dispute_id.is_(None))
        only_here = db.session.execute(
            db.select(Payment).where(Payment.provider == "stripe",
                                     Payment.state == PaymentState.SUCCEEDED,
                                     Payment.succeeded_at >= low, Payment.succeeded_at < high,
                                     Payment.id.not_in(seen))
            .order_by(Payment.succeeded_at).limit(limit)).scalars().all()
        seen_refunds = db.select(StripeTxn.refund_id).where(StripeTxn.refund_id.is_not(None))
        only_here += db.session.execute(
            db.select(Refund).where(Refund.state == RefundState.SUCCEEDED,
                                    Refund.updated_at >= low, Refund.updated_at < high,
                                    Refund.id.not_in(seen_refunds))
            .order_by(Refund.id).limit(limit)).scalars().all()
    return Lists(start=start, end=end, only_stripe=only_stripe, only_here=only_here,
                 differ=differ)


def payout_problems(payout, lang):
    """Why `payout` cannot be marked reconciled, as sentences (none: it can)."""
    problems = []
    lines = [t for t in payout.txns if t.match != "payout"]
    if not lines:
        problems.append(gettext_for(lang, "No balance transactions of this payout were imported."))
    open_lines = [t for t in lines if t.match != "matched"]
    if open_lines:
        problems.append(gettext_for(lang, "%(count)s of its lines are not matched: %(ids)s.",
                                    count=len(open_lines),
                                    ids=", ".join(t.stripe_txn_id for t in open_lines[:5])))
    total = sum(t.net for t in lines)
    if lines and total != payout.amount:
        problems.append(gettext_for(lang, "Its lines add up to %(total)s, the payout is "
                                          "%(amount)s.", total=format_yen(total),
                                    amount=format_yen(payout.amount)))
    if payout.stripe_status != "paid":
        problems.append(gettext_for(lang, "Stripe has not reported it paid (%(status)s).",
                                    status=payout.stripe_status or "—"))
    return problems


def reconcile_payout(*, payout_id, staff, lang):
    """Mark a payout whose lines all match as reconciled (audited, final); commits."""
    payout = db.session.execute(
        db.select(StripePayout).where(StripePayout.id == payout_id).with_for_update()
    ).scalar_one_or_none()
    if payout is None:
        raise NotFound(gettext_for(lang, "There is no Stripe payout #%(id)s.", id=payout_id))
    if payout.state == PayoutState.RECONCILED:
        raise Conflict(gettext_for(lang, "This payout was already reconciled; a reconciled payout "
                                         "is never reopened."), code="reconciled")
    problems = payout_problems(payout, lang)
    if problems:
        raise ValidationFailed(gettext_for(lang, "The payout cannot be marked reconciled: "
                                                 "%(problems)s", problems=" ".join(problems)),
                               errors={"payout": problems})
    actor = audit.staff(staff)
    payout_book.book(payout, actor)
    payout.state = PayoutState.RECONCILED.value
    payout.reconciled_by = staff.id
    payout.reconciled_at = clock.now()
    audit.record(actor, "stripe_payout.reconciled", payout, amount=payout.amount,
                 lines=len(payout.txns))
    db.session.commit()
    return payout
