"""Finding gifts: a search word, filters, totals of what matches, pages.

Reads GiftFact (kept by fund.office.facts), so status and amounts never have
to be worked out per row. The search word finds donors by name, フリガナ,
company, email or phone through their folded search text (a trigram index on
PostgreSQL, and a GIN index on its grams for a word of one or two characters), or
a gift by its receipt number, reference, 振込名義 or id. A list whose words only
name donors, with no other filter, totals the gift totals kept on the donor rows
found (read by the lookup itself, not from their gifts). Dates are Japan time:
a day runs from 00:00 JST, a fiscal year from 1 April 00:00 JST.
"""
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, any_, func, or_, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import load_only, selectinload
from sqlalchemy.types import UserDefinedType

from fund.core import clock, kana
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.donors import names
from fund.donors.models import Donor
from fund.giving import reference
from fund.giving.models import Donation, OfflineGift
from fund.office.models import FACT_STATUSES, GiftFact, MonthTotal
from fund.payments.models import Payment
from fund.receipts.models import Receipt, ReceiptLine

PAGE_SIZE = 50
METHODS = ("card", "konbini", "bank_transfer")
RECEIPT_NUMBER = re.compile(r"\d{4}-\d{6}(-\d+)?")
GIFT_ID = re.compile(r"#(\d{1,12})")


