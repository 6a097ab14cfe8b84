"""The office's first page: a year's money at a glance, the latest gifts, what needs a person.

Money comes from MonthTotal (kept as it moves), so the page reads a few dozen
rows whatever the number of gifts. A year is a fiscal year (April–March,
Japan time) unless the calendar year is asked for.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func

from fund.campaigns.models import Campaign, CampaignState, Project
from fund.core import clock
from fund.core.extensions import db
from fund.core.models import MailStatus, OutboundEmail
from fund.donors.models import Donor
from fund.accounting.models import BankLine, LineState, PayoutState, StripePayout
from fund.giving.models import AgreementStatus, Donation, Instalment, OfflineGift, PledgeAgreement
from fund.office.models import GiftFact, MonthTotal
from fund.payments.models import DISPUTE_OPEN_STATES, Dispute, Refund, RefundState
from fund.receipts import holds as receipt_holds
from fund.receipts import storage as receipt_storage

ENDING_SOON_DAYS = 14
MONEY = ("gifts", "received", "refunded", "lost", "fees")


@dataclass
class Money:
    gifts: int = 0
    received: int = 0
    refunded: int = 0
    lost: int = 0
    fees: int = 0

    @property
    def net(self):
        return self.received - self.refunded - self.lost

    def add(self, row):
        self.gifts += row.gifts
        self.received += row.received
        self.refunded += row.refunded
        self.lost += row.lost
        self.fees += row.fees


@dataclass
class Attention:
    """One kind of thing that needs a person, with a count and where to go."""

    kind: str
    count: int
    rows: list = field(default_factory=list)


@dataclass
class Overview:
    year: int
    calendar: bool
    months: list            # [(first day, Money)] for the twelve months
    total: Money
    by_destination: list    # [(scope, scope_id, title, Money)]
    by_method: list         # [(method, Money)]
    latest: list            # [(GiftFact, Donation, Donor)]
    ending_soon: list       # [Campaign]
    attention: list         # [Attention] with count > 0


def months_of(year, calendar=False):
    first = date(year, 1 if calendar else 4, 1)
    return [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1)
            for n in range(12)]


def current_year(calendar=False, now=None):
    now = now or clock.now()
    return clock.jst_date(now).year if calendar else clock.fiscal_year_of(now)


def _titles(lang):
    campaigns = {c.id: c.title(lang) for c in db.session.execute(db.select(Campaign)).scalars()}
    projects = {p.id: p.title(lang) for p in db.session.execute(db.select(Project)).scalars()}
    return {"campaign": campaigns, "project": projects}


def overview(*, year, calendar=False, lang="ja", now=None):
    """The dashboard's figures for one fiscal (or calendar) year."""
    now = now or clock.now()
    months = months_of(year, calendar)
    # Summed by the database, three ways: a few dozen rows come back, not one per
    # month, destination and method (hundreds, each an ORM object).
    in_year = (MonthTotal.month >= months[0], MonthTotal.month <= months[-1])
    per_month, per_scope, per_method, total = defaultdict(Money), defaultdict(Money), \
        defaultdict(Money), Money()
    for keys, into in (((MonthTotal.month,), per_month),
                       ((MonthTotal.scope, MonthTotal.scope_id), per_scope),
                       ((MonthTotal.method,), per_method)):
        for row in db.session.execute(
                db.select(*keys, *[db.cast(func.sum(getattr(MonthTotal, name)),
                                           db.BigInteger).label(name)
                                   for name in MONEY]).where(*in_year).group_by(*keys)):
            into[row[0] if len(keys) == 1 else tuple(row[:2])].add(row)
    for money in per_month.values():
        total.add(money)
    titles = _titles(lang)
    by_destination = sorted(
        ((scope, scope_id, titles.get(scope, {}).get(scope_id), money)
         for (scope, scope_id), money in per_scope.items()),
        key=lambda item: -item[3].received)
    return Overview(
        year=year, calendar=calendar, months=[(m, per_month[m]) for m in months], total=total,
        by_destination=by_destination,
        by_method=sorted(per_method.items(), key=lambda item: -item[1].received),
        latest=latest_gifts(), ending_soon=ending_soon(now), attention=attention(now))


