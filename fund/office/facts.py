"""Keeping GiftFact, MonthTotal and the donors' gift totals true, in the transaction that
changes a gift.

Whatever changes a donation, a payment, a refund or a dispute (a webhook, the
office, stripe-sync, a merge) goes through the ORM. After each flush the
touched gifts are noted; just before the commit their facts are computed
again from the payment rows by one SQL definition (`fact_select`) and the
monthly and per-donor totals move by the difference (a merge of donors, which moves
gifts by a bulk UPDATE, sums its two donors again: `recount_donors`). Recomputing is
idempotent, so a gift noted twice, or in a savepoint that was rolled back, is still right.
`rebuild()` recomputes everything with the same definition.
"""
from collections import defaultdict

from sqlalchemy import and_, case, event, func, literal, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.office.models import GiftFact, MonthTotal
from fund.payments.models import (DISPUTE_OPEN_STATES, Dispute, DisputeState, Payment,
                                  PaymentState, Refund, RefundState)

NOTED = "fund.office.noted"
FAILED_STATES = (PaymentState.FAILED, PaymentState.CANCELED, PaymentState.EXPIRED)
MONEY = ("gifts", "received", "refunded", "lost", "fees")
DONOR_MONEY = ("gifts", "paid", "refunded", "lost", "fee", "net")


class jst_month(FunctionElement):
    """The first day of the Japan-time month of a UTC timestamp, as a DATE."""

    type = db.Date()
    inherit_cache = True


@compiles(jst_month, "postgresql")
def _jst_month_pg(element, compiler, **kw):
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', ({moment}) AT TIME ZONE 'Asia/Tokyo') AS DATE)"


@compiles(jst_month, "sqlite")
def _jst_month_sqlite(element, compiler, **kw):
    moment = compiler.process(element.clauses, **kw)
    return f"date({moment}, '+9 hours', 'start of month')"


def fact_select(donation_ids=None):
    """One row per gift in GiftFact's columns, from the payments; all gifts or `donation_ids`.

    The SQL twin of Donation.status / net_amount (a test holds them equal).
    """
    def only(column):
        return column.in_(donation_ids) if donation_ids is not None else literal(True)

    succeeded = Payment.state == PaymentState.SUCCEEDED
    pay = (db.select(Payment.donation_id.label("donation_id"),
                     func.sum(case((succeeded, Payment.amount), else_=0)).label("paid"),
                     func.sum(case((succeeded, func.coalesce(Payment.fee, 0)), else_=0)).label("fee"),
                     func.min(case((succeeded, Payment.succeeded_at))).label("received_at"),
                     func.min(case((succeeded, Payment.id))).label("first_paid_id"),
                     func.max(Payment.id).label("last_id"))
           .where(only(Payment.donation_id)).group_by(Payment.donation_id).subquery())
    back = (db.select(Payment.donation_id.label("donation_id"),
                      func.sum(Refund.amount).label("refunded"))
            .join(Refund, Refund.payment_id == Payment.id)
            .where(Refund.state == RefundState.SUCCEEDED, only(Payment.donation_id))
            .group_by(Payment.donation_id).subquery())
    disputes = (db.select(Payment.donation_id.label("donation_id"),
                          func.sum(case((Dispute.state == DisputeState.LOST, Dispute.amount),
                                        else_=0)).label("lost"),
                          func.max(case((Dispute.state.in_(DISPUTE_OPEN_STATES), 1),
                                        else_=0)).label("open"))
                .join(Dispute, Dispute.payment_id == Payment.id)
                .where(only(Payment.donation_id)).group_by(Payment.donation_id).subquery())
    first_paid, last = aliased(Payment), aliased(Payment)
    paid = func.coalesce(pay.c.paid, 0)
    refunded = func.coalesce(back.c.refunded, 0)
    lost = func.coalesce(disputes.c.lost, 0)
    net = paid - refunded - lost
    is_paid = and_(pay.c.paid.is_not(None), paid >= Donation.amount)
    status = case(
        (func.coalesce(disputes.c.open, 0) == 1, "disputed"),
        (and_(is_paid, net <= 0), "refunded"),
        (and_(is_paid, net < paid), "partially_refunded"),
        (is_paid, "paid"),
        (or_(pay.c.last_id.is_(None), last.state.not_in(FAILED_STATES)), "pending"),
        else_="failed")
    return (
        db.select(Donation.id.label("donation_id"), Donation.donor_id,
                  func.coalesce(pay.c.received_at, Donation.created_at).label("at"),
                  pay.c.received_at, jst_month(pay.c.received_at).label("month"),
                  status.label("status"),
                  func.coalesce(first_paid.method, last.method, "none").label("method"),
                  Donation.designation, Donation.campaign_id, Donation.project_id,
                  Donation.amount, paid.label("paid"), refunded.label("refunded"),
                  lost.label("lost"), func.coalesce(pay.c.fee, 0).label("fee"), net.label("net"))
        .select_from(Donation)
        .outerjoin(pay, pay.c.donation_id == Donation.id)
        .outerjoin(back, back.c.donation_id == Donation.id)
        .outerjoin(disputes, disputes.c.donation_id == Donation.id)
        .outerjoin(first_paid, first_paid.id == pay.c.first_paid_id)
        .outerjoin(last, last.id == pay.c.last_id)
        .where(only(Donation.id)))


