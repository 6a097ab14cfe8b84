"""The accountant's desk: receipts by year, fiscal year, campaign and status;
one PDF, a period as a ZIP with a CSV index, annual summaries in bulk.

Long work runs as a ReceiptJob (fund/receipts/bulk.py); the job page
polls its JSON for the progress bar.
"""
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, \
    send_file, url_for

from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.campaigns.models import Campaign
from fund.receipts.models import Receipt, ReceiptJob
from fund.receipts import bulk as receipt_jobs
from fund.receipts import annual as receipt_annual
from fund.receipts import desk
from fund.receipts import issuing as receipts
from fund.web import forms
from fund.web.auth import current_staff, guard

bp = Blueprint("accountant", __name__, url_prefix="/accountant")
bp.before_request(guard("accountant"))

PAGE_SIZE = 100
FILTERS = ("year", "fiscal_year", "campaign_id", "status", "kind")


FILTER_ARGS = {
    "year": forms.Number(), "fiscal_year": forms.Number(), "campaign_id": forms.Number(),
    "status": forms.Choice(("valid", "void")), "kind": forms.Choice(("single", "annual")),
}
YEAR_ARGS = {"year": forms.Number()}


@bp.get("/")
def index():
    filters = forms.query(FILTER_ARGS)
    query = receipt_jobs.receipt_query(**filters)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    totals = desk.totals(query, window=_window(filters))
    campaigns = db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars().all()
    jobs = db.session.execute(
        db.select(ReceiptJob).order_by(ReceiptJob.id.desc()).limit(10)).scalars().all()
    args = {k: v for k, v in filters.items() if v is not None}
    return render_template("accountant/index.html", rows=rows, filters=filters, args=args,
                           totals=totals, campaigns=campaigns, jobs=jobs,
                           staff=current_staff())


def _window(filters):
    """A fiscal year counts each gift by its own date received."""
    if filters.get("fiscal_year") is None:
        return None
    return receipt_jobs.fiscal_bounds(filters["fiscal_year"])


@bp.get("/receipts.csv")
def receipts_csv():
    filters = forms.query(FILTER_ARGS)
    if filters.get("year") is None and filters.get("fiscal_year") is None:
        raise ValidationFailed("Choose a calendar year or a fiscal year to export.",
                               errors={"year": ["required"]})
    text = desk.csv_text(receipt_jobs.receipt_query(**filters), window=_window(filters))
    period = (f"FY{filters['fiscal_year']}" if filters.get("fiscal_year") is not None
              else str(filters["year"]))
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="receipts-{period}.csv"',
        "Cache-Control": "private, no-store",
    })


@bp.get("/receipts/<int:receipt_id>.pdf")
def receipt_pdf(receipt_id):
    receipt = db.session.get(Receipt, receipt_id) or abort(404)
    return Response(receipts.pdf_bytes(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{receipt.number}.pdf"',
        "Cache-Control": "private, no-store",
    })


@bp.post("/exports")
def export():
    filters = {k: v for k, v in forms.form(FILTER_ARGS).items() if v is not None}
    if not filters.get("year") and not filters.get("fiscal_year"):
        raise ValidationFailed("Choose a calendar year or a fiscal year to export.",
                               errors={"year": ["required"]})
    job = receipt_jobs.start(kind="export", params=filters, staff=current_staff())
    return redirect(url_for("accountant.job", job_id=job.id))


@bp.post("/annual")
def annual():
    year = forms.form(YEAR_ARGS)["year"]
    if year is None:
        raise ValidationFailed("Choose the calendar year of the summaries.",
                               errors={"year": ["required"]})
    receipt_annual.check_finished(year)
    job = receipt_jobs.start(kind="annual", params={"year": year}, staff=current_staff())
    return redirect(url_for("accountant.job", job_id=job.id))


@bp.post("/issue")
def issue():
    year = forms.form(YEAR_ARGS)["year"]
    if year is None:
        raise ValidationFailed("Choose the year to issue.", errors={"year": ["required"]})
    job = receipt_jobs.start(kind="issue_year", params={"year": year}, staff=current_staff())
    return redirect(url_for("accountant.job", job_id=job.id))


def _job(job_id):
    return db.session.get(ReceiptJob, job_id) or abort(404)


@bp.get("/jobs/<int:job_id>")
def job(job_id):
    return render_template("accountant/job.html", job=_job(job_id), staff=current_staff())


@bp.get("/jobs/<int:job_id>.json")
def job_status(job_id):
    job = _job(job_id)
    db.session.refresh(job)
    return jsonify(id=job.id, kind=job.kind, state=job.state, done=job.done, total=job.total,
                   percent=job.percent, message=job.message,
                   download=url_for("accountant.job_download", job_id=job.id)
                   if job.state == "done" and job.result_path else None)


@bp.get("/jobs/<int:job_id>/download")
def job_download(job_id):
    job = _job(job_id)
    if job.state != "done" or not job.result_path or not Path(job.result_path).is_file():
        abort(404, description="This job has no file to download (yet).")
    name = f"receipts-{job.kind}-{'-'.join(str(v) for v in job.params.values())}.zip"
    return send_file(job.result_path, mimetype="application/zip", as_attachment=True,
                     download_name=name)