def latest_gifts(limit=10):
    # A received gift's `at` is its received_at: ordering by `at` walks ix_gift_fact_at
    # backwards and stops after `limit` rows, whatever the number of gifts.
    return db.session.execute(
        db.select(GiftFact, Donation, Donor)
        .join(Donation, Donation.id == GiftFact.donation_id)
        .join(Donor, Donor.id == GiftFact.donor_id)
        .where(GiftFact.received_at.is_not(None))
        .order_by(GiftFact.at.desc(), GiftFact.donation_id.desc()).limit(limit)).all()


def ending_soon(now):
    return db.session.execute(
        db.select(Campaign).where(Campaign.status == CampaignState.PUBLISHED,
                                  Campaign.ends_at > now,
                                  Campaign.ends_at <= now + timedelta(days=ENDING_SOON_DAYS))
        .order_by(Campaign.ends_at)).scalars().all()


def attention(now):
    """What waits for a person: failed mail, open disputes, refunds Stripe refused,
    campaigns past their deadline that the deadline job has not closed, pledge
    instalments past their due date, payouts that have arrived and are not
    reconciled, bank lines nobody has matched or dismissed, and gifts paid twice."""
    found = []
    failed_mail = db.session.execute(
        db.select(OutboundEmail).where(OutboundEmail.status == MailStatus.FAILED)
        .order_by(OutboundEmail.id.desc()).limit(5)).scalars().all()
    found.append(Attention("failed_mail", _count(OutboundEmail, OutboundEmail.status == MailStatus.FAILED),
                           failed_mail))
    open_disputes = db.session.execute(
        db.select(Dispute).where(Dispute.state.in_(DISPUTE_OPEN_STATES))
        .order_by(Dispute.evidence_due_by).limit(5)).scalars().all()
    found.append(Attention("open_disputes", _count(Dispute, Dispute.state.in_(DISPUTE_OPEN_STATES)),
                           open_disputes))
    # A refund Stripe refused in the last 30 days: the donor still waits for their money.
    refused = (Refund.state == RefundState.FAILED) & (Refund.updated_at >= now - timedelta(days=30))
    failed_refunds = db.session.execute(
        db.select(Refund).where(refused).order_by(Refund.id.desc()).limit(5)).scalars().all()
    found.append(Attention("failed_refunds", _count(Refund, refused), failed_refunds))
    overdue = db.session.execute(
        db.select(Campaign).where(Campaign.status == CampaignState.PUBLISHED,
                                  Campaign.ends_at <= now - timedelta(hours=1))
        .order_by(Campaign.ends_at)).scalars().all()
    found.append(Attention("unclosed_campaigns", len(overdue), overdue))
    today = clock.jst_date(now)
    late = (Instalment.due_on < today) & ~db.exists().where(
        OfflineGift.instalment_id == Instalment.id) & Instalment.agreement_id.in_(
        db.select(PledgeAgreement.id).where(PledgeAgreement.status == AgreementStatus.ACTIVE))
    late_rows = db.session.execute(
        db.select(Instalment).where(late).order_by(Instalment.due_on).limit(5)).scalars().all()
    found.append(Attention("overdue_instalments", _count(Instalment, late), late_rows))
    # A payout is the office's to reconcile once the money has reached the bank.
    arrived = (StripePayout.state == PayoutState.OPEN) & (StripePayout.arrival_on < today)
    payouts = db.session.execute(
        db.select(StripePayout).where(arrived).order_by(StripePayout.arrival_on).limit(5)
    ).scalars().all()
    found.append(Attention("unreconciled_payouts", _count(StripePayout, arrived), payouts))
    open_line = BankLine.state == LineState.UNMATCHED
    found.append(Attention("unmatched_bank_lines", _count(BankLine, open_line)))
    # Stored receipt files that failed their SHA-256 check (fund.receipts.storage).
    mismatched = receipt_storage.mismatches(now)
    found.append(Attention("receipt_file_mismatch", len(mismatched), mismatched[:5]))
    held = receipt_holds.open_holds()
    found.append(Attention("receipt_holds", len(held), held[:5]))
    # A second payment succeeded on one gift: the excess waits for a refund. Few rows
    # carry the flag (a partial index); those already refunded drop out here.
    flagged = db.session.execute(
        db.select(Donation).where(Donation.duplicate_payment_at.is_not(None))
        .order_by(Donation.duplicate_payment_at.desc()).limit(200)).scalars().all()
    due = [gift for gift in flagged if gift.refund_due > 0]
    found.append(Attention("duplicate_payments", len(due), due[:5]))
    return [item for item in found if item.count]


def _count(model, condition):
    return db.session.execute(db.select(func.count()).select_from(model).where(condition)).scalar_one()