FACT_COLUMNS = [column.name for column in GiftFact.__table__.columns]


def _scope(row):
    if row["designation"] == "campaign":
        return "campaign", row["campaign_id"]
    if row["designation"] == "project":
        return "project", row["project_id"]
    return "general", 0


def _contribution(row):
    """The (key, amounts) a fact adds to the monthly totals, or None when not received."""
    if row["month"] is None or row["paid"] <= 0:
        return None
    scope, scope_id = _scope(row)
    return ((row["month"], scope, scope_id, row["method"]),
            (1, row["paid"], row["refunded"], row["lost"], row["fee"]))


def _upsert_totals(session, deltas):
    table = MonthTotal.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for (month, scope, scope_id, method), amounts in sorted(deltas.items(), key=str):
        if not any(amounts):
            continue
        values = dict(zip(MONEY, amounts))
        statement = insert(table).values(month=month, scope=scope, scope_id=scope_id,
                                         method=method, **values)
        session.execute(statement.on_conflict_do_update(
            index_elements=["month", "scope", "scope_id", "method"],
            set_={name: table.c[name] + statement.excluded[name] for name in MONEY}))


def _donor_contribution(row):
    """What a fact adds to its donor's kept totals: every fact counts, received or not."""
    return row["donor_id"], [1] + [row[name] for name in DONOR_MONEY[1:]]


# DONOR_MONEY's sums as Donor's columns.
DONOR_COLUMNS = ("gift_count", "gift_paid", "gift_refunded", "gift_lost", "gift_fee", "gift_net")


def _move_donor_totals(session, deltas):
    table = Donor.__table__
    for donor_id, amounts in sorted(deltas.items()):  # a fixed order: no deadlock
        if not any(amounts):
            continue
        session.execute(table.update().where(table.c.id == donor_id).values(
            {table.c[name]: table.c[name] + amount
             for name, amount in zip(DONOR_COLUMNS, amounts)}))


def recount_donors(donor_ids=None, session=None):
    """Sum these donors' (or every donor's) kept totals again from their GiftFact rows
    (after a merge moved gifts by a bulk UPDATE, which no flush notes). No commit."""
    session = session or db.session
    table, fact = Donor.__table__, GiftFact.__table__.c
    ids = sorted(set(donor_ids)) if donor_ids is not None else None
    zero = table.update().values({name: 0 for name in DONOR_COLUMNS})
    grouped = db.select(fact.donor_id, func.count().label("gift_count"),
                        *[func.sum(fact[name]).label(column) for name, column
                          in zip(DONOR_MONEY[1:], DONOR_COLUMNS[1:])])
    if ids is not None:
        zero = zero.where(table.c.id.in_(ids))
        grouped = grouped.where(fact.donor_id.in_(ids))
    sums = grouped.group_by(fact.donor_id).subquery()
    session.execute(zero)
    session.execute(table.update().where(table.c.id == sums.c.donor_id)
                    .values({name: sums.c[name] for name in DONOR_COLUMNS}))


