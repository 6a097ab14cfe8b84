"""post(): the one way anything is booked.

    from fund.ledger import accounts
    from fund.ledger.posting import Dr, Cr, post

    post(key=f"gift:{payment.id}", category=Category.GIFT,
         lines=[Dr(accounts.stripe(), 5000), Cr(accounts.for_donation(donation), 5000)],
         effective_date=jst_date(payment.succeeded_at), actor=actor, source=payment,
         memo="…")

`post` runs inside the caller's transaction and never commits, so a signal
receiver, or a service that books and changes its own rows, commits both or
neither. It checks, before writing anything:
- every amount is a positive whole number of yen and the debits equal the credits;
- an entry with the same `key` was not booked already (then it returns that
  entry and books nothing: replays of webhooks, syncs and imports are harmless;
  the same key with different lines is refused, it means two bookers disagree);
- no account that forbids it goes below zero. The account rows are locked
  (SELECT … FOR UPDATE on PostgreSQL, in id order), so concurrent postings on
  one fund wait for each other and the second sees the first's balance.
  `allow_overdraft=True` is only for facts that already happened outside
  (Stripe took the money back): they are booked even if a fund goes below
  zero, and `flask fund ledger check` then reports that fund until the office
  covers it.
It then adds the entry and its lines and keeps the account's balance and its
day and month totals.
"""
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from fund.core import clock
from fund.core.errors import Conflict, FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.money import format_yen
from fund.ledger import accounts as ledger_accounts
from fund.ledger.models import (CATEGORIES, Account, Category, DayTotal, Entry, Line, MonthTotal,
                                Side)

log = logging.getLogger(__name__)

MAX_KEY = 200
MAX_MEMO = 500


class LedgerError(FundError):
    code = "ledger_error"


class Unbalanced(LedgerError, ValidationFailed):
    code = "unbalanced"


class Overdraft(LedgerError, Conflict):
    """An account that may not go below zero would."""

    code = "overdraft"

    def __init__(self, message, *, account, balance, needed):
        super().__init__(message, errors={"amount": message})
        self.account, self.balance, self.needed = account, balance, needed


class KeyReused(LedgerError, Conflict):
    code = "key_reused"


@dataclass(frozen=True)
class Posting:
    """One line to book: `account` is an Account or an account code."""

    account: object
    side: Side
    amount: int


def Dr(account, amount):  # noqa: N802  (read like the accountant's Dr./Cr.)
    return Posting(account, Side.DEBIT, amount)


def Cr(account, amount):  # noqa: N802
    return Posting(account, Side.CREDIT, amount)


def _validate(key, category, lines, memo, effective_date, currency):
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise Unbalanced(f"An entry needs an idempotency key of 1 to {MAX_KEY} characters.")
    if category not in CATEGORIES:
        raise Unbalanced(f"“{category}” is not a ledger category ({', '.join(CATEGORIES)}).")
    if currency != "JPY":
        raise Unbalanced(f"The ledger books yen only, not {currency}.")
    if not isinstance(effective_date, date) or hasattr(effective_date, "hour"):
        raise Unbalanced("An entry's effective date must be a date (Japan time), not a time.")
    if len(memo or "") > MAX_MEMO:
        raise Unbalanced(f"A memo has at most {MAX_MEMO} characters.")
    if len(lines) < 2:
        raise Unbalanced("An entry needs at least one debit and one credit.")
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or line.amount <= 0:
            raise Unbalanced(f"Every line needs a positive amount of whole yen, not {line.amount!r}.")
    debits = sum(line.amount for line in lines if line.side == Side.DEBIT)
    credits = sum(line.amount for line in lines if line.side == Side.CREDIT)
    if debits != credits or not debits:
        raise Unbalanced(f"Debits ({format_yen(debits)}) and credits ({format_yen(credits)}) "
                         "of an entry must be equal.")
    return debits


def _existing(key):
    return db.session.execute(db.select(Entry).filter_by(key=key)).scalar_one_or_none()


def _same(entry, resolved):
    booked = sorted((line.account_id, line.side, line.amount) for line in entry.lines)
    asked = sorted((account.id, line.side, line.amount) for account, line in resolved)
    return booked == asked


def _replay(entry, resolved, key):
    if not _same(entry, resolved):
        raise KeyReused(f"The entry “{key}” is already booked with other lines; nothing was "
                        "booked again. Two bookings disagree about the same event.")
    return entry


def _held():
    """The ids of the account rows this session's current transaction has locked."""
    # A savepoint rolled back releases the row locks taken inside it: count per savepoint.
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    held = db.session.info.get("ledger_locks")
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        db.session.info["ledger_locks"] = held
    return held[1]


