"""A fund's statement for a period: received, allocated in, spent, balance, line by line.

    statement = statements.for_fund(account, start, end, limit=100, offset=0)
    statement.opening, statement.totals["received"], statement.closing, statement.lines

Opening and closing balances come from the kept month and day totals
(`balances`), the column totals from the day totals of the period (a few rows
per day, whatever the number of gifts), and only the lines shown are read one
by one (the `ix_ledger_line_statement` index, a page at a time). Each line
names what caused it: the gift (a Payment, card or offline), the refund, the
chargeback, the payout or the allocation/spend row (`source_type`/`source_id`
of its entry), with the donation it belongs to when there is one.

Amounts are on the fund's side: money in is positive, money out negative, so
opening + the sum of the columns = closing.
"""
from dataclasses import dataclass, field
from datetime import date

from fund.core.errors import NotFound
from fund.core.extensions import db
from fund.ledger import balances
from fund.ledger.models import Account, AccountKind, Category, DayTotal, Entry, Line, Side

# The statement's columns, in the order they are shown, and the categories each counts.
COLUMNS = (
    ("received", (Category.GIFT,)),
    ("returned", (Category.REFUND, Category.DISPUTE)),
    ("fees", (Category.FEE, Category.DISPUTE_FEE)),
    ("allocated", (Category.ALLOCATION, Category.CAMPAIGN_CLOSE)),
    ("spent", (Category.SPEND,)),
    ("paid_out", (Category.PAYOUT,)),
    ("reversed", (Category.REVERSAL,)),
    ("adjusted", (Category.ADJUSTMENT,)),
)
COLUMN_OF = {str(category): name for name, categories in COLUMNS for category in categories}
KINDS = ("project", "campaign", "general")


@dataclass(frozen=True)
class StatementLine:
    day: date
    entry_id: int
    key: str
    category: str
    memo: str
    amount: int  # on the account's side: + money in, - money out
    source_type: str | None
    source_id: int | None
    donation_id: int | None = None  # the gift the line belongs to, when there is one
    reverses_id: int | None = None
    balance: int | None = None  # the running balance after the line (within the page)

    @property
    def column(self):
        return COLUMN_OF.get(self.category, "adjusted")


@dataclass
class Statement:
    account: Account
    start: date
    end: date
    opening: int
    closing: int
    totals: dict = field(default_factory=dict)  # column name: signed sum
    # allocated in and out apart (a campaign pool gives, a project receives)
    allocated_in: int = 0
    allocated_out: int = 0
    lines: list = field(default_factory=list)
    line_count: int = 0
    offset: int = 0

    @property
    def change(self):
        return sum(self.totals.values())


def account_for(kind, slug):
    """The fund account of a project or campaign by slug, or the general fund.

    NotFound names what is missing; a project or campaign that never received
    anything has its account made here (inside the caller's transaction; the
    page rolls back, so a read leaves nothing behind).
    """
    from fund.campaigns.models import Campaign, Project
    from fund.ledger import accounts

    if kind == "general":
        return accounts.general()
    model = {"project": Project, "campaign": Campaign}.get(kind)
    if model is None:
        raise NotFound(f"There is no statement of “{kind}”: choose project, campaign or general.")
    owner = db.session.execute(db.select(model).filter_by(slug=slug)).scalar_one_or_none()
    if owner is None:
        raise NotFound(f"There is no {kind} “{slug}”.")
    column = Account.project_id if kind == "project" else Account.campaign_id
    account = db.session.execute(db.select(Account).where(column == owner.id)).scalar_one_or_none()
    if account is None:
        account = accounts.for_project(owner) if kind == "project" else accounts.for_campaign(owner)
    return account


def _signed(account, side, amount):
    debit = amount if side == Side.DEBIT else -amount
    return debit if account.kind == AccountKind.ASSET else -debit


def _totals(account, start, end):
    rows = db.session.execute(
        db.select(DayTotal.category, db.func.sum(DayTotal.debit), db.func.sum(DayTotal.credit),
                  db.func.sum(DayTotal.lines))
        .where(DayTotal.account_id == account.id, DayTotal.day >= start, DayTotal.day <= end)
        .group_by(DayTotal.category)).all()
    totals = {name: 0 for name, _ in COLUMNS}
    allocated_in = allocated_out = count = 0
    for category, debit, credit, lines in rows:
        debit, credit = int(debit or 0), int(credit or 0)
        count += int(lines or 0)
        column = COLUMN_OF.get(category, "adjusted")
        totals[column] += (debit - credit) if account.kind == AccountKind.ASSET else credit - debit
        if column == "allocated":
            allocated_in += debit if account.kind == AccountKind.ASSET else credit
            allocated_out += credit if account.kind == AccountKind.ASSET else debit
    return totals, allocated_in, allocated_out, count


