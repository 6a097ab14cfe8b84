"""The fiscal year's 仕訳帳 for the accountants, in their 勘定科目.

The ledger has two kinds of account (money held, and funds held for a
purpose) and records what an entry was in its category. The accountants'
books follow the 独立行政法人会計基準: a gift for stated purposes is a
liability, 預り寄附金, until it is spent, and becomes revenue, 寄附金収益, as
the expense is incurred. So each ledger entry becomes journal rows:
- money held and funds map through the mapping table (`AccountMapping`,
  edited by the office; `DEFAULTS` where it has no row): `stripe` → 預け金,
  `bank:*` → 普通預金, `cash` → 現金, every `fund:*` → 預り寄附金 with the fund as
  its 補助科目 (configurable per fund);
- an expense (a card fee, a dispute fee, a spend) debits its expense account
  instead of the fund (支払手数料, 事業費, or a fixed-asset account for equipment,
  marked 固定資産), and adds the row 預り寄附金 / 寄附金収益 for the same amount;
- a reversal is its original's rows, debit and credit swapped.
The fiscal year runs from 1 April to 31 March (Japan time, by the entry's date).
"""
from datetime import date

from sqlalchemy.orm import selectinload

from fund.accounting import csvfiles, journal_files
from fund.accounting.journal_files import JournalRow, Side
from fund.accounting.models import AccountMapping, JournalExport
from fund.core import audit
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.ledger.models import Account, Entry, Line

# key: (勘定科目, 補助科目, 税区分). An empty 補助科目 on a family (`fund:*`) means the
# account's own title.
DEFAULTS = {
    "stripe": ("預け金", "Stripe", "対象外"),
    "bank:*": ("普通預金", "", "対象外"),
    "cash": ("現金", "", "対象外"),
    "fund:*": ("預り寄附金", "", "対象外"),
    "revenue:gift": ("寄附金収益", "", "対象外"),
    "expense:fee": ("支払手数料", "Stripe", "対象外"),
    "expense:dispute_fee": ("支払手数料", "Stripe チャージバック", "対象外"),
    "expense:spend": ("事業費", "", "対象外"),
    "asset:fixed": ("工具器具備品", "", "対象外"),
}
DESCRIPTIONS = {
    "stripe": "Stripe の残高 (the Stripe balance)",
    "bank:*": "銀行口座 (each bank account)",
    "cash": "現金 (cash)",
    "fund:*": "基金・プロジェクト・クラウドファンディング (every fund)",
    "revenue:gift": "支出に充てた寄附 (gifts used by an expense)",
    "expense:fee": "カード決済手数料 (card fees)",
    "expense:dispute_fee": "チャージバック手数料 (dispute fees)",
    "expense:spend": "プロジェクトの支出 (a project's spending)",
    "asset:fixed": "寄附で購入した固定資産 (equipment bought with gifts)",
}
EXPENSE_KEYS = {"fee": "expense:fee", "dispute_fee": "expense:dispute_fee",
                "spend": "expense:spend"}
FIRST_YEAR = 2000


def fiscal_year_of(day):
    """The fiscal year (named by the calendar year it starts in) that `day` falls in."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_span(year):
    return date(year, 4, 1), date(year + 1, 3, 31)


class Mapping:
    """The mapping table with its defaults, resolved per ledger account."""

    def __init__(self):
        self.rows = {row.key: row for row in db.session.execute(db.select(AccountMapping))
                     .scalars()}

    def entry(self, key):
        row = self.rows.get(key)
        if row is not None:
            return row.account, row.sub_account, row.tax
        return DEFAULTS.get(key)

    def for_account(self, account):
        """(勘定科目, 補助科目, 税区分) of a ledger account: its own row, else its family's."""
        code = account.code
        family = code.split(":")[0] + ":*"
        parts = code.split(":")
        candidates = [code] + ([f"{parts[0]}:{parts[1]}:*"] if len(parts) > 2 else []) + [family]
        for key in candidates:
            found = self.entry(key)
            if found:
                name, sub, tax = found
                return name, sub or (account.title("ja") if key != code else ""), tax
        return account.code, "", "対象外"

    def side(self, account, key=None, *, own_title=True):
        """The journal side of `account`, or of category `key` booked against it."""
        if key is not None:
            name, sub, tax = self.entry(key)
            if not sub and own_title:
                sub = account.title("ja")
            return Side(name, sub, tax, account.code)
        name, sub, tax = self.for_account(account)
        return Side(name, sub, tax, account.code)


def _transform(entry, mapping):
    """One entry in the accountants' terms: (its postings, extra debit/credit pairs).

    Postings are ('debit'|'credit', Side, amount); an expense's fund debit
    becomes the expense, and the pair 預り寄附金 / 寄附金収益 is added.
    """
    original = entry.reverses if entry.is_reversal else entry
    category = original.category
    expense_side = "credit" if entry.is_reversal else "debit"
    postings, extra = [], []
    for line in entry.lines:
        account = line.account
        if category in EXPENSE_KEYS and account.is_fund and line.side == expense_side:
            key = "asset:fixed" if (category == "spend" and original.fixed_asset) else \
                EXPENSE_KEYS[category]
            postings.append((line.side, mapping.side(account, key), line.amount))
            # The gift is used: 預り寄附金 becomes 寄附金収益 for the same amount.
            liability = mapping.side(account)
            revenue = mapping.side(account, "revenue:gift")
            extra.append((liability, revenue, line.amount) if not entry.is_reversal
                         else (revenue, liability, line.amount))
        else:
            postings.append((line.side, mapping.side(account), line.amount))
    return postings, extra


