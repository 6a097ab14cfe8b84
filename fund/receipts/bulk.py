"""Bulk receipt work: issuing a year, ZIP exports, annual summaries in bulk.

Each piece of work is a plain function taking a `progress(done, total)`
callback, so the shell (`flask fund receipts …`, click.progressbar) and the
accountant's page (a ReceiptJob row the page polls) run the same code.
With CELERY_BROKER_URL a job is queued for the Celery worker (fund.core.jobs);
without it, it runs in a background thread of the web process;
RECEIPT_JOBS_INLINE runs it in the request (tests).

Rows are created first and committed in small batches, so the year's number
series is locked for milliseconds, not for the whole render; the PDFs are
then rendered in bulk (several receipts per WeasyPrint document, across
processes) and stored write-once (fund.receipts.storage). Each receipt's
mail is queued in the transaction that stores its file and sent after that
commit, so a worker killed at any point leaves no receipt with its file and
without its mail; a receipt left without its file (killed before its render)
is rendered, stored and mailed when the run is started again. Exports read
those stored files: nothing is rendered at export time.
"""
import csv
import io
import logging
import os
import zipfile
from datetime import date
from pathlib import Path

from flask import current_app

from fund.receipts import pdf
from fund.core.errors import FundError, NotFound, ReceiptUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.giving.models import Donation
from fund.receipts.models import (JobState, Receipt, ReceiptFile, ReceiptJob, ReceiptLine,
                                  ReceiptStatus)
from fund.core import audit, csvsafe, jobs, mail
from fund.core import clock
from fund.receipts import annual as receipt_annual
from fund.receipts import desk, holds, storage
from fund.receipts import issuing as receipts
from fund.receipts import notices

log = logging.getLogger(__name__)

COMMIT_EVERY = 100
# Stored files read per query while exporting: bounds memory (~30 KB a receipt).
FILE_BATCH = 200
RECEIPT_JOB = "fund.receipt_job"


def _noop(done, total):
    pass


def workers():
    configured = current_app.config.get("RECEIPT_WORKERS")
    return int(configured) if configured else (os.cpu_count() or 1)


# --- choosing receipts ---------------------------------------------------------

