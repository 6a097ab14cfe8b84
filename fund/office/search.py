"""Finding gifts: a search word, filters, totals of what matches, pages.

Reads GiftFact (kept by fund.office.facts), so status and amounts never have
to be worked out per row. The search word finds donors by name, フリガナ,
company, email or phone through their folded search text (a trigram index on
PostgreSQL), or a gift by its receipt number or id. Dates are Japan time:
a day runs from 00:00 JST, a fiscal year from 1 April 00:00 JST.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, union_all
from sqlalchemy.orm import selectinload

from fund.core import clock
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.donors import names
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.office.models import FACT_STATUSES, GiftFact
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
    amount: int = 0
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


def _matching_donors(term):
    """Donor ids whose folded name, kana, company, email or phone contain the term.

    A phone typed with dashes folds to its digits, as the phone is kept; an
    address is compared as typed (lower case), since dashes matter there.
    """
    key = names.email_key(term) if "@" in term else names.fold(term)
    if not key:
        return None
    return db.select(Donor.id).where(Donor.search_text.like(_like(key), escape="\\"))


def _word(term):
    """The condition on GiftFact for one search word (full-width digits and dashes fold)."""
    term = unicodedata.normalize("NFKC", term.strip())
    gift = GIFT_ID.fullmatch(term)
    if gift:
        return GiftFact.donation_id == int(gift.group(1))
    donors = _matching_donors(term)
    if not RECEIPT_NUMBER.fullmatch(term):
        return GiftFact.donor_id.in_(donors) if donors is not None else db.false()
    # Every revision of the receipt (2026-000123, 2026-000123-2 …) by the unique index
    # on its number's parts; with the donors' gifts as one list of ids, not an OR of
    # two subqueries (which makes PostgreSQL read every gift).
    year, sequence = term.split("-")[:2]
    ids = [db.select(ReceiptLine.donation_id).join(Receipt)
           .where(Receipt.series_year == int(year), Receipt.sequence == int(sequence))]
    if donors is not None:
        theirs = db.aliased(GiftFact)
        ids.append(db.select(theirs.donation_id).where(theirs.donor_id.in_(donors)))
    return GiftFact.donation_id.in_(union_all(*ids) if len(ids) > 1 else ids[0])


def conditions(filters):
    """The WHERE conditions on GiftFact for these filters."""
    where = []
    for term in (filters.q or "").split():
        where.append(_word(term))
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
    if filters.fiscal_year:
        start, end = clock.fiscal_year_bounds(filters.fiscal_year)
        where += [GiftFact.at >= start, GiftFact.at < end]
    if filters.date_from:
        where.append(GiftFact.at >= clock.jst_midnight(filters.date_from))
    if filters.date_to:
        where.append(GiftFact.at < clock.jst_midnight(filters.date_to + timedelta(days=1)))
    return where


def totals(filters):
    """Count and sums of every gift that matches (not only this page)."""
    row = db.session.execute(
        db.select(func.count(), *[func.coalesce(func.sum(getattr(GiftFact, name)), 0)
                                  for name in ("amount", "paid", "refunded", "lost", "fee", "net")])
        .where(*conditions(filters))).one()
    return Totals(*(int(value) for value in row))


def search(filters, page=1, page_size=PAGE_SIZE):
    """One page of matching gifts, newest first, with the totals of all that match."""
    found = totals(filters)
    pages = max((found.gifts + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        db.select(GiftFact, Donation, Donor)
        .join(Donation, Donation.id == GiftFact.donation_id)
        .join(Donor, Donor.id == GiftFact.donor_id)
        .where(*conditions(filters))
        .order_by(GiftFact.at.desc(), GiftFact.donation_id.desc())
        .limit(page_size).offset((page - 1) * page_size)
        # The list names each gift's destination: two queries, not one per row.
        .options(selectinload(Donation.campaign), selectinload(Donation.project))).all()
    return Page(rows=rows, totals=found, page=page, pages=pages, filters=filters,
                receipts=receipt_numbers([fact.donation_id for fact, _d, _p in rows]))


def receipt_numbers(donation_ids):
    """The number of each gift's valid receipt, by donation id."""
    if not donation_ids:
        return {}
    return dict(db.session.execute(
        db.select(ReceiptLine.donation_id, Receipt.number).join(Receipt)
        .where(ReceiptLine.donation_id.in_(donation_ids), ReceiptLine.active.is_(True))).all())
