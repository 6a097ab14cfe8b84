"""The fund's double-entry ledger: accounts, entries and their lines, kept totals.

Two kinds of account and nothing else, so the books can be checked with one
sum: the money held (assets: `stripe`, `bank:<name>`, `cash`) always equals the
money owed to purposes (funds: `fund:general`, `fund:campaign:<slug>`,
`fund:project:<slug>`). A fee, a refund or a lost dispute therefore reduces a
fund; what it was shows in the entry's category, not in an expense account.

Entries and lines are append-only (PostgreSQL triggers refuse UPDATE and
DELETE, and an entry whose lines do not balance, at commit). Balances are kept
as entries post: `Account.balance` now, `DayTotal`/`MonthTotal` for any date.
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow


def _values(enum):
    return tuple(member.value for member in enum)


class AccountKind(StrEnum):
    ASSET = "asset"  # money held: its balance is debits - credits
    FUND = "fund"    # money held for a purpose: its balance is credits - debits


class Account(db.Model):
    """One place a yen can be. `code` is the stable name postings use.

    `balance` is on the account's normal side (assets: debit - credit, funds:
    credit - debit), kept by fund.ledger.posting.post under a row lock.
    """

    __tablename__ = "ledger_account"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(100), nullable=False, unique=True)
    kind = db.Column(db.String(8), nullable=False)
    # Funds never go below zero through our own decisions; Stripe's balance may.
    allow_negative = db.Column(db.Boolean, nullable=False, default=False)
    # Bank and cash accounts: how the office knows it ("三菱UFJ銀行 千葉支店 普通 1234567").
    name = db.Column(db.String(200), nullable=False, default="")
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), unique=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), unique=True)
    balance = db.Column(db.BigInteger, nullable=False, default=0)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    campaign = db.relationship("Campaign")
    project = db.relationship("Project")

    __table_args__ = (db.CheckConstraint(f"kind IN {_values(AccountKind)}", name="kind"),)

    @property
    def is_fund(self):
        return self.kind == AccountKind.FUND

    @property
    def sign(self):
        """+1 for a debit on this account's normal side, -1 otherwise."""
        return 1 if self.kind == AccountKind.ASSET else -1

    def title(self, lang="ja"):
        """What a person reads: the project's or campaign's title, else the code."""
        if self.project is not None:
            return self.project.title(lang)
        if self.campaign is not None:
            return self.campaign.title(lang)
        return self.name or self.code

    def __repr__(self):
        return f"<Account {self.code} {self.balance}>"


class Category(StrEnum):
    """What an entry is, for statements and the journal export."""

    GIFT = "gift"
    FEE = "fee"
    REFUND = "refund"
    DISPUTE = "dispute"
    DISPUTE_FEE = "dispute_fee"
    PAYOUT = "payout"
    ALLOCATION = "allocation"
    CAMPAIGN_CLOSE = "campaign_close"
    SPEND = "spend"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


CATEGORIES = _values(Category)


class Entry(db.Model):
    """One booked event (a transaction group): two or more lines that balance.

    `key` makes posting idempotent (`gift:<payment id>`, `refund:<refund id>`…);
    `source_type`/`source_id` name the row that caused it (a reversal keeps
    its original's source and points at it with `reverses_id`).
    """

    __tablename__ = "ledger_entry"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(200), nullable=False, unique=True)
    category = db.Column(db.String(20), nullable=False)
    memo = db.Column(db.String(500), nullable=False, default="")
    # The Japan-time date the money moved (date received for gifts).
    effective_date = db.Column(db.Date, nullable=False, index=True)
    posted_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    actor = db.Column(db.String(100), nullable=False)
    source_type = db.Column(db.String(32))
    source_id = db.Column(db.Integer)
    reverses_id = db.Column(db.Integer, db.ForeignKey("ledger_entry.id"), unique=True)
    fixed_asset = db.Column(db.Boolean, nullable=False, default=False)
    amount = db.Column(db.BigInteger, nullable=False)  # the sum of the debits

    lines = db.relationship("Line", back_populates="entry", order_by="Line.id")
    reverses = db.relationship("Entry", remote_side=[id], foreign_keys=[reverses_id],
                               back_populates="reversed_by")
    reversed_by = db.relationship("Entry", foreign_keys=[reverses_id], back_populates="reverses",
                                  uselist=False)

    __table_args__ = (
        db.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.Index("ix_ledger_entry_source", "source_type", "source_id"),
    )

    @property
    def is_reversal(self):
        return self.reverses_id is not None

    def __repr__(self):
        return f"<Entry {self.id} {self.key} {self.amount}>"


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class Line(db.Model):
    """One side of an entry on one account (a positive amount of yen)."""

    __tablename__ = "ledger_line"

    id = db.Column(db.Integer, primary_key=True)
    entry_id = db.Column(db.Integer, db.ForeignKey("ledger_entry.id"), nullable=False, index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), nullable=False)
    side = db.Column(db.String(6), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    # The entry's date, kept here too so a statement pages through one index.
    effective_date = db.Column(db.Date, nullable=False)

    entry = db.relationship("Entry", back_populates="lines")
    account = db.relationship("Account")

    __table_args__ = (
        db.CheckConstraint(f"side IN {_values(Side)}", name="side"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.Index("ix_ledger_line_statement", "account_id", "effective_date", "entry_id"),
    )

    @property
    def signed(self):
        """The line's effect on its account's balance (normal side positive)."""
        debit = self.amount if self.side == Side.DEBIT else -self.amount
        return debit * self.account.sign

    def __repr__(self):
        return f"<Line {self.side} {self.amount} on {self.account_id}>"


class DayTotal(db.Model):
    """Debits and credits per account, Japan-time day and category (kept by post)."""

    __tablename__ = "ledger_day_total"

    account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), primary_key=True)
    day = db.Column(db.Date, primary_key=True)
    category = db.Column(db.String(20), primary_key=True)
    debit = db.Column(db.BigInteger, nullable=False, default=0)
    credit = db.Column(db.BigInteger, nullable=False, default=0)
    lines = db.Column(db.Integer, nullable=False, default=0)

    # Balances of every account at a date read one month's days of all accounts.
    __table_args__ = (db.Index("ix_ledger_day_total_day", "day"),)


