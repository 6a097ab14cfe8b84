"""`flask fund ledger check`: the ledger agrees with itself and with the payments table.

`run()` returns a Report whose `problems` list each disagreement in words an
accountant can act on (empty when everything agrees). It reads, never writes:

- every entry balances (its debits equal its credits and its amount), with two
  lines or more;
- every account's kept balance, day totals and month totals equal its lines;
- the money held (assets) equals the sum of the funds;
- no fund that forbids it is below zero;
- per gift: what the payments table says was paid, refunded (refunds that
  succeeded) and taken back by a chargeback (withdrawn and not won) equals
  the gift, refund and dispute entries booked for it, net of their reversals;
  a gift's known card fee equals its fee entry;
- the Stripe balance in the ledger equals Stripe's gifts minus their refunds,
  chargebacks, fees and dispute fees, minus the payouts; each payout entry
  has its Stripe payout row with the same amount and each paid payout is booked.

The lines are summed once per account in SQL; the per-gift comparison reads
one row per gift, refund and dispute (a few seconds for a million gifts).
"""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func

from fund.core.extensions import db
from fund.core.money import format_yen
from fund.ledger.models import (Account, AccountKind, Category, DayTotal, Entry, Line,
                                MonthTotal, Side)

SHOW_AT_MOST = 200  # per kind of problem; the count says how many there were


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str


@dataclass
class Report:
    problems: list = field(default_factory=list)
    entries: int = 0
    gifts: int = 0
    accounts: int = 0
    _counts: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def ok(self):
        return not self.problems

    def add(self, kind, message):
        self._counts[kind] += 1
        if self._counts[kind] <= SHOW_AT_MOST:
            self.problems.append(Problem(kind, message))
        elif self._counts[kind] == SHOW_AT_MOST + 1:
            self.problems.append(Problem(kind, f"… more problems of the kind “{kind}” not listed."))

    def kinds(self):
        return {problem.kind for problem in self.problems}


def _debit(column):
    return func.coalesce(func.sum(case((Line.side == Side.DEBIT.value, column), else_=0)), 0)


def _credit(column):
    return func.coalesce(func.sum(case((Line.side == Side.CREDIT.value, column), else_=0)), 0)


def _entries(report):
    report.entries = db.session.execute(db.select(func.count()).select_from(Entry)).scalar_one()
    rows = db.session.execute(
        db.select(Entry.id, Entry.key, Entry.amount, func.count(Line.id), _debit(Line.amount),
                  _credit(Line.amount))
        .outerjoin(Line, Line.entry_id == Entry.id).group_by(Entry.id, Entry.key, Entry.amount)
        .having((_debit(Line.amount) != _credit(Line.amount)) | (func.count(Line.id) < 2)
                | (_debit(Line.amount) != Entry.amount))).all()
    for entry_id, key, amount, count, debit, credit in rows:
        report.add("unbalanced", f"Entry {entry_id} ({key}): {count} line(s), debits "
                   f"{format_yen(int(debit))}, credits {format_yen(int(credit))}, amount "
                   f"{format_yen(int(amount))}; every entry needs two lines or more whose "
                   "debits equal its credits and its amount.")
    orphans = db.session.execute(
        db.select(func.count()).select_from(Line).outerjoin(Entry, Entry.id == Line.entry_id)
        .where(Entry.id.is_(None))).scalar_one()
    if orphans:
        report.add("unbalanced", f"{orphans} line(s) belong to no entry.")


