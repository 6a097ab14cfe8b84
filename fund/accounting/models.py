"""Where the books meet the outside world: bank statements, Stripe's records, the accountants.

Imported lines are kept exactly as the bank or Stripe gave them; what a person
decided about a line (matched to a gift or payout, or dismissed with a reason)
is recorded on it once, with who and when, and audited. Money itself moves
only through the ledger's entries.
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow


class BankAccount(db.Model):
    """One of the institute's bank accounts: the ledger's `bank:<slug>`, and how its CSV reads."""

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(40), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    # {field: header name} as fund.accounting.bank_csv reads it; empty until the first import.
    mapping = db.Column(db.JSON, nullable=False, default=dict)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    @property
    def ledger_account(self):
        return f"bank:{self.slug}"

    def __repr__(self):
        return f"<BankAccount {self.slug}>"


class BankStatement(db.Model):
    """One uploaded statement file; its SHA-256 makes a second upload of it a refusal."""

    id = db.Column(db.Integer, primary_key=True)
    bank_account_id = db.Column(db.Integer, db.ForeignKey("bank_account.id"), nullable=False,
                                index=True)
    filename = db.Column(db.String(255), nullable=False, default="")
    sha256 = db.Column(db.String(64), nullable=False, unique=True)
    encoding = db.Column(db.String(16), nullable=False)
    lines = db.Column(db.Integer, nullable=False, default=0)
    # Lines an earlier, overlapping statement already brought in.
    skipped = db.Column(db.Integer, nullable=False, default=0)
    first_on = db.Column(db.Date)
    last_on = db.Column(db.Date)
    imported_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    bank_account = db.relationship("BankAccount")

    def __repr__(self):
        return f"<BankStatement {self.id} {self.filename!r}>"


class LineState(StrEnum):
    UNMATCHED = "unmatched"
    MATCHED = "matched"
    DISMISSED = "dismissed"


LINE_TRANSITIONS = {
    LineState.UNMATCHED: {LineState.MATCHED, LineState.DISMISSED},
    LineState.MATCHED: set(),
    LineState.DISMISSED: set(),
}
LINE_STATES = tuple(state.value for state in LineState)
MATCH_KINDS = ("gift", "payout")


class BankLine(db.Model):
    """One deposit or withdrawal on a statement, and what a person decided it is."""

    id = db.Column(db.Integer, primary_key=True)
    statement_id = db.Column(db.Integer, db.ForeignKey("bank_statement.id"), nullable=False,
                             index=True)
    bank_account_id = db.Column(db.Integer, db.ForeignKey("bank_account.id"), nullable=False)
    row = db.Column(db.Integer, nullable=False)
    booked_on = db.Column(db.Date, nullable=False)
    description = db.Column(db.String(500), nullable=False, default="")
    payer = db.Column(db.String(200), nullable=False, default="")
    payer_key = db.Column(db.String(200), nullable=False, default="")
    deposit = db.Column(db.BigInteger, nullable=False, default=0)
    withdrawal = db.Column(db.BigInteger, nullable=False, default=0)
    balance = db.Column(db.BigInteger)
    # The same line in an overlapping later statement has the same fingerprint.
    fingerprint = db.Column(db.String(64), nullable=False)
    state = db.Column(db.String(16), nullable=False, default=LineState.UNMATCHED.value)
    match_kind = db.Column(db.String(16))
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), unique=True)
    payout_id = db.Column(db.Integer, db.ForeignKey("stripe_payout.id"), unique=True)
    dismiss_reason = db.Column(db.String(500))
    decided_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    decided_at = db.Column(TZDateTime)

    statement = db.relationship("BankStatement")
    bank_account = db.relationship("BankAccount")
    payment = db.relationship("Payment")
    payout = db.relationship("StripePayout")

    __table_args__ = (
        db.UniqueConstraint("bank_account_id", "fingerprint", name="uq_bank_line_fingerprint"),
        db.CheckConstraint(f"state IN {LINE_STATES}", name="state"),
        db.CheckConstraint("deposit >= 0 AND withdrawal >= 0", name="amounts_not_negative"),
        db.CheckConstraint(
            "(state = 'matched' AND ((match_kind = 'gift' AND payment_id IS NOT NULL)"
            " OR (match_kind = 'payout' AND payout_id IS NOT NULL)))"
            " OR (state = 'dismissed' AND dismiss_reason IS NOT NULL)"
            " OR (state = 'unmatched' AND payment_id IS NULL AND payout_id IS NULL)",
            name="decision"),
        db.Index("ix_bank_line_open", "state", "bank_account_id", "booked_on"),
    )

    def __repr__(self):
        return f"<BankLine {self.id} {self.booked_on} +{self.deposit} -{self.withdrawal}>"


# --- Stripe ---------------------------------------------------------------------


class PayoutState(StrEnum):
    OPEN = "open"
    RECONCILED = "reconciled"  # every line matched, marked by a person: never reopened


PAYOUT_TRANSITIONS = {PayoutState.OPEN: {PayoutState.RECONCILED}, PayoutState.RECONCILED: set()}
PAYOUT_STATES = tuple(state.value for state in PayoutState)


class StripePayout(db.Model):
    """A payout of the Stripe balance to the bank, as Stripe reported it."""

    id = db.Column(db.Integer, primary_key=True)
    stripe_payout_id = db.Column(db.String(64), nullable=False, unique=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    stripe_status = db.Column(db.String(32), nullable=False, default="")
    arrival_on = db.Column(db.Date)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    state = db.Column(db.String(16), nullable=False, default=PayoutState.OPEN.value)
    reconciled_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    reconciled_at = db.Column(TZDateTime)

    txns = db.relationship("StripeTxn", back_populates="payout", order_by="StripeTxn.created")

    __table_args__ = (db.CheckConstraint(f"state IN {PAYOUT_STATES}", name="state"),)

    def __repr__(self):
        return f"<StripePayout {self.stripe_payout_id} {self.amount} {self.state}>"


TXN_MATCHES = ("matched", "differs", "unknown", "payout")


class StripeTxn(db.Model):
    """One Stripe balance transaction and the row of ours it stands for."""

    id = db.Column(db.Integer, primary_key=True)
    stripe_txn_id = db.Column(db.String(64), nullable=False, unique=True)
    type = db.Column(db.String(32), nullable=False, default="")
    reporting_category = db.Column(db.String(48), nullable=False, default="")
    amount = db.Column(db.BigInteger, nullable=False)
    fee = db.Column(db.BigInteger, nullable=False, default=0)
    net = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    created = db.Column(TZDateTime, nullable=False, index=True)
    available_on = db.Column(TZDateTime)
    source_id = db.Column(db.String(64), nullable=False, default="", index=True)
    payout_id = db.Column(db.Integer, db.ForeignKey("stripe_payout.id"), index=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payment.id"), index=True)
    refund_id = db.Column(db.Integer, db.ForeignKey("refund.id"), index=True)
    dispute_id = db.Column(db.Integer, db.ForeignKey("dispute.id"), index=True)
    match = db.Column(db.String(16), nullable=False, default="unknown")
    difference = db.Column(db.String(300), nullable=False, default="")
    imported_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    payout = db.relationship("StripePayout", back_populates="txns")
    payment = db.relationship("Payment")
    refund = db.relationship("Refund")
    dispute = db.relationship("Dispute")

    __table_args__ = (db.CheckConstraint(f"match IN {TXN_MATCHES}", name="match"),)

    def __repr__(self):
        return f"<StripeTxn {self.stripe_txn_id} {self.reporting_category} {self.amount}>"


class StripeImport(db.Model):
    """One reading of Stripe's records: from the API since a date, or an uploaded report.

    An uploaded report's SHA-256 is unique, so the same file is refused twice.
    """

    id = db.Column(db.Integer, primary_key=True)
    source = db.Column(db.String(8), nullable=False)
    sha256 = db.Column(db.String(64), unique=True)
    filename = db.Column(db.String(255), nullable=False, default="")
    since = db.Column(TZDateTime)
    rows = db.Column(db.Integer, nullable=False, default=0)
    imported_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.CheckConstraint("source IN ('api', 'report')", name="source"),)

    def __repr__(self):
        return f"<StripeImport {self.id} {self.source}>"


# --- the accountants' journal ---------------------------------------------------


class AccountMapping(db.Model):
    """Our account or category -> the 勘定科目 and 補助科目 of the accountants' books.

    `key` is a ledger account (`fund:project:quantum-scalpel-magnet`, `stripe`,
    `bank:main`, `cash`), a family of them (`fund:*`, `bank:*`) or a category
    of expense or revenue (`expense:fee`, `expense:spend`, `asset:fixed`,
    `revenue:gift`). The most specific key wins; the office edits the rows.
    """

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(120), nullable=False, unique=True)
    account = db.Column(db.String(60), nullable=False)
    sub_account = db.Column(db.String(60), nullable=False, default="")
    tax = db.Column(db.String(30), nullable=False, default="対象外")
    updated_at = db.Column(TZDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<AccountMapping {self.key} -> {self.account}/{self.sub_account}>"


JOURNAL_FORMATS = ("plain", "yayoi")


class JournalExport(db.Model):
    """A journal file handed to the accountants: what it held, so it can be checked later."""

    id = db.Column(db.Integer, primary_key=True)
    fiscal_year = db.Column(db.Integer, nullable=False)
    format = db.Column(db.String(16), nullable=False)
    rows = db.Column(db.Integer, nullable=False)
    total = db.Column(db.BigInteger, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    replaced = db.Column(db.Integer, nullable=False, default=0)
    exported_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.CheckConstraint(f"format IN {JOURNAL_FORMATS}", name="format"),)