class MonthTotal(db.Model):
    """Debits and credits per account and month (`month` is its first day)."""

    __tablename__ = "ledger_month_total"

    account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), primary_key=True)
    month = db.Column(db.Date, primary_key=True)
    debit = db.Column(db.BigInteger, nullable=False, default=0)
    credit = db.Column(db.BigInteger, nullable=False, default=0)


class RequestState(StrEnum):
    """An allocation or a spend: booked at once (at most LEDGER_APPROVAL_THRESHOLD), or
    requested (pending) and then approved (booked) or rejected by another admin."""

    PENDING = "pending"
    BOOKED = "booked"
    REJECTED = "rejected"


class _Requested:
    """Who asked for a money movement, who decided, and the entry it booked."""

    amount = db.Column(db.BigInteger, nullable=False)
    memo = db.Column(db.String(500), nullable=False, default="")
    state = db.Column(db.String(10), nullable=False, default=RequestState.PENDING.value)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"), nullable=False)
    requested_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    decided_at = db.Column(TZDateTime)
    decision_note = db.Column(db.String(500), nullable=False, default="")

    @property
    def is_pending(self):
        return self.state == RequestState.PENDING


class Allocation(_Requested, db.Model):
    """Money moved from the general fund or a campaign's pool to a project's fund
    (fund.ledger.allocations; key `alloc:<id>`)."""

    __tablename__ = "ledger_allocation"

    id = db.Column(db.Integer, primary_key=True)
    from_account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), nullable=False)
    to_account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    entry_id = db.Column(db.Integer, db.ForeignKey("ledger_entry.id"), unique=True)

    from_account = db.relationship("Account", foreign_keys=[from_account_id])
    to_account = db.relationship("Account", foreign_keys=[to_account_id])
    project = db.relationship("Project")
    entry = db.relationship("Entry", foreign_keys=[entry_id])
    requested_by = db.relationship("StaffUser", foreign_keys="Allocation.requested_by_id")
    decided_by = db.relationship("StaffUser", foreign_keys="Allocation.decided_by_id")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {_values(RequestState)}", name="state"),
        db.CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
        db.Index("ix_ledger_allocation_state", "state"),
    )


class Spend(_Requested, db.Model):
    """Money a project spent: a vendor's invoice paid from the bank (fund.ledger.spends;
    key `spend:<id>`). The invoice PDF, when attached, is kept here (at most
    SPEND_ATTACHMENT_MAX bytes)."""

    __tablename__ = "ledger_spend"

    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    fund_account_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), nullable=False)
    paid_from_id = db.Column(db.Integer, db.ForeignKey("ledger_account.id"), nullable=False)
    vendor = db.Column(db.String(200), nullable=False)
    invoice_number = db.Column(db.String(100), nullable=False)
    spent_on = db.Column(db.Date, nullable=False)
    fixed_asset = db.Column(db.Boolean, nullable=False, default=False)
    attachment_name = db.Column(db.String(200))
    attachment_size = db.Column(db.Integer)
    attachment = db.deferred(db.Column(db.LargeBinary))
    entry_id = db.Column(db.Integer, db.ForeignKey("ledger_entry.id"), unique=True)

    project = db.relationship("Project")
    fund_account = db.relationship("Account", foreign_keys=[fund_account_id])
    paid_from = db.relationship("Account", foreign_keys=[paid_from_id])
    entry = db.relationship("Entry", foreign_keys=[entry_id])
    requested_by = db.relationship("StaffUser", foreign_keys="Spend.requested_by_id")
    decided_by = db.relationship("StaffUser", foreign_keys="Spend.decided_by_id")

    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(f"state IN {_values(RequestState)}", name="state"),
        db.Index("ix_ledger_spend_state", "state"),
    )