def _pair(postings):
    """Debit/credit pairs of equal amounts from a balanced list of postings (greedy)."""
    debits = [[s, a] for side, s, a in postings if side == "debit"]
    credits = [[s, a] for side, s, a in postings if side == "credit"]
    pairs = []
    i = j = 0
    while i < len(debits) and j < len(credits):
        amount = min(debits[i][1], credits[j][1])
        pairs.append((debits[i][0], credits[j][0], amount))
        debits[i][1] -= amount
        credits[j][1] -= amount
        i += debits[i][1] == 0
        j += credits[j][1] == 0
    return pairs


def rows_for_year(year):
    """The journal rows of fiscal year `year`, in date order."""
    start, end = fiscal_year_span(year)
    mapping = Mapping()
    entries = db.session.execute(
        db.select(Entry).where(Entry.effective_date.between(start, end))
        .order_by(Entry.effective_date, Entry.id)
        .options(selectinload(Entry.lines).selectinload(Line.account).selectinload(Account.project),
                 selectinload(Entry.lines).selectinload(Line.account).selectinload(Account.campaign),
                 selectinload(Entry.reverses))).scalars()
    rows = []
    for number, entry in enumerate(entries, start=1):
        original = entry.reverses if entry.is_reversal else entry
        fixed = original.category == "spend" and original.fixed_asset
        postings, extra = _transform(entry, mapping)
        for debit, credit, amount in _pair(postings) + extra:
            if (debit.account, debit.sub_account) == (credit.account, credit.sub_account):
                continue  # a move inside one 勘定科目 and 補助科目 changes nothing in their books
            rows.append(JournalRow(on=entry.effective_date, number=number, debit=debit,
                                   credit=credit, amount=amount, memo=entry.memo,
                                   reference=entry.key, category=entry.category,
                                   fixed_asset=fixed))
    return rows


def check_year(year, lang):
    if not isinstance(year, int) or year < FIRST_YEAR or year > date.today().year + 1:
        raise ValidationFailed(gettext_for(lang, "Choose a fiscal year, e.g. 2026 for April 2026 "
                                                 "to March 2027."), errors={"fiscal_year": "invalid"})


def export(*, fiscal_year, fmt, staff, lang):
    """The year's journal as a file: (filename, Written). Records the export; commits."""
    check_year(fiscal_year, lang)
    if fmt not in ("plain", "yayoi"):
        raise ValidationFailed(gettext_for(lang, "Choose the plain CSV or the 弥生会計 format."),
                               errors={"format": "invalid"})
    rows = rows_for_year(fiscal_year)
    written = journal_files.plain_csv(rows) if fmt == "plain" else journal_files.yayoi_csv(rows)
    record = JournalExport(fiscal_year=fiscal_year, format=fmt, rows=written.rows,
                           total=written.total, sha256=csvfiles.sha256(written.data),
                           replaced=len(written.replaced), exported_by=staff.id)
    db.session.add(record)
    db.session.flush()
    audit.record(audit.staff(staff), "journal.exported", record, fiscal_year=fiscal_year,
                 format=fmt, rows=written.rows, total=written.total,
                 replaced=[f"{a}→{b}" for a, b in written.replaced][:50])
    db.session.commit()
    suffix = "yayoi-sjis" if fmt == "yayoi" else "utf8"
    return f"journal-FY{fiscal_year}-{suffix}.csv", written


# --- the mapping table, edited by the office -------------------------------------------


def mapping_rows():
    """Every key the export uses, with its current (勘定科目, 補助科目, 税区分) and whether edited."""
    table = Mapping()
    fund_keys = [account.code for account in db.session.execute(
        db.select(Account).where(Account.code.like("fund:%")).order_by(Account.code)).scalars()]
    keys = list(DEFAULTS) + sorted(set(table.rows) - set(DEFAULTS)) + \
        [key for key in fund_keys if key not in table.rows and key not in DEFAULTS]
    result = []
    for key in dict.fromkeys(keys):
        found = table.entry(key)
        result.append({"key": key, "description": DESCRIPTIONS.get(key, ""),
                       "account": found[0] if found else "", "sub_account": found[1] if found else "",
                       "tax": found[2] if found else "", "edited": key in table.rows})
    return result


def save_mapping(*, key, account, sub_account, tax, staff, lang):
    """Set the 勘定科目 (and 補助科目, 税区分) for one of our accounts or categories; commits."""
    key = (key or "").strip()
    account = (account or "").strip()
    known = set(DEFAULTS) | {a.code for a in db.session.execute(db.select(Account)).scalars()}
    family = key.endswith(":*") and key[:-2].count(":") <= 1
    if not key or (key not in known and not family and not key.startswith(("fund:", "bank:"))):
        raise ValidationFailed(gettext_for(lang, "“%(key)s” is none of our accounts or categories.",
                                           key=key or "—"), errors={"key": "unknown"})
    if not account:
        raise ValidationFailed(gettext_for(lang, "Enter the 勘定科目."), errors={"account": "required"})
    if len(account) > 60 or len(sub_account or "") > 60 or len(tax or "") > 30:
        raise ValidationFailed(gettext_for(lang, "A name is too long (at most 60 characters)."),
                               errors={"account": "too_long"})
    row = db.session.execute(db.select(AccountMapping).filter_by(key=key)).scalar_one_or_none()
    before = None if row is None else (row.account, row.sub_account, row.tax)
    if row is None:
        row = AccountMapping(key=key)
        db.session.add(row)
    row.account, row.sub_account, row.tax = account, (sub_account or "").strip(), \
        (tax or "対象外").strip()
    db.session.flush()
    audit.record(audit.staff(staff), "account_mapping.saved", row, key=key, before=before,
                 after=[row.account, row.sub_account, row.tax])
    db.session.commit()
    return row
