"""What the office reads, kept as money moves: one fact row per gift and monthly totals.

The donation list, its totals and the dashboard read these instead of working
out each gift's status from its payments, refunds and disputes on every
request. fund.office.facts brings them up to date in the transaction that
changes a gift and can rebuild them from the payments (`flask fund office rebuild`).
"""
from fund.core.extensions import db
from fund.core.models import TZDateTime

FACT_STATUSES = ("pending", "failed", "paid", "partially_refunded", "refunded", "disputed")
TOTAL_SCOPES = ("general", "campaign", "project")


# The sums a list's totals read (fund.office.search.totals).
TOTALS_INCLUDE = ("paid", "refunded", "lost", "fee", "net")
# Every column a filter may test, so a filtered list's totals and its page of ids are read
# from one index alone (an index-only scan on PostgreSQL).
FILTER_INCLUDE = ("status", "method", "designation", "campaign_id", "project_id")


class GiftFact(db.Model):
    """One gift as the office lists it: status, method, money in, back out and kept."""

    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), primary_key=True,
                            autoincrement=False)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False)
    # When it was received, or asked for while unpaid: the list's date and order.
    at = db.Column(TZDateTime, nullable=False)
    received_at = db.Column(TZDateTime)
    # The first day (Japan time) of the month it was received in.
    month = db.Column(db.Date)
    status = db.Column(db.String(24), nullable=False)
    method = db.Column(db.String(32), nullable=False)
    designation = db.Column(db.String(16), nullable=False)
    campaign_id = db.Column(db.Integer)
    project_id = db.Column(db.Integer)
    amount = db.Column(db.BigInteger, nullable=False)
    paid = db.Column(db.BigInteger, nullable=False)
    refunded = db.Column(db.BigInteger, nullable=False)
    lost = db.Column(db.BigInteger, nullable=False)
    fee = db.Column(db.BigInteger, nullable=False)
    net = db.Column(db.BigInteger, nullable=False)

    __table_args__ = (
        db.CheckConstraint(f"status IN {FACT_STATUSES}", name="status"),
        # Each filter's index is ordered as the list is (newest first, then by id), so a
        # page's ids come from the index in order and OFFSET skips index entries only.
        db.Index("ix_gift_fact_at", "at", "donation_id"),
        db.Index("ix_gift_fact_status_at", "status", "at", "donation_id",
                 postgresql_include=list(TOTALS_INCLUDE)),
        db.Index("ix_gift_fact_campaign_at", "campaign_id", "at", "donation_id"),
        db.Index("ix_gift_fact_project_at", "project_id", "at", "donation_id"),
        db.Index("ix_gift_fact_method_at", "method", "at", "donation_id"),
        # A search's totals and page read the donors' gifts from this index alone.
        db.Index("ix_gift_fact_donor_totals", "donor_id",
                 postgresql_include=["at", "donation_id", *TOTALS_INCLUDE]),
        # Gifts not (yet) received are not in MonthTotal: a list without a search word or a
        # status adds their few rows, read from this partial index, to the kept totals.
        db.Index("ix_gift_fact_unreceived", "at", "donation_id",
                 postgresql_include=[*FILTER_INCLUDE, *TOTALS_INCLUDE],
                 postgresql_where=db.text("month IS NULL OR paid <= 0"),
                 sqlite_where=db.text("month IS NULL OR paid <= 0")),
    )

    def __repr__(self):
        return f"<GiftFact {self.donation_id} {self.status}>"


class MonthTotal(db.Model):
    """Gifts received in one month (Japan time), per destination and method.

    Refunds, lost disputes and fees count in the month their gift was
    received, so a year's net is what the fund keeps of that year's gifts.
    """

    month = db.Column(db.Date, primary_key=True)
    scope = db.Column(db.String(16), primary_key=True)
    scope_id = db.Column(db.Integer, primary_key=True, autoincrement=False)  # 0: general fund
    method = db.Column(db.String(32), primary_key=True)
    gifts = db.Column(db.Integer, nullable=False, default=0)
    received = db.Column(db.BigInteger, nullable=False, default=0)
    refunded = db.Column(db.BigInteger, nullable=False, default=0)
    lost = db.Column(db.BigInteger, nullable=False, default=0)
    fees = db.Column(db.BigInteger, nullable=False, default=0)

    __table_args__ = (db.CheckConstraint(f"scope IN {TOTAL_SCOPES}", name="scope"),)

    @property
    def net(self):
        return self.received - self.refunded - self.lost

    def __repr__(self):
        return f"<MonthTotal {self.month} {self.scope}:{self.scope_id} {self.method}>"
