"""The January run: every annual-summary donor's 年間寄附金受領証明書 for the year just ended, mailed.

Donors who prefer one summary a year (monthly supporters and whoever chose
it) get theirs in early January (from RECEIPT_JANUARY_DAY, Japan time); donors
who chose a receipt per gift already have theirs. The periodic task starts
the run and, should a worker die, the next beat continues it; `flask fund
receipts january --year` does the same by hand.

How it survives being killed: the run is one ReceiptRun row per year. Each
batch of donors (RECEIPT_JANUARY_BATCH) is taken under that row's lock, after
its cursor (the last donor id handled); the summaries are numbered, their PDFs
hashed, their mails put in the outbox and the cursor moved, all in one
transaction. A process killed mid-batch loses that transaction whole, the
numbers it took included (the series is gapless); the next run takes the same
donors again. Two runners at once queue on the lock and never take a donor
twice. A batch's summaries are rendered on worker processes started once for
the run (RECEIPT_WORKERS, fund.receipts.pdf.Renderer), as laid-out pages of one
WeasyPrint document per worker; the parent waits for them inside the batch's
transaction, so what is committed together stays the same. A donor whose summary is already current (issued by the office) is
counted and not mailed again. A donor whose name or address no font prints
gets a ReceiptHold for the year's summary instead (fund.receipts.holds), in
the batch's transaction; releasing it issues and mails the summary.
"""
import logging
from datetime import timedelta

from flask import current_app

from fund.core import audit, clock, jobs, mail
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.receipts import annual, bulk, holds, issuing, pdf, storage
from fund.receipts import mail as receipt_mail
from fund.receipts.run_models import ReceiptRun, RunState

log = logging.getLogger(__name__)

TASK = "fund.receipt_january"
KIND = "january"


def _noop(done, total):
    pass


def due_year(today=None):
    """The year whose summaries the periodic task should issue today, or None."""
    today = today or clock.today_jst()
    if today.month == 1 and today.day >= current_app.config["RECEIPT_JANUARY_DAY"]:
        return today.year - 1
    return None


@jobs.task(TASK, every=timedelta(hours=1))
def scheduled(today=None):
    """Beat: start or continue the run in January; nothing once it is done."""
    year = due_year(today)
    if year is None:
        return None
    existing = find(year)
    if existing is not None and existing.state == RunState.DONE:
        return None
    return run(year=year).id


def start(*, year):
    """The office's button: check the year, then run (or continue) it in the background."""
    annual.check_finished(year)
    issuing.pdf_check()
    db.session.rollback()
    jobs.start(RUN_TASK, year, inline=current_app.config.get("RECEIPT_JOBS_INLINE"))


@jobs.task("fund.receipt_january_year")
def run_year(year):
    """The background job behind the office's button (the same run as the beat's)."""
    return run(year=year).id


RUN_TASK = "fund.receipt_january_year"


def all_runs():
    return db.session.execute(db.select(ReceiptRun).order_by(ReceiptRun.year.desc(),
                                                             ReceiptRun.kind)).scalars().all()


def last_finished_year():
    return clock.today_jst().year - 1


def find(year):
    return db.session.execute(db.select(ReceiptRun).filter_by(kind=KIND, year=year)
                              ).scalar_one_or_none()


def candidates(year):
    """Ids of the donors who get an annual summary of `year`, in order."""
    return [donor.id for donor in annual.annual_donors(year)]


def _start(year, total):
    """The run's row, created once (a unique key), marked running again if resumed. Commits."""
    row = find(year)
    if row is None:
        row = ReceiptRun(kind=KIND, year=year, state=RunState.RUNNING, total=total)
        db.session.add(row)
        try:
            db.session.flush()
            audit.record(audit.SYSTEM, "receipt_run.started", row, kind=KIND, year=year,
                         total=total)
            db.session.commit()
            return row
        except Exception:  # another runner made it first: use theirs
            db.session.rollback()
            row = find(year)
    row = _locked(row.id)
    if row.state != RunState.DONE:
        if row.state != RunState.RUNNING or row.done:
            row.resumed += 1
        row.state, row.total, row.message = RunState.RUNNING, max(total, row.total), None
        row.updated_at = clock.now()
    db.session.commit()
    return row


def _locked(run_id):
    return db.session.execute(
        db.select(ReceiptRun).where(ReceiptRun.id == run_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def run(*, year, actor=audit.SYSTEM, progress=_noop, batch=None):
    """Issue and mail the annual summaries of `year`; resumes a stopped run. Returns the row."""
    annual.check_finished(year)
    issuing.pdf_check()
    batch = batch or current_app.config["RECEIPT_JANUARY_BATCH"]
    ids = candidates(year)
    db.session.rollback()
    row = _start(year, len(ids))
    run_id = row.id
    progress(row.done, row.total)
    try:
        # Worker processes for the whole run (RECEIPT_WORKERS): each batch's summaries
        # are rendered on them while the batch's transaction waits (pdf.Renderer).
        with pdf.Renderer(_workers(len(ids) - row.done, batch)) as renderer:
            while _one_batch(run_id, year, ids, batch, actor, progress, renderer):
                pass
    except FundError as err:
        db.session.rollback()
        _fail(run_id, err.message)
        raise
    except Exception as err:
        db.session.rollback()
        log.exception("January run %s stopped", year)
        _fail(run_id, f"Unexpected error: {type(err).__name__}")
        raise
    return db.session.get(ReceiptRun, run_id)


def _workers(left, batch):
    """Render processes for a run with `left` donors to go: none for a single batch
    (starting them costs more than they save)."""
    return bulk.workers() if left > batch else 1


def _fail(run_id, message):
    row = _locked(run_id)
    row.state, row.message, row.updated_at = RunState.FAILED, message[:500], clock.now()
    db.session.commit()


def _one_batch(run_id, year, ids, size, actor, progress, renderer):
    """Handle the next donors after the cursor in one transaction; False when none are left."""
    row = _locked(run_id)
    if row.state == RunState.DONE:
        db.session.rollback()
        return False
    todo = [donor_id for donor_id in ids if donor_id > row.cursor][:size]
    if not todo:
        row.state, row.finished_at = RunState.DONE, clock.now()
        row.updated_at, row.done = row.finished_at, row.total
        held = len(holds.open_annual_holds(year))
        row.message = f"{row.issued} annual summaries issued and mailed" + (
            f"; {held} held for the office (a character cannot be printed)" if held else "")
        audit.record(actor, "receipt_run.done", row, kind=KIND, year=year, issued=row.issued,
                     held=held)
        db.session.commit()
        return False
    summaries = []
    donors = db.session.execute(db.select(Donor).where(Donor.id.in_(todo))
                                .order_by(Donor.id)).scalars().all()
    for donor in donors:
        if annual.is_current(donor, year):
            continue  # the office issued it already and sent its link
        if holds.hold_annual_if_unprintable(donor=donor, year=year, actor=actor):
            continue  # never 〓: the office sees the hold, and releasing it issues the summary
        summaries.append(annual.issue_annual(donor=donor, year=year, actor=actor,
                                             commit=False))
    for summary, data in zip(summaries, renderer.render(
            [issuing.printable(s) for s in summaries])):
        summary.sha256 = storage.keep(summary, data)  # the bytes as issued, write-once
        receipt_mail.queue_receipt_mail(summary)
    row.cursor = todo[-1]
    row.done = sum(1 for donor_id in ids if donor_id <= row.cursor)
    row.issued += len(summaries)
    row.mailed += len(summaries)
    row.updated_at = clock.now()
    db.session.commit()
    mail.deliver_committed()
    progress(row.done, row.total)
    return True