@dataclass(frozen=True)
class Filters:
    """What the office asked for; every field optional."""

    q: str | None = None
    status: str | None = None
    destination: str | None = None  # general | campaign:<id> | project:<id>
    method: str | None = None
    date_from: date | None = None   # Japan-time days, both included
    date_to: date | None = None
    fiscal_year: int | None = None

    def as_args(self):
        """The filters as query-string arguments (for page links and the CSV link)."""
        values = {"q": self.q, "status": self.status, "destination": self.destination,
                  "method": self.method, "fy": self.fiscal_year,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class Totals:
    gifts: int = 0
    paid: int = 0
    refunded: int = 0
    lost: int = 0
    fees: int = 0
    net: int = 0


@dataclass
class Page:
    rows: list
    totals: Totals
    page: int
    pages: int
    filters: Filters
    receipts: dict = field(default_factory=dict)

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def check(filters, lang):
    """Refuse filters that cannot mean anything (a range that ends before it starts)."""
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise ValidationFailed(gettext_for(lang, "The end date is before the start date."),
                               errors={"to": "before_from"})
    if filters.destination and not re.fullmatch(r"general|(campaign|project):\d+",
                                                filters.destination):
        raise ValidationFailed(gettext_for(lang, "Choose a destination from the list."),
                               errors={"destination": "invalid"})
    if filters.status and filters.status not in FACT_STATUSES:
        raise ValidationFailed(gettext_for(lang, "Choose a status from the list."),
                               errors={"status": "invalid"})
    return filters


def _like(term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def donor_condition(key):
    """Donors whose folded search text contains `key`.

    On PostgreSQL a key of one or two characters (山田, 林) is looked up among the
    donors' kept grams (exact, by a GIN index): the trigram index holds nothing
    shorter than three characters and would read every donor.
    """
    if len(key) <= 2 and db.session.get_bind().dialect.name == "postgresql":
        return Donor.search_grams.contains([key])
    return Donor.search_text.like(_like(key), escape="\\")


def _donor_key(term):
    """The folded form a word is looked for in the donors' search text, or None.

    A phone typed with dashes folds to its digits, as the phone is kept.
    """
    return (names.email_key(term) if "@" in term else names.fold(term)) or None


def _gift_selects(term):
    """Selects of donation ids a word names directly: a receipt number (every revision,
    2026-000123, 2026-000123-2 …, by the unique index on its number's parts), a
    reference (QF-7K3M-9P2X, however typed) and a 振込名義 (its comparable key)."""
    selects = []
    if RECEIPT_NUMBER.fullmatch(term):
        year, sequence = term.split("-")[:2]
        selects.append(db.select(ReceiptLine.donation_id).join(Receipt).where(
            Receipt.series_year == int(year), Receipt.sequence == int(sequence)))
    ref = reference.normalize(term)
    if ref:
        selects.append(db.select(Donation.id).where(Donation.reference == ref))
    transfer = kana.name_key(term)
    if transfer:
        selects.append(db.select(Payment.donation_id).join(OfflineGift,
                                                           OfflineGift.payment_id == Payment.id)
                       .where(OfflineGift.transfer_key.like(_like(transfer), escape="\\")))
    return selects


def _normal(term):
    return unicodedata.normalize("NFKC", term.strip())  # full-width digits and dashes fold


def _word(term):
    """The condition on GiftFact for one search word, as one SQL expression (the export's)."""
    term = _normal(term)
    gift = GIFT_ID.fullmatch(term)
    if gift:
        return GiftFact.donation_id == int(gift.group(1))
    key = _donor_key(term)
    donors = db.select(Donor.id).where(donor_condition(key)) if key else None
    ids = _gift_selects(term)
    if not ids:
        return GiftFact.donor_id.in_(donors) if donors is not None else db.false()
    # The donors' gifts and the named gifts as one list of ids, not an OR of two
    # subqueries (which makes PostgreSQL read every gift).
    if donors is not None:
        theirs = db.aliased(GiftFact)
        ids.append(db.select(theirs.donation_id).where(theirs.donor_id.in_(donors)))
    return GiftFact.donation_id.in_(union_all(*ids) if len(ids) > 1 else ids[0])


@dataclass(frozen=True)
class IdList:
    """Ids as the database wrote them, '3,17,42' (any order): passed on to the next query
    as they are, read into Python only when asked."""

    text: str
    count: int

    def __bool__(self):
        return self.count > 0

    def __len__(self):
        return self.count

    def __iter__(self):
        return iter(int(part) for part in self.text.split(","))


@dataclass
class Found:
    """What the search words matched, looked up before the gifts are read.

    `donors` is the donors every word matched (None: no word asks for donors) and
    `donor_totals` their kept gift totals summed (read with them: every gift of theirs);
    `gifts` one set of donation ids per word that also named gifts directly.
    """

    donors: frozenset | None = None
    donor_totals: "Totals | None" = None
    gifts: list = field(default_factory=list)
    nothing: bool = False


# Each donor's kept gift totals (fund.office.facts), in Totals' order.
DONOR_TOTALS = (Donor.gift_count, Donor.gift_paid, Donor.gift_refunded, Donor.gift_lost,
                Donor.gift_fee, Donor.gift_net)


def _ids(statement):
    return frozenset(db.session.execute(statement).scalars())


def resolve(q):
    """Look the search words up before the gifts: the list then filters by known ids.

    The words that only find donors are looked up together, in one query
    («山田 花子», «ヤマダ ハナコ»: the database intersects the words' index
    entries and reads only the few donors with both), so the query on the
    gifts is planned for the rows it really reads. A word that also names
    gifts (a receipt number, a reference, a 振込名義, #id) keeps them beside its
    own donors.
    """
    found = Found()
    donor_words, gift_words = [], []
    for raw in (q or "").split():
        term = _normal(raw)
        gift = GIFT_ID.fullmatch(term)
        if gift:
            gift_words.append((frozenset(), frozenset({int(gift.group(1))})))
            continue
        key = _donor_key(term)
        selects = _gift_selects(term)
        gifts = _ids(union_all(*selects)) if selects else frozenset()
        if gifts:
            donors = (_ids(db.select(Donor.id).where(donor_condition(key))) if key
                      else frozenset())
            gift_words.append((donors, gifts))
        elif key:
            donor_words.append(key)
        else:
            return Found(nothing=True)
    if donor_words:
        # The donors' ids as one text ('3,17,42') and their kept totals summed, by the
        # query that finds them: one row, not a row (and a dozen Python objects) per
        # donor, which at 5,000 donors made the collector sweep the whole heap.
        ids = (func.string_agg(db.cast(Donor.id, db.Text), db.literal_column("','"))
               if db.session.get_bind().dialect.name == "postgresql"
               else func.group_concat(Donor.id, ","))
        row = db.session.connection().execute(db.select(
            func.count(), ids, *[func.coalesce(func.sum(column), 0) for column in DONOR_TOTALS])
            .where(*[donor_condition(key) for key in donor_words])).one()
        if not row[0]:
            return Found(nothing=True)
        found.donors = IdList(row[1], row[0])
        found.donor_totals = Totals()
        _add(found.donor_totals, row[2:])
    found.gifts = gift_words
    return found


class _IdArray(UserDefinedType):
    """An integer array sent as its text, '{1,2,3}', typed int[] by the statement
    ($1::INTEGER[]): psycopg's list dumper checks each element with a regular expression
    (5,000 donors' ids took 5 ms a page). The planner sees the values as before."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **kw):
        return "INTEGER[]"

    def bind_processor(self, dialect):
        def process(value):
            if isinstance(value, IdList):
                return "{" + value.text + "}"
            return "{" + ",".join(str(int(i)) for i in sorted(value)) + "}"
        return process


def _in(column, ids):
    """`column` is one of `ids`: one array parameter on PostgreSQL, however many ids."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(db.bindparam(None, ids, type_=_IdArray()))
    ids = sorted(ids)
    if len(ids) > 500:  # SQLite: one JSON parameter rather than a parameter per id
        return column.in_(db.select(db.column("value")).select_from(
            func.json_each(json.dumps(ids))))
    return column.in_(ids)


def _filter_conditions(filters):
    where = []
    if filters.status:
        where.append(GiftFact.status == filters.status)
    if filters.method:
        where.append(GiftFact.method == filters.method)
    if filters.destination:
        kind, _, ident = filters.destination.partition(":")
        where.append(GiftFact.designation == kind)
        if kind == "campaign":
            where.append(GiftFact.campaign_id == int(ident))
        elif kind == "project":
            where.append(GiftFact.project_id == int(ident))
    start, end = window(filters)
    if start is not None:
        where.append(GiftFact.at >= start)
    if end is not None:
        where.append(GiftFact.at < end)
    return where


def window(filters):
    """[start, end) of the dates asked for (fiscal year and from/to together), or None."""
    starts, ends = [], []
    if filters.fiscal_year:
        start, end = clock.fiscal_year_bounds(filters.fiscal_year)
        starts.append(start)
        ends.append(end)
    if filters.date_from:
        starts.append(clock.jst_midnight(filters.date_from))
    if filters.date_to:
        ends.append(clock.jst_midnight(filters.date_to + timedelta(days=1)))
    return (max(starts) if starts else None), (min(ends) if ends else None)


def conditions(filters, found=None):
    """The WHERE conditions on GiftFact for these filters.

    With `found` (from `resolve`) the search words are ids already looked up;
    without, each word is a subquery (the CSV export's single statement).
    """
    if found is None:
        where = [_word(term) for term in (filters.q or "").split()]
    elif found.nothing:
        return [db.false()]
    else:
        where = []
        if found.donors is not None:
            where.append(_in(GiftFact.donor_id, found.donors))
        for donors, gifts in found.gifts:
            either = [_in(GiftFact.donation_id, gifts)]
            if donors:
                either.append(_in(GiftFact.donor_id, donors))
            where.append(or_(*either))
    return where + _filter_conditions(filters)


_SUMS = ("paid", "refunded", "lost", "fee", "net")


def _fact_sums(where):
    return db.select(func.count(), *[func.coalesce(func.sum(getattr(GiftFact, name)), 0)
                                     for name in _SUMS]).where(*where)


def _add(totals, row):
    for name, value in zip(("gifts", "paid", "refunded", "lost", "fees", "net"), row):
        setattr(totals, name, getattr(totals, name) + int(value))


def _whole_months(start, end):
    """The Japan-time months wholly inside [start, end) (both JST midnights or None):
    (first month, last month, when the first starts, when the one after the last
    starts), or None when no month is whole."""
    first = clock.jst_date(start) if start is not None else date(2000, 1, 1)
    if first.day != 1:
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    after = clock.jst_date(end).replace(day=1) if end is not None else date(2100, 1, 1)
    if after <= first:
        return None
    last = date(after.year - (after.month == 1), (after.month - 2) % 12 + 1, 1)
    return first, last, clock.jst_midnight(first), clock.jst_midnight(after)


def _kept_totals(filters):
    """Totals read from MonthTotal for the whole months asked for, and from GiftFact for
    the days around them and for the gifts not received (which MonthTotal leaves out).

    Only for lists without a search word or a status: MonthTotal is kept per month,
    destination and method. Its rows are exactly GiftFact's received gifts (month set,
    paid > 0), grouped; a received gift's `at` is when it was received.
    """
    start, end = window(filters)
    months = _whole_months(start, end)
    received = and_(GiftFact.month.is_not(None), GiftFact.paid > 0)
    # Not received, written as the partial index ix_gift_fact_unreceived says it.
    unreceived = or_(GiftFact.month.is_(None), GiftFact.paid <= 0)
    where = _filter_conditions(filters)
    totals = Totals()
    _add(totals, db.session.execute(_fact_sums([*where, unreceived])).one())
    if months is None:
        _add(totals, db.session.execute(_fact_sums([*where, received])).one())
        return totals
    first, last, inner_start, inner_end = months
    edges = []
    if start is None or start < inner_start:
        edges.append(GiftFact.at < inner_start)
    if end is None or end > inner_end:
        edges.append(GiftFact.at >= inner_end)
    if edges:
        _add(totals, db.session.execute(_fact_sums([*where, received, or_(*edges)])).one())
    kept = [MonthTotal.month >= first, MonthTotal.month <= last]
    if filters.method:
        kept.append(MonthTotal.method == filters.method)
    if filters.destination:
        kind, _, ident = filters.destination.partition(":")
        kept.append(MonthTotal.scope == kind)
        if kind != "general":
            kept.append(MonthTotal.scope_id == int(ident))
    row = db.session.execute(db.select(
        *[func.coalesce(func.sum(column), 0) for column in (
            MonthTotal.gifts, MonthTotal.received, MonthTotal.refunded, MonthTotal.lost,
            MonthTotal.fees)]).where(*kept)).one()
    gifts, paid, refunded, lost, fees = (int(value) for value in row)
    _add(totals, (gifts, paid, refunded, lost, fees, paid - refunded - lost))
    return totals


def _only_donors(filters, found):
    """Whether the list is exactly every gift of the donors found: words that only name
    donors, and no status, destination, method or date."""
    return (found.donors is not None and not found.gifts and not filters.status
            and not filters.destination and not filters.method
            and window(filters) == (None, None))


def totals(filters, found=None):
    """Count and sums of every gift that matches (not only this page)."""
    if not filters.q and not filters.status:
        return _kept_totals(filters)
    if found is None:
        found = resolve(filters.q)
    if found.nothing:
        return Totals()
    if _only_donors(filters, found):
        return found.donor_totals
    result = Totals()
    _add(result, db.session.execute(_fact_sums(conditions(filters, found))).one())
    return result


def search(filters, page=1, page_size=PAGE_SIZE):
    """One page of matching gifts, newest first, with the totals of all that match."""
    found = resolve(filters.q)
    counted = totals(filters, found)
    pages = max((counted.gifts + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    if found.nothing or not counted.gifts:
        return Page(rows=[], totals=counted, page=page, pages=pages, filters=filters)
    # The page's ids first, from an index that holds the list's order (no row is read
    # for the pages skipped), then those fifty rows with their donation and donor.
    ids = db.session.execute(
        db.select(GiftFact.donation_id).where(*conditions(filters, found))
        .order_by(GiftFact.at.desc(), GiftFact.donation_id.desc())
        .limit(page_size).offset((page - 1) * page_size)).scalars().all()
    rows = db.session.execute(
        db.select(GiftFact, Donation, Donor)
        .join(Donation, Donation.id == GiftFact.donation_id)
        .join(Donor, Donor.id == GiftFact.donor_id)
        .where(GiftFact.donation_id.in_(ids))
        .order_by(GiftFact.at.desc(), GiftFact.donation_id.desc())
        # Only the columns the list shows (not a donor's kept search text and grams, nor a
        # gift's message), and each gift's destination in two queries, not one per row.
        .options(load_only(Donation.id, Donation.designation, Donation.campaign_id,
                           Donation.project_id),
                 load_only(Donor.id, Donor.kind, Donor.name, Donor.company_name,
                           Donor.name_kana, Donor.email),
                 selectinload(Donation.campaign), selectinload(Donation.project))).all()
    return Page(rows=rows, totals=counted, page=page, pages=pages, filters=filters,
                receipts=receipt_numbers(ids))


def receipt_numbers(donation_ids):
    """The number of each gift's valid receipt, by donation id."""
    if not donation_ids:
        return {}
    return dict(db.session.execute(
        db.select(ReceiptLine.donation_id, Receipt.number).join(Receipt)
        .where(ReceiptLine.donation_id.in_(donation_ids), ReceiptLine.active.is_(True))).all())
