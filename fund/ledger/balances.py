"""Balances at a date, read from the kept month and day totals (never from every line).

A balance at day D is the sum of the month totals before D's month plus the
day totals of D's month up to D: a few rows per account whatever the number
of entries. Dates are the Japan-time effective dates of the entries.
"""
from datetime import date, timedelta

from sqlalchemy import func, union_all

from fund.core.extensions import db
from fund.ledger.models import Account, AccountKind, DayTotal, MonthTotal


def movements_until(day, account_ids=None):
    """{account_id: (debits, credits)} of everything effective on or before `day`."""
    month = day.replace(day=1)
    months = db.select(MonthTotal.account_id.label("account_id"), MonthTotal.debit.label("debit"),
                       MonthTotal.credit.label("credit")).where(MonthTotal.month < month)
    days = db.select(DayTotal.account_id.label("account_id"), DayTotal.debit.label("debit"),
                     DayTotal.credit.label("credit")).where(DayTotal.day >= month,
                                                            DayTotal.day <= day)
    if account_ids is not None:
        months = months.where(MonthTotal.account_id.in_(account_ids))
        days = days.where(DayTotal.account_id.in_(account_ids))
    both = union_all(months, days).subquery()
    rows = db.session.execute(
        db.select(both.c.account_id, func.sum(both.c.debit), func.sum(both.c.credit))
        .group_by(both.c.account_id)).all()
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}


def signed(kind, debit, credit):
    """A balance on the account's normal side (assets: debit - credit, funds: credit - debit)."""
    return debit - credit if kind == AccountKind.ASSET else credit - debit


def balances_at(day):
    """{account code: balance} of every account at the end of `day` (Japan time)."""
    kinds = dict(db.session.execute(db.select(Account.id, Account.kind)).all())
    codes = dict(db.session.execute(db.select(Account.id, Account.code)).all())
    moved = movements_until(day)
    return {codes[account_id]: signed(kinds[account_id], *moved.get(account_id, (0, 0)))
            for account_id in codes}


def balance_at(account, day):
    """One account's balance at the end of `day`."""
    moved = movements_until(day, [account.id]).get(account.id, (0, 0))
    return signed(account.kind, *moved)


def opening(account, day):
    """The balance at the start of `day` (the end of the day before)."""
    return balance_at(account, day - timedelta(days=1))


def fiscal_year_of(day):
    """The fiscal year (April–March) a Japan-time date belongs to: FY2026 starts 2026-04-01."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year(year):
    """(first day, last day) of fiscal year `year`."""
    return date(year, 4, 1), date(year + 1, 3, 31)