def _accounts(report):
    accounts = db.session.execute(db.select(Account)).scalars().all()
    report.accounts = len(accounts)
    sums = {row[0]: (int(row[1]), int(row[2])) for row in db.session.execute(
        db.select(Line.account_id, _debit(Line.amount), _credit(Line.amount))
        .group_by(Line.account_id))}
    days = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.session.execute(
        db.select(DayTotal.account_id, func.sum(DayTotal.debit), func.sum(DayTotal.credit))
        .group_by(DayTotal.account_id))}
    months = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.session.execute(
        db.select(MonthTotal.account_id, func.sum(MonthTotal.debit), func.sum(MonthTotal.credit))
        .group_by(MonthTotal.account_id))}
    held = funds = 0
    balances = {}
    for account in accounts:
        debit, credit = sums.get(account.id, (0, 0))
        balance = debit - credit if account.kind == AccountKind.ASSET else credit - debit
        balances[account.code] = balance
        if account.kind == AccountKind.ASSET:
            held += balance
        else:
            funds += balance
        if account.balance != balance:
            report.add("kept_balance", f"{account.code}: the kept balance is "
                       f"{format_yen(account.balance)} but its lines add up to "
                       f"{format_yen(balance)}.")
        for name, kept in (("day", days), ("month", months)):
            if kept.get(account.id, (0, 0)) != (debit, credit):
                kept_debit, kept_credit = kept.get(account.id, (0, 0))
                report.add("kept_totals", f"{account.code}: the {name} totals say debits "
                           f"{format_yen(kept_debit)} and credits {format_yen(kept_credit)}, its "
                           f"lines {format_yen(debit)} and {format_yen(credit)}.")
        if account.kind == AccountKind.FUND and not account.allow_negative and balance < 0:
            report.add("fund_below_zero", f"{account.code} is below zero: "
                       f"{format_yen(balance)}. Cover it from another fund.")
    if held != funds:
        report.add("held_vs_funds", f"The money held ({format_yen(held)}) is not the sum of the "
                   f"funds ({format_yen(funds)}).")
    return balances


def _booked_by_source():
    """{(source_type, source_id, category): net amount} of the payments' entries, reversals
    subtracted from what they reverse."""
    rows = db.session.execute(
        db.select(Entry.id, Entry.category, Entry.source_type, Entry.source_id, Entry.amount,
                  Entry.reverses_id)
        .where(Entry.source_type.in_(("payment", "refund", "dispute")))).all()
    category_of = {row[0]: row[1] for row in rows}
    booked = defaultdict(int)
    for entry_id, category, source_type, source_id, amount, reverses_id in rows:
        if reverses_id is not None:
            original = category_of.get(reverses_id)
            if original is None:
                original = db.session.execute(
                    db.select(Entry.category).where(Entry.id == reverses_id)).scalar_one()
            booked[(source_type, source_id, original)] -= int(amount)
        else:
            booked[(source_type, source_id, category)] += int(amount)
    return booked


def _gifts(report, booked):
    from fund.ledger.bookings import withdrawn
    from fund.payments.models import Dispute, DisputeState, Payment, PaymentState, Refund, \
        RefundState

    payments = db.session.execute(
        db.select(Payment.id, Payment.donation_id, Payment.state, Payment.amount, Payment.fee,
                  Payment.provider)).all()
    report.gifts = sum(1 for row in payments if row.state == PaymentState.SUCCEEDED)
    refunded = defaultdict(int)
    refund_of = {}
    for refund_id, payment_id, state, amount in db.session.execute(
            db.select(Refund.id, Refund.payment_id, Refund.state, Refund.amount)):
        refund_of[refund_id] = payment_id
        if state == RefundState.SUCCEEDED:
            refunded[payment_id] += int(amount)
    disputed = defaultdict(int)
    dispute_of = {}
    for dispute in db.session.execute(db.select(Dispute)).scalars():
        dispute_of[dispute.id] = dispute.payment_id
        if withdrawn(dispute) and dispute.state != DisputeState.WON:
            disputed[dispute.payment_id] += int(dispute.amount)
    ledger_refunded, ledger_disputed = defaultdict(int), defaultdict(int)
    for (source_type, source_id, category), amount in booked.items():
        if source_type == "refund" and category == Category.REFUND:
            ledger_refunded[refund_of.get(source_id, ("refund", source_id))] += amount
        elif source_type == "dispute" and category == Category.DISPUTE:
            ledger_disputed[dispute_of.get(source_id, ("dispute", source_id))] += amount
    known = set()
    stripe = {"gifts": 0, "refunds": 0, "disputes": 0, "fees": 0}
    for row in payments:
        known.add(row.id)
        paid = int(row.amount) if row.state == PaymentState.SUCCEEDED else 0
        gift = booked.get(("payment", row.id, Category.GIFT), 0)
        expected = (paid, refunded[row.id], disputed[row.id])
        ledger = (gift, ledger_refunded[row.id], ledger_disputed[row.id])
        if expected != ledger:
            report.add("gift", f"Donation #{row.donation_id} (payment {row.id}): the payments "
                       f"table says paid {format_yen(expected[0])}, refunded "
                       f"{format_yen(expected[1])}, taken back by chargeback "
                       f"{format_yen(expected[2])} (net {format_yen(paid - expected[1] - expected[2])}); "
                       f"the ledger books {format_yen(ledger[0])}, {format_yen(ledger[1])}, "
                       f"{format_yen(ledger[2])} (net {format_yen(gift - ledger[1] - ledger[2])}).")
        fee = booked.get(("payment", row.id, Category.FEE), 0)
        if row.state == PaymentState.SUCCEEDED and row.fee and fee != int(row.fee):
            report.add("fee", f"Donation #{row.donation_id} (payment {row.id}): the card fee "
                       f"is {format_yen(int(row.fee))}, the ledger books {format_yen(fee)}.")
        if row.provider == "stripe":
            # what the payments table says went through Stripe's balance
            stripe["gifts"] += paid
            stripe["refunds"] += refunded[row.id]
            stripe["disputes"] += disputed[row.id]
            stripe["fees"] += int(row.fee) if row.fee and row.state == PaymentState.SUCCEEDED \
                else fee
    for key in list(ledger_refunded) + list(ledger_disputed):
        if key not in known:
            report.add("gift", f"An entry is booked for {key[0]} {key[1]}, which is not in the "
                       "payments table.")
    for (source_type, source_id, category), amount in booked.items():
        if source_type == "payment" and source_id not in known and amount:
            report.add("gift", f"An entry ({category}) is booked for payment {source_id}, which "
                       "is not in the payments table.")
    stripe["dispute_fees"] = sum(amount for (source_type, _, category), amount in booked.items()
                                 if source_type == "dispute" and category == Category.DISPUTE_FEE)
    return stripe