def refresh(donation_ids, session=None):
    """Recompute the facts of these gifts and move the monthly and donor totals (no commit)."""
    session = session or db.session
    ids = sorted({i for i in donation_ids if i is not None})
    if not ids:
        return
    table = GiftFact.__table__
    old = session.execute(db.select(table).where(table.c.donation_id.in_(ids))).mappings().all()
    new = session.execute(fact_select(ids)).mappings().all()
    deltas = defaultdict(lambda: [0] * len(MONEY))
    donor_deltas = defaultdict(lambda: [0] * len(DONOR_MONEY))
    for rows, sign in ((old, -1), (new, 1)):
        for row in rows:
            donor_id, amounts = _donor_contribution(row)
            donor_deltas[donor_id] = [total + sign * amount for total, amount
                                      in zip(donor_deltas[donor_id], amounts)]
            found = _contribution(row)
            if found:
                key, amounts = found
                deltas[key] = [total + sign * amount for total, amount in zip(deltas[key], amounts)]
    session.execute(table.delete().where(table.c.donation_id.in_(ids)))
    if new:
        session.execute(table.insert(), [{name: row[name] for name in FACT_COLUMNS}
                                         for row in new])
    _upsert_totals(session, deltas)
    _move_donor_totals(session, donor_deltas)


def rebuild():
    """Recompute every fact, monthly total and donor's gift totals from the payments; commits."""
    db.session.execute(MonthTotal.__table__.delete())
    db.session.execute(GiftFact.__table__.delete())
    db.session.execute(GiftFact.__table__.insert().from_select(FACT_COLUMNS, fact_select()))
    db.session.execute(MonthTotal.__table__.insert().from_select(
        ["month", "scope", "scope_id", "method"] + list(MONEY), monthly_select()))
    recount_donors()
    db.session.info.pop(NOTED, None)
    db.session.commit()


def monthly_select():
    """MonthTotal's rows grouped from GiftFact (what `rebuild` and the backfill write)."""
    fact = GiftFact.__table__.c
    scope = case((fact.designation == "campaign", "campaign"),
                 (fact.designation == "project", "project"), else_="general")
    scope_id = case((fact.designation == "campaign", fact.campaign_id),
                    (fact.designation == "project", fact.project_id), else_=0)
    return (db.select(fact.month, scope, scope_id, fact.method, func.count(),
                      func.sum(fact.paid), func.sum(fact.refunded), func.sum(fact.lost),
                      func.sum(fact.fee))
            .where(fact.month.is_not(None), fact.paid > 0)
            .group_by(fact.month, scope, scope_id, fact.method))


# --- noting what a transaction touched -----------------------------------------

@event.listens_for(Session, "after_flush")
def _note(session, _context):
    noted = session.info.setdefault(NOTED, {"donations": set(), "payments": set()})
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Donation):
            noted["donations"].add(row.id)
        elif isinstance(row, Payment):
            noted["donations"].add(row.donation_id)
        elif isinstance(row, (Refund, Dispute)):
            noted["payments"].add(row.payment_id)


@event.listens_for(Session, "before_commit")
def _refresh_noted(session):
    if not session.info.get(NOTED):
        return
    session.flush()
    noted = session.info.pop(NOTED)
    donations = set(noted["donations"])
    payments = sorted(i for i in noted["payments"] if i is not None)
    if payments:
        donations.update(session.execute(
            db.select(Payment.donation_id).where(Payment.id.in_(payments))).scalars())
    if donations:
        refresh(donations, session)