def _donations(lines):
    """{(source_type, source_id): donation id} for the gifts, refunds and disputes on a page."""
    from fund.payments.models import Dispute, Payment, Refund

    found = {}
    wanted = {}
    for line in lines:
        if line.source_type in ("payment", "refund", "dispute") and line.source_id is not None:
            wanted.setdefault(line.source_type, set()).add(line.source_id)
    if wanted.get("payment"):
        found.update((("payment", pid), did) for pid, did in db.session.execute(
            db.select(Payment.id, Payment.donation_id).where(Payment.id.in_(wanted["payment"]))))
    for kind, model in (("refund", Refund), ("dispute", Dispute)):
        if wanted.get(kind):
            found.update(((kind, rid), did) for rid, did in db.session.execute(
                db.select(model.id, Payment.donation_id).join(Payment, Payment.id == model.payment_id)
                .where(model.id.in_(wanted[kind]))))
    return found


def lines_query(account, start, end):
    return (db.select(Line.effective_date, Line.entry_id, Line.side, Line.amount, Entry.key,
                      Entry.category, Entry.memo, Entry.source_type, Entry.source_id,
                      Entry.reverses_id)
            .join(Entry, Entry.id == Line.entry_id)
            .where(Line.account_id == account.id, Line.effective_date >= start,
                   Line.effective_date <= end)
            .order_by(Line.effective_date, Line.entry_id, Line.id))


def _lines(account, rows, running):
    rows = list(rows)
    donations = _donations([_Row(*row) for row in rows])
    out = []
    for row in rows:
        row = _Row(*row)
        amount = _signed(account, row.side, int(row.amount))
        running = None if running is None else running + amount
        out.append(StatementLine(
            day=row.day, entry_id=row.entry_id, key=row.key, category=row.category,
            memo=row.memo, amount=amount, source_type=row.source_type, source_id=row.source_id,
            donation_id=donations.get((row.source_type, row.source_id)),
            reverses_id=row.reverses_id, balance=running))
    return out, running


@dataclass(frozen=True)
class _Row:
    day: date
    entry_id: int
    side: str
    amount: int
    key: str
    category: str
    memo: str
    source_type: str | None
    source_id: int | None
    reverses_id: int | None


def for_fund(account, start, end, *, limit=100, offset=0):
    """The statement of `account` from `start` to `end` (both included, Japan-time dates).

    `limit` lines from `offset` (None: every line). The running balance on
    the lines is exact on the first page and on every page read from offset 0;
    on a later page it starts from the balance before that page's first line.
    """
    opening = balances.opening(account, start)
    closing = balances.balance_at(account, end)
    totals, allocated_in, allocated_out, count = _totals(account, start, end)
    query = lines_query(account, start, end)
    before = opening
    if offset:
        before = opening + _sum_first(account, start, end, offset)
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    lines, _ = _lines(account, db.session.execute(query).all(), before)
    return Statement(account=account, start=start, end=end, opening=opening, closing=closing,
                     totals=totals, allocated_in=allocated_in, allocated_out=allocated_out,
                     lines=lines, line_count=int(count), offset=offset)


def _sum_first(account, start, end, count):
    """The signed sum of the first `count` lines of the period (for a later page's balance)."""
    page = lines_query(account, start, end).with_only_columns(Line.side, Line.amount).limit(
        count).subquery()
    debit, credit = db.session.execute(db.select(
        db.func.coalesce(db.func.sum(db.case((page.c.side == Side.DEBIT.value, page.c.amount),
                                             else_=0)), 0),
        db.func.coalesce(db.func.sum(db.case((page.c.side == Side.CREDIT.value, page.c.amount),
                                             else_=0)), 0))).one()
    return balances.signed(account.kind, int(debit), int(credit))


def iter_lines(account, start, end, batch=2000):
    """Every line of the period, in order, with its running balance (for the CSV)."""
    running = balances.opening(account, start)
    query = lines_query(account, start, end).execution_options(yield_per=batch)
    chunk = []
    for row in db.session.execute(query):
        chunk.append(row)
        if len(chunk) >= batch:
            lines, running = _lines(account, chunk, running)
            yield from lines
            chunk = []
    if chunk:
        lines, running = _lines(account, chunk, running)
        yield from lines


def fund_accounts():
    """Every fund account with its balance now: the general fund, campaigns, projects."""
    return db.session.execute(
        db.select(Account).where(Account.kind == AccountKind.FUND).order_by(Account.code)
    ).scalars().all()


def kind_and_slug(account):
    """('project', slug) / ('campaign', slug) / ('general', None) of a fund account."""
    if account.project is not None:
        return "project", account.project.slug
    if account.campaign is not None:
        return "campaign", account.campaign.slug
    return "general", None