def fiscal_bounds(fiscal_year):
    """Japanese fiscal year: April to March (FY2025 = 2025-04-01 … 2026-03-31)."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def receipt_query(*, year=None, fiscal_year=None, campaign_id=None, status=None, kind=None):
    """Receipts matching the accountant's filters, by number.

    A fiscal year or campaign matches a receipt through its gifts, so an
    annual summary shows in both fiscal years it spans.
    """
    query = db.select(Receipt)
    if year is not None:
        query = query.where(Receipt.year == receipt_annual.check_year(year))
    if fiscal_year is not None:
        start, end = fiscal_bounds(receipt_annual.check_year(fiscal_year))
        query = query.where(Receipt.lines.any(
            (ReceiptLine.received_on >= start) & (ReceiptLine.received_on <= end)))
    if campaign_id is not None:
        query = query.where(Receipt.lines.any(
            ReceiptLine.donation.has(Donation.campaign_id == campaign_id)))
    if status is not None:
        if status not in ("valid", "void"):
            raise ValidationFailed("Status must be valid or void.")
        query = query.where(Receipt.status == status)
    if kind is not None:
        query = query.where(Receipt.kind == kind)
    return query.order_by(Receipt.series_year, Receipt.sequence, Receipt.revision)


# --- issuing a year --------------------------------------------------------------

def issue_year(*, year, actor, progress=_noop):
    """Issue every missing receipt of `year`: per-gift or annual by the donor's choice.

    Returns {"single": n, "annual": m}. Safe to run again: what exists is kept.
    """
    receipt_annual.check_year(year)
    receipts.pdf_check()
    gifts = [g for g in receipt_annual.paid_gifts(year)
             if g.donor.receipt_preference == "per_gift"
             and receipts.covering_receipt(g) is None
             and holds.hold_if_unprintable(donation=g, actor=actor) is None]
    donors = [d for d in receipt_annual.annual_donors(year)
              if not receipt_annual.is_current(d, year)
              and holds.hold_annual_if_unprintable(donor=d, year=year, actor=actor) is None]
    waiting = unrendered(year)  # issued by a run that was stopped before their render
    total = len(waiting) + len(gifts) + len(donors)
    progress(0, total)
    new_ids = list(waiting)
    for index, gift in enumerate(gifts, 1):
        new_ids.append(receipts.issue_for_donation(
            donation=gift, actor=actor, with_hash=False).id)
        if index % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.commit()
    for donor in donors:
        new_ids.append(receipt_annual.issue_annual(
            donor=donor, year=year, actor=actor, commit=False).id)
        db.session.commit()
    fill_hashes(new_ids, lambda done: progress(done, total))
    return {"single": len(gifts), "annual": len(donors)}


def unrendered(year, kind=None):
    """Ids of valid receipts of `year` a bulk run numbered but never rendered and stored."""
    query = db.select(Receipt.id).where(Receipt.year == year,
                                        Receipt.status == ReceiptStatus.VALID,
                                        Receipt.sha256.is_(None))
    if kind is not None:
        query = query.where(Receipt.kind == kind)
    return db.session.execute(query.order_by(Receipt.id)).scalars().all()


def fill_hashes(receipt_ids, progress=lambda done: None):
    """Render receipts in bulk and store each PDF write-once with its SHA-256.

    Each valid receipt's mail joins the transaction that stores its file
    (fund.receipts.notices) and is sent once that commits.
    """
    rows = []
    for start in range(0, len(receipt_ids), 500):
        rows.extend(db.session.execute(db.select(Receipt).where(
            Receipt.id.in_(receipt_ids[start:start + 500])).order_by(Receipt.id)).scalars())
    # Voided meanwhile (a summary brought up to date) or stored by another run: not again.
    rows = [r for r in rows if r.sha256 is None and r.status == ReceiptStatus.VALID]
    pdfs = pdf.render_many([receipts.printable(r) for r in rows], workers=workers())
    for done, (row, data) in enumerate(zip(rows, pdfs), 1):
        row.sha256 = storage.keep(row, data)
        notices.mail_issued(row)
        if done % COMMIT_EVERY == 0:
            _commit_and_send()
            progress(done)
    _commit_and_send()
    progress(len(rows))


def _commit_and_send():
    db.session.commit()
    mail.deliver_committed()


def store_files(*, progress=_noop):
    """Store the file of every receipt that has none yet; returns (stored, refused numbers).

    For receipts issued before files were stored, or whose bulk render never
    came. Each is rendered once: a receipt with no SHA-256 yet gets the render
    and its hash; one whose render no longer matches the SHA-256 recorded at
    issue is not stored, and is reported to the office as a refused download is.
    """
    wanted_kind = db.case((Receipt.status == "void", "void"), else_="issued")
    rows = db.session.execute(db.select(Receipt).where(~db.exists().where(
        ReceiptFile.receipt_id == Receipt.id, ReceiptFile.kind == wanted_kind))
        .order_by(Receipt.id)).scalars().all()
    total, refused = len(rows), []
    progress(0, total)
    pdfs = pdf.render_many([receipts.printable(r) for r in rows], workers=workers())
    for done, (row, data) in enumerate(zip(rows, pdfs), 1):
        expected = row.current_sha256
        if expected and storage.digest(data) != expected:
            refused.append(row.number)
            storage.report(row, data)
        else:
            digest = storage.keep(row, data)
            if row.status == "void":
                row.void_sha256 = digest
            else:
                row.sha256 = digest
            if not expected:  # a bulk run's receipt whose render never came: now mailed
                notices.mail_issued(row)
        if done % COMMIT_EVERY == 0:
            _commit_and_send()
            progress(done, total)
    _commit_and_send()
    progress(total, total)
    return total - len(refused), refused


# --- exports ---------------------------------------------------------------------

def file_name(receipt):
    return f"receipts/{receipt.number}.pdf"


def stored_files(rows, batch=FILE_BATCH):
    """(receipt, bytes) for each receipt, read from storage in batches and checked.

    Nothing is rendered: a receipt without its stored file, or whose file does
    not match its SHA-256, stops the export with a message (and the mismatch
    is reported to the office, as a refused download is).
    """
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        wanted = {(r.id, storage.kind_of(r)): r for r in chunk}
        # Plain rows, not ORM objects: nothing for the session to keep.
        files = {(f.receipt_id, f.kind): f for f in db.session.execute(
            db.select(ReceiptFile.receipt_id, ReceiptFile.kind, ReceiptFile.sha256,
                      ReceiptFile.backend, ReceiptFile.location, ReceiptFile.data)
            .where(ReceiptFile.receipt_id.in_([r.id for r in chunk])))}
        for key, receipt in wanted.items():
            row = files.get(key)
            if row is None:
                raise ReceiptUnavailable(
                    f"Receipt {receipt.number} has no stored file; run "
                    "`flask fund receipts store-files` first.", code="receipt_file_missing")
            yield receipt, storage.checked(receipt, row)
        del files  # let this batch's bytes go before reading the next


def export_zip(*, out, query, window=None, progress=_noop):
    """Write the stored PDFs of `query`'s receipts plus index.csv to a ZIP.

    index.csv is the accountant's CSV (fund.receipts.desk.csv_rows: one row
    per gift, the same columns) with the file's name last. PDFs are stored
    as they are (they are compressed inside); the index is deflated.
    `out` is a path or a binary file. Returns the number of receipts.
    """
    rows = db.session.execute(query).scalars().all()
    total = len(rows)
    progress(0, total)
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerows(desk.csv_rows(query, window=window, file_name=file_name))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, (row, data) in enumerate(stored_files(rows), 1):
            archive.writestr(file_name(row), data)
            if done % 50 == 0 or done == total:
                progress(done, total)
        # UTF-8 with a BOM so that spreadsheet programs read the Japanese names.
        archive.writestr("index.csv", "\ufeff" + index.getvalue(),
                         compress_type=zipfile.ZIP_DEFLATED)
    return total


def annual_bulk(*, year, actor, out, progress=_noop):
    """Issue missing annual summaries of `year`, then export all valid ones."""
    receipt_annual.check_year(year)
    donors = [d for d in receipt_annual.annual_donors(year)
              if not receipt_annual.is_current(d, year)]
    new_ids = list(unrendered(year, kind="annual"))
    for donor in donors:
        new_ids.append(receipt_annual.issue_annual(
            donor=donor, year=year, actor=actor, commit=False).id)
        db.session.commit()
    fill_hashes(new_ids)
    query = receipt_query(year=year, kind="annual", status="valid")
    return export_zip(out=out, query=query, progress=progress)


# --- jobs ------------------------------------------------------------------------

def export_dir():
    path = Path(current_app.config["INSTANCE_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(*, kind, params, staff):
    """Record a job and run it (background thread, or inline when configured)."""
    job = ReceiptJob(kind=kind, params=params, created_by=staff.id if staff else None)
    db.session.add(job)
    db.session.flush()
    audit.record(audit.staff(staff) if staff else audit.SYSTEM, f"receipt_job.{kind}", job,
                 **params)
    db.session.commit()
    jobs.start(RECEIPT_JOB, job.id, inline=current_app.config.get("RECEIPT_JOBS_INLINE"))
    return job


@jobs.task("fund.receipt_job")
def run(job_id):
    """Run one job to the end, keeping its row's progress current."""
    job = db.session.get(ReceiptJob, job_id)
    if job is None:
        raise NotFound("No such job.")
    job.state = JobState.RUNNING
    db.session.commit()
    actor = audit.Actor("staff", str(job.created_by)) if job.created_by else audit.SYSTEM

    def progress(done, total):
        job.done, job.total = done, total
        db.session.commit()

    params = job.params or {}
    try:
        if job.kind == "issue_year":
            counts = issue_year(year=params["year"], actor=actor, progress=progress)
            job.message = f"{counts['single']} receipts and {counts['annual']} annual summaries issued"
        else:
            path = export_dir() / f"receipts-job-{job.id}.zip"
            if job.kind == "annual":
                count = annual_bulk(year=params["year"], actor=actor, out=path,
                                    progress=progress)
            else:
                window = (fiscal_bounds(params["fiscal_year"])
                          if params.get("fiscal_year") is not None else None)
                count = export_zip(out=path, query=receipt_query(**params), window=window,
                                   progress=progress)
            job.result_path = str(path)
            job.message = f"{count} receipts in the ZIP"
        job.state = JobState.DONE
    except FundError as err:
        db.session.rollback()
        job.state, job.message = JobState.FAILED, err.message[:500]
    except Exception as err:  # a job must end visibly, never hang at "running"
        log.exception("receipt job %s failed", job_id)
        db.session.rollback()
        job.state, job.message = JobState.FAILED, f"Unexpected error: {type(err).__name__}"
    job.finished_at = clock.now()
    db.session.commit()
    return job
