"""Receipts (寄附金受領証明書): immutable snapshots, numbered per calendar year.

Everything printed is copied onto the row when the receipt is issued; the PDF
is rendered from the row alone, so the same receipt always renders the same.
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow

class ReceiptStatus(StrEnum):
    """Valid, or void (kept on file, its PDF stamped 無効). A void receipt never becomes valid."""

    VALID = "valid"
    VOID = "void"


RECEIPT_TRANSITIONS = {ReceiptStatus.VALID: {ReceiptStatus.VOID}, ReceiptStatus.VOID: set()}
KINDS = ("single", "annual")


class ReceiptSeries(db.Model):
    """The last number handed out in one calendar year's series.

    Incremented in the same transaction as the receipt insert, under a row
    lock, so numbers are unique and gapless: a rollback returns the number.
    """

    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    last_number = db.Column(db.Integer, nullable=False, default=0)


class Receipt(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    series_year = db.Column(db.Integer, nullable=False)
    sequence = db.Column(db.Integer, nullable=False)
    # 1 for the original, 2, 3 … for reissues under the same number.
    revision = db.Column(db.Integer, nullable=False, default=1)
    number = db.Column(db.String(32), nullable=False, unique=True)
    kind = db.Column(db.String(8), nullable=False, default="single")
    status = db.Column(db.String(8), nullable=False, default=ReceiptStatus.VALID.value)
    language = db.Column(db.String(4), nullable=False, default="ja")
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    # Snapshot of what is printed.
    donor_kind = db.Column(db.String(16), nullable=False)
    donor_name = db.Column(db.String(200), nullable=False)
    donor_representative = db.Column(db.String(200))
    donor_postal_code = db.Column(db.String(16))
    donor_address = db.Column(db.String(500), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="JPY")
    received_on = db.Column(db.Date, nullable=False)
    year = db.Column(db.Integer, nullable=False)
    purpose = db.Column(db.String(300))
    issuer_name = db.Column(db.String(200), nullable=False)
    issuer_address = db.Column(db.String(300), nullable=False)
    issuer_representative = db.Column(db.String(200), nullable=False)
    # Printed from wording 2026.2 on (NULL on receipts issued before): the issuing
    # office and how to reach it, and the institute's 法人番号 (13 digits).
    issuer_office = db.Column(db.String(200))
    issuer_phone = db.Column(db.String(40))
    issuer_email = db.Column(db.String(254))
    issuer_corporate_number = db.Column(db.String(13))
    issued_on = db.Column(db.Date, nullable=False)
    # Path of the seal image printed, if any (configuration at issue time).
    issuer_seal = db.Column(db.String(500))
    issued_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    # SHA-256 of the PDF as issued; after a void, of the PDF stamped 無効.
    sha256 = db.Column(db.String(64))
    void_sha256 = db.Column(db.String(64))
    voided_at = db.Column(TZDateTime)
    void_reason = db.Column(db.String(500))
    replaces_id = db.Column(db.Integer, db.ForeignKey("receipt.id"))
    # Why a reissue replaced the receipt it names (printed beside its number).
    reissue_reason = db.Column(db.String(500))
    # The first time the donor opened its link (who still needs a reminder).
    opened_at = db.Column(TZDateTime)

    lines = db.relationship("ReceiptLine", back_populates="receipt", order_by="ReceiptLine.id")
    replaces = db.relationship("Receipt", remote_side="Receipt.id")
    donor = db.relationship("Donor")

    __table_args__ = (
        db.UniqueConstraint("series_year", "sequence", "revision", name="uq_receipt_number_parts"),
        db.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        db.CheckConstraint("status IN ('valid', 'void')", name="status"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        # One valid annual summary per donor and year.
        db.Index("uq_receipt_valid_annual", "donor_id", "year", unique=True,
                 sqlite_where=db.text("kind = 'annual' AND status = 'valid'"),
                 postgresql_where=db.text("kind = 'annual' AND status = 'valid'")),
        db.Index("ix_receipt_received_on", "received_on"),
    )

    @property
    def is_reissue(self):
        return self.revision > 1

    @property
    def current_sha256(self):
        """The hash of the PDF one downloads now (stamped 無効 once void)."""
        return self.void_sha256 if self.status == ReceiptStatus.VOID else self.sha256

    def __repr__(self):
        return f"<Receipt {self.number} {self.status}>"


class ReceiptLine(db.Model):
    """One gift covered by a receipt.

    `active` mirrors the receipt's validity so that a partial unique index can
    enforce that a gift is on at most one valid receipt at any time.
    """

    id = db.Column(db.Integer, primary_key=True)
    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"), nullable=False, index=True)
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    received_on = db.Column(db.Date, nullable=False)
    purpose = db.Column(db.String(300))
    active = db.Column(db.Boolean, nullable=False, default=True)

    receipt = db.relationship("Receipt", back_populates="lines")
    donation = db.relationship("Donation")

    __table_args__ = (
        db.Index("uq_receipt_line_active_donation", "donation_id", unique=True,
                 sqlite_where=db.text("active"), postgresql_where=db.text("active")),
    )


JOB_KINDS = ("issue_year", "export", "annual")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

JOB_STATES = tuple(state.value for state in JobState)


class ReceiptJob(db.Model):
    """Long receipt work (a year's issuing, a ZIP export) and its progress.

    The accountant's page polls this row; the same code runs it from the
    shell, in a background thread or in a worker.
    """

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    state = db.Column(db.String(8), nullable=False, default=JobState.QUEUED.value)
    total = db.Column(db.Integer, nullable=False, default=0)
    done = db.Column(db.Integer, nullable=False, default=0)
    message = db.Column(db.String(500))
    # The file a finished export wrote (under the instance folder).
    result_path = db.Column(db.String(500))
    created_by = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    finished_at = db.Column(TZDateTime)

    __table_args__ = (
        db.CheckConstraint(f"kind IN {JOB_KINDS}", name="kind"),
        db.CheckConstraint(f"state IN {JOB_STATES}", name="state"),
    )

    @property
    def percent(self):
        if self.state == JobState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self):
        return f"<ReceiptJob {self.id} {self.kind} {self.state} {self.done}/{self.total}>"



FILE_KINDS = ("issued", "void")


class ReceiptFile(db.Model):
    """The PDF bytes of a receipt exactly as issued (and, once void, as stamped 無効).

    Written once, when the receipt is issued or voided, and never rewritten:
    downloads serve these bytes, checked against `sha256`, and never a fresh
    render. `data` holds the bytes with the database backend; with the S3
    backend it is empty and `location` names the object (fund/receipts/storage.py).
    On PostgreSQL a trigger refuses UPDATE and DELETE of these rows.
    """

    id = db.Column(db.Integer, primary_key=True)
    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"), nullable=False)
    kind = db.Column(db.String(8), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    backend = db.Column(db.String(8), nullable=False, default="db")
    location = db.Column(db.String(500))
    data = db.deferred(db.Column(db.LargeBinary))
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    receipt = db.relationship("Receipt")

    __table_args__ = (
        db.UniqueConstraint("receipt_id", "kind", name="uq_receipt_file_receipt_kind"),
        db.CheckConstraint(f"kind IN {FILE_KINDS}", name="kind"),
        db.CheckConstraint("backend IN ('db', 's3')", name="backend"),
    )

    def __repr__(self):
        return f"<ReceiptFile {self.receipt_id} {self.kind} {self.sha256[:12]}>"


class ReceiptHold(db.Model):
    """A receipt that waits for the office: the donor's name or address has a
    character no installed font can print, so issuing it would print 〓.

    kind "single": a gift's receipt (`donation_id`); kind "annual": a donor's
    annual summary of `year` (no gift), held by the January run.
    Released (`released_at`) once the office corrected the donor's details
    and the receipt was issued; a gift, or a donor's year, has at most one
    open hold.
    """

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False, default="single", server_default="single")
    year = db.Column(db.Integer)
    donation_id = db.Column(db.Integer, db.ForeignKey("donation.id"), index=True)
    donor_id = db.Column(db.Integer, db.ForeignKey("donor.id"), nullable=False, index=True)
    # The characters that cannot be printed, as found ("𠮷").
    characters = db.Column(db.String(200), nullable=False)
    field = db.Column(db.String(32), nullable=False)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    released_at = db.Column(TZDateTime)
    released_by = db.Column(db.String(64))
    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"))

    donation = db.relationship("Donation")
    donor = db.relationship("Donor")
    receipt = db.relationship("Receipt")

    __table_args__ = (
        db.Index("uq_receipt_hold_open_donation", "donation_id", unique=True,
                 sqlite_where=db.text("released_at IS NULL"),
                 postgresql_where=db.text("released_at IS NULL")),
        db.Index("uq_receipt_hold_open_annual", "donor_id", "year", unique=True,
                 sqlite_where=db.text("released_at IS NULL AND kind = 'annual'"),
                 postgresql_where=db.text("released_at IS NULL AND kind = 'annual'")),
    )

    @property
    def is_open(self):
        return self.released_at is None

    @property
    def codepoints(self):
        return ", ".join(f"U+{ord(ch):04X}" for ch in self.characters)

    def __repr__(self):
        target = f"annual={self.year}" if self.kind == "annual" else f"donation={self.donation_id}"
        return f"<ReceiptHold {target} donor={self.donor_id} {self.characters!r}>"