def lock_accounts(account_ids):
    """Lock account rows in id order and return them fresh, by id.

    Idempotent within a transaction: rows it already locked are not asked
    for again. A row lock taken later than one of a higher id can deadlock
    against a transaction locking in id order, so a booking that will touch
    several accounts over several postings (a gift, then its fee) locks
    their union once, up front (`bookings.lock_for_payment`); the postings'
    own calls then find every row held and wait for nothing.
    """
    wanted = sorted(set(account_ids))
    held = _held()
    new = [account_id for account_id in wanted if account_id not in held]
    if not new:  # every row is ours until commit: the session's copies are current
        return {account_id: db.session.get(Account, account_id) for account_id in wanted}
    if new and held and new[0] < max(held):
        log.warning("ledger: account %s locked after %s in one transaction (lock the union "
                    "up front)", new[0], max(held))
    rows = db.session.execute(
        db.select(Account).where(Account.id.in_(wanted))
        .order_by(Account.id).with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    held.update(row.id for row in rows)
    return {row.id: row for row in rows}


def _overdraft_message(account, balance, needed):
    return (f"{account.title('en')} ({account.code}) holds {format_yen(balance)}; "
            f"{format_yen(needed)} would take it below zero. Nothing was booked.")


def post(*, key, category, lines, actor, effective_date=None, memo="", source=None,
         source_type=None, source_id=None, reverses=None, fixed_asset=False,
         allow_overdraft=False, currency="JPY"):
    """Book an entry (see the module text); returns the Entry. Never commits."""
    effective_date = effective_date or clock.today_jst()
    amount = _validate(key, category, lines, memo, effective_date, currency)
    existing = _existing(key)
    resolved = [(ledger_accounts.get(line.account), line) for line in lines]
    if existing is not None:
        return _replay(existing, resolved, key)
    if len({account.id for account, _ in resolved}) < 2:
        raise Unbalanced("An entry cannot debit and credit only the same account.")
    locked = lock_accounts(account.id for account, _ in resolved)
    existing = _existing(key)  # booked by whoever held the lock before us
    if existing is not None:
        return _replay(existing, resolved, key)
    change = {}
    for account, line in resolved:
        debit = line.amount if line.side == Side.DEBIT else -line.amount
        change[account.id] = change.get(account.id, 0) + debit * locked[account.id].sign
    if not allow_overdraft:
        for account_id, delta in change.items():
            account = locked[account_id]
            if delta < 0 and not account.allow_negative and account.balance + delta < 0:
                raise Overdraft(_overdraft_message(account, account.balance, -delta),
                                account=account, balance=account.balance, needed=-delta)
    if source is not None:
        source_type, source_id = type(source).__tablename__, source.id
    entry = Entry(key=key, category=str(category), memo=memo or "", effective_date=effective_date,
                  posted_at=clock.now(), actor=str(actor)[:100], source_type=source_type,
                  source_id=source_id, reverses_id=reverses.id if reverses is not None else None,
                  fixed_asset=bool(fixed_asset), amount=amount)
    db.session.add(entry)
    db.session.flush()
    for account, line in resolved:
        db.session.add(Line(entry_id=entry.id, account_id=account.id, side=str(line.side),
                            amount=line.amount, effective_date=effective_date))
    for account_id, delta in change.items():
        locked[account_id].balance += delta
    _keep_totals(resolved, effective_date, str(category))
    db.session.flush()
    return entry


def _insert():
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert)


def _keep_totals(resolved, day, category):
    """Add the lines to the day and month totals (the account locks order concurrent adders)."""
    per_account = {}
    for account, line in resolved:
        debit, credit, count = per_account.get(account.id, (0, 0, 0))
        if line.side == Side.DEBIT:
            debit += line.amount
        else:
            credit += line.amount
        per_account[account.id] = (debit, credit, count + 1)
    insert = _insert()
    month = day.replace(day=1)
    for account_id, (debit, credit, count) in per_account.items():
        statement = insert(DayTotal).values(account_id=account_id, day=day, category=category,
                                            debit=debit, credit=credit, lines=count)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["account_id", "day", "category"],
            set_={"debit": DayTotal.debit + debit, "credit": DayTotal.credit + credit,
                  "lines": DayTotal.lines + count}))
        statement = insert(MonthTotal).values(account_id=account_id, month=month,
                                              debit=debit, credit=credit)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["account_id", "month"],
            set_={"debit": MonthTotal.debit + debit, "credit": MonthTotal.credit + credit}))


def reversal_lines(entry):
    """The lines that undo `entry`: each debit becomes a credit and back."""
    flip = {Side.DEBIT: Side.CREDIT, Side.CREDIT: Side.DEBIT}
    return [Posting(line.account, flip[Side(line.side)], line.amount) for line in entry.lines]


def post_reversal(entry, *, key, actor, memo="", effective_date=None, allow_overdraft=False):
    """Book the reversal of `entry` (no commit); refused for a reversal or a reversed entry.

    The reversal keeps the original's source, so both show on the source's
    statement lines, and points at the original (`reverses_id`, unique: an
    entry is reversed at most once).
    """
    if entry.is_reversal:
        raise LedgerError("This entry is itself a reversal; a reversal cannot be reversed. "
                          "Book the correction again instead.", code="reversal_of_reversal")
    done = db.session.execute(db.select(Entry).filter_by(reverses_id=entry.id)).scalar_one_or_none()
    if done is not None:
        if done.key == key:
            return done
        raise LedgerError(f"This entry was already reversed by entry {done.id}.",
                          code="already_reversed")
    return post(key=key, category=Category.REVERSAL, lines=reversal_lines(entry), actor=actor,
                effective_date=effective_date, memo=memo or f"Reversal of entry {entry.id}",
                source_type=entry.source_type, source_id=entry.source_id, reverses=entry,
                fixed_asset=entry.fixed_asset, allow_overdraft=allow_overdraft)
