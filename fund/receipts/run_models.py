"""The receipt season's runs: the January annual summaries and the filing reminder.

A ReceiptRun is one run per kind and year, its progress kept on the row
(`cursor`: the last donor handled, in id order). Each batch of donors is
issued, mailed and counted in one transaction under the row's lock, so a run
killed at any point continues where its last commit left it.
"""
from enum import StrEnum

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow

RUN_KINDS = ("january", "reminder")


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATES = tuple(state.value for state in RunState)


class ReceiptRun(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    # The year of the receipts (January 2027's run issues the summaries of 2026).
    year = db.Column(db.Integer, nullable=False)
    state = db.Column(db.String(8), nullable=False, default=RunState.RUNNING.value)
    total = db.Column(db.Integer, nullable=False, default=0)
    done = db.Column(db.Integer, nullable=False, default=0)
    issued = db.Column(db.Integer, nullable=False, default=0)
    mailed = db.Column(db.Integer, nullable=False, default=0)
    cursor = db.Column(db.Integer, nullable=False, default=0)
    # How many times a run was started again after stopping (killed, failed).
    resumed = db.Column(db.Integer, nullable=False, default=0)
    message = db.Column(db.String(500))
    started_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    finished_at = db.Column(TZDateTime)

    __table_args__ = (
        db.UniqueConstraint("kind", "year", name="uq_receipt_run_kind_year"),
        db.CheckConstraint(f"kind IN {RUN_KINDS}", name="kind"),
        db.CheckConstraint(f"state IN {RUN_STATES}", name="state"),
    )

    @property
    def percent(self):
        if self.state == RunState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self):
        return f"<ReceiptRun {self.kind} {self.year} {self.state} {self.done}/{self.total}>"


class ReceiptReminder(db.Model):
    """A receipt whose donor was reminded to open it before 確定申告: once (the key)."""

    receipt_id = db.Column(db.Integer, db.ForeignKey("receipt.id"), primary_key=True,
                           autoincrement=False)
    reminded_at = db.Column(TZDateTime, nullable=False, default=utcnow)
