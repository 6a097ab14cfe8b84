"""Where the money went: a campaign's or project's fund, month by month, from the ledger.

Received (gifts), given back (refunds, chargebacks), card fees, allocated in
and out, spent and on what (the office's memo of each spend), and the balance
at each month's end. Read from the ledger's kept day totals (a few rows per
day, whatever the number of gifts) and, for spends only, their entries; no
donor's name or gift memo is ever read. (The ledger helper's statement
service can replace the query here once it exists: the page only needs
`Month` and `Spend`.)
"""
from dataclasses import dataclass, field

from fund.core.extensions import db
from fund.ledger.models import Account, Category, DayTotal, Entry, Line

# Which column of the statement each category counts in.
COLUMNS = {
    Category.GIFT: "received",
    Category.REFUND: "returned", Category.DISPUTE: "returned",
    Category.FEE: "fees", Category.DISPUTE_FEE: "fees",
    Category.ALLOCATION: "allocated", Category.CAMPAIGN_CLOSE: "allocated",
    Category.SPEND: "spent",
}


@dataclass
class Month:
    month: object  # the first day of the month
    received: int = 0
    returned: int = 0
    fees: int = 0
    allocated: int = 0  # into this fund (+) or out of it to a project (-)
    spent: int = 0
    other: int = 0  # reversals and adjustments the office made
    balance: int = 0  # at the end of the month

    @property
    def change(self):
        return self.received + self.returned + self.fees + self.allocated + self.spent + self.other


@dataclass(frozen=True)
class Spend:
    day: object
    memo: str
    amount: int


@dataclass
class Trail:
    months: list = field(default_factory=list)
    spends: list = field(default_factory=list)

    @property
    def balance(self):
        return self.months[-1].balance if self.months else 0

    def total(self, column):
        return sum(getattr(month, column) for month in self.months)


def _account(owner):
    column = Account.campaign_id if owner.__tablename__ == "campaign" else Account.project_id
    return db.session.execute(db.select(Account).where(column == owner.id)).scalar_one_or_none()


def for_destination(owner):
    """The trail of a Campaign's or Project's fund account (empty before its first gift)."""
    account = _account(owner)
    if account is None:
        return Trail()
    months = {}
    rows = db.session.execute(
        db.select(DayTotal.day, DayTotal.category, DayTotal.debit, DayTotal.credit)
        .where(DayTotal.account_id == account.id).order_by(DayTotal.day)).all()
    for day, category, debit, credit in rows:
        month = months.setdefault(day.replace(day=1), Month(day.replace(day=1)))
        column = COLUMNS.get(category, "other")
        # A fund's balance is credits - debits: money in is positive.
        setattr(month, column, getattr(month, column) + int(credit) - int(debit))
    balance = 0
    ordered = [months[key] for key in sorted(months)]
    for month in ordered:
        balance += month.change
        month.balance = balance
    spends = db.session.execute(
        db.select(Line.effective_date, Entry.memo, Line.amount)
        .join(Entry, Entry.id == Line.entry_id)
        .where(Line.account_id == account.id, Entry.category == Category.SPEND,
               Line.side == "debit")
        .order_by(Line.effective_date, Entry.id)).all()
    return Trail(months=ordered, spends=[Spend(day=row[0], memo=row[1], amount=int(row[2]))
                                         for row in spends])