def _payouts(report):
    """The payouts booked, checked against the Stripe payout rows; their net sum."""
    from fund.accounting.models import StripePayout

    rows = {row.stripe_payout_id: row for row in db.session.execute(
        db.select(StripePayout)).scalars()}
    entries = db.session.execute(
        db.select(Entry).where(Entry.category == Category.PAYOUT)).scalars().all()
    reversed_ids = {entry.reverses_id for entry in db.session.execute(
        db.select(Entry).where(Entry.reverses_id.in_([e.id for e in entries]))).scalars()} \
        if entries else set()
    total = 0
    booked = set()
    stripe_account = db.session.execute(
        db.select(Account.id).filter_by(code="stripe")).scalar_one_or_none()
    for entry in entries:
        if entry.id in reversed_ids:
            continue
        payout_id = entry.key.removeprefix("payout:")
        booked.add(payout_id)
        signed = sum(line.amount if line.side == Side.CREDIT else -line.amount
                     for line in entry.lines if line.account_id == stripe_account)
        total += signed
        row = rows.get(payout_id)
        if row is None:
            report.add("payout", f"Payout {payout_id} is booked ({format_yen(signed)}) but no "
                       "Stripe payout of that id is recorded.")
        elif int(row.amount) != signed:
            report.add("payout", f"Payout {payout_id} is {format_yen(int(row.amount))} at "
                       f"Stripe; the ledger moved {format_yen(signed)} from the Stripe balance.")
    for payout_id, row in rows.items():
        if row.stripe_status == "paid" and payout_id not in booked:
            report.add("payout", f"Payout {payout_id} ({format_yen(int(row.amount))}) is paid "
                       "at Stripe but not booked.")
    return total


def run():
    """Check the whole ledger; a Report (read only)."""
    report = Report()
    _entries(report)
    balances = _accounts(report)
    stripe = _gifts(report, _booked_by_source())
    payouts = _payouts(report)
    expected = (stripe["gifts"] - stripe["refunds"] - stripe["disputes"] - stripe["fees"]
                - stripe["dispute_fees"] - payouts)
    actual = balances.get("stripe", 0)
    if expected != actual:
        report.add("stripe_balance", (
            f"The Stripe balance in the ledger is {format_yen(actual)}; gifts "
            f"{format_yen(stripe['gifts'])} − refunds {format_yen(stripe['refunds'])} − "
            f"chargebacks {format_yen(stripe['disputes'])} − fees {format_yen(stripe['fees'])} − "
            f"dispute fees {format_yen(stripe['dispute_fees'])} − payouts {format_yen(payouts)} "
            f"= {format_yen(expected)}."))
    db.session.rollback()
    return report
