"""The office's ledger: balances, allocations to projects, spends, approvals, reversals.

Pages only: each write calls one service of fund.ledger (allocations, spends,
reversals) and redirects, or shows the form again with the service's message.
Office staff and admins request; only an admin who did not make a request
approves or rejects it; accountants read.
"""
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.campaigns.models import Campaign, Project
from fund.core import clock
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.core.i18n import locale
from fund.core.money import format_yen
from fund.ledger import accounts, allocations, approval, reversals, spends
from fund.ledger.models import Account, Allocation, Entry, Spend
from fund.web import forms
from fund.web.auth import current_staff, guard
from fund.web.office_access import READERS, office_only

bp = Blueprint("office_ledger", __name__, url_prefix="/office/ledger")
bp.before_request(guard(*READERS))

ALLOCATE_ARGS = {"source": forms.Text(120), "project_id": forms.Number(), "amount": forms.Yen(),
                 "memo": forms.Text(500)}
SPEND_ARGS = {"project_id": forms.Number(), "vendor": forms.Text(200),
              "invoice_number": forms.Text(100), "spent_on": forms.Day(), "amount": forms.Yen(),
              "memo": forms.Text(500), "fixed_asset": forms.Flag()}
DECIDE_ARGS = {"note": forms.Text(500)}
REVERSE_ARGS = {"reason": forms.Text(500)}


def admin_only(view):
    """Refuse (403) anyone but admins: approving and rejecting requests."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        user = current_staff()
        if user is None or user.role != "admin":
            abort(403, description=_("Only an admin can approve or reject a request."))
        return view(*args, **kwargs)
    return wrapped


@bp.context_processor
def _context():
    return {"staff": current_staff(), "threshold": approval.threshold(),
            "state_text": lambda state: approval.state_text(state, locale())}


def _sources():
    general = accounts.general()
    rows = [(general.code, _("General fund"), general.balance)]
    for campaign in db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars():
        if campaign.project_id is not None:
            pool = accounts.for_campaign(campaign)
            rows.append((pool.code, campaign.title(locale()), pool.balance))
    return rows


def _projects(open_only):
    query = db.select(Project).order_by(Project.id)
    return [p for p in db.session.execute(query).scalars() if p.is_open or not open_only]


@bp.get("/")
def index():
    held = db.session.execute(db.select(Account).order_by(Account.kind, Account.code)).scalars()
    latest = db.session.execute(db.select(Entry).order_by(Entry.id.desc()).limit(30)).scalars()
    return render_template("office/ledger/books.html", accounts=list(held),
                           allocations=allocations.pending(), spends=spends.pending(),
                           latest=list(latest))


def _allocate_form(values, *, status=200, error=None, errors=None):
    db.session.rollback()
    page = render_template("office/ledger/allocate.html", values=values, error=error,
                           errors=errors or {}, sources=_sources(), projects=_projects(True))
    db.session.rollback()  # the accounts made to list them are not kept by a page
    return page, status


@bp.get("/allocate")
@office_only
def allocate_form():
    return _allocate_form({"source": request.args.get("source", accounts.GENERAL)})


@bp.post("/allocate")
@office_only
def allocate():
    values = dict(request.form)
    try:
        data = forms.form(ALLOCATE_ARGS)
        row = allocations.allocate(source=data["source"] or accounts.GENERAL,
                                   project=data["project_id"], amount=data["amount"],
                                   memo=data["memo"], staff=current_staff(), lang=locale())
    except FundError as err:
        return _allocate_form(values, status=err.status, error=err.message, errors=err.errors)
    if row.is_pending:
        flash(_("Allocation of %(amount)s requested: an admin other than you approves it.",
                amount=format_yen(row.amount)))
    else:
        flash(_("Allocation of %(amount)s booked.", amount=format_yen(row.amount)))
    return redirect(url_for("office_ledger.index"))


def _spend_form(values, *, status=200, error=None, errors=None):
    db.session.rollback()
    projects = _projects(False)
    held = {p.id: accounts.for_project(p).balance for p in projects}
    page = render_template("office/ledger/spend.html", values=values, error=error,
                           errors=errors or {}, projects=projects, held=held,
                           limit_mb=spends.attachment_limit() // (1024 * 1024))
    db.session.rollback()
    return page, status


@bp.get("/spend")
@office_only
def spend_form():
    return _spend_form({"spent_on": clock.today_jst().strftime("%Y/%m/%d")})


@bp.post("/spend")
@office_only
def spend():
    values = dict(request.form)
    try:
        data = forms.form(SPEND_ARGS)
        sent = request.files.get("attachment")
        attachment = (sent.filename, sent.read()) if sent is not None and sent.filename else None
        row = spends.record_spend(project=data["project_id"], vendor=data["vendor"],
                                  invoice_number=data["invoice_number"],
                                  spent_on=data["spent_on"], amount=data["amount"],
                                  memo=data["memo"], fixed_asset=data["fixed_asset"],
                                  attachment=attachment, staff=current_staff(), lang=locale())
    except FundError as err:
        return _spend_form(values, status=err.status, error=err.message, errors=err.errors)
    if row.is_pending:
        flash(_("Spend of %(amount)s requested: an admin other than you approves it.",
                amount=format_yen(row.amount)))
    else:
        flash(_("Spend of %(amount)s booked.", amount=format_yen(row.amount)))
    return redirect(url_for("office_ledger.index"))


def _decide(service, row_id, done):
    try:
        note = forms.form(DECIDE_ARGS)["note"]
        service(row_id, staff=current_staff(), note=note, lang=locale())
    except FundError as err:
        flash(err.message)
        return redirect(url_for("office_ledger.index"))
    flash(done)
    return redirect(url_for("office_ledger.index"))


@bp.post("/allocations/<int:allocation_id>/approve")
@admin_only
def approve_allocation(allocation_id):
    return _decide(allocations.approve, allocation_id, _("Allocation approved and booked."))


@bp.post("/allocations/<int:allocation_id>/reject")
@admin_only
def reject_allocation(allocation_id):
    return _decide(allocations.reject, allocation_id, _("Allocation rejected."))


@bp.post("/spends/<int:spend_id>/approve")
@admin_only
def approve_spend(spend_id):
    return _decide(spends.approve, spend_id, _("Spend approved and booked."))


@bp.post("/spends/<int:spend_id>/reject")
@admin_only
def reject_spend(spend_id):
    return _decide(spends.reject, spend_id, _("Spend rejected."))


def _entry(entry_id):
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    return entry


def _source_row(entry):
    if entry.source_type == Allocation.__tablename__:
        return db.session.get(Allocation, entry.source_id)
    if entry.source_type == Spend.__tablename__:
        return db.session.get(Spend, entry.source_id)
    return None


@bp.get("/entries/<int:entry_id>")
def entry(entry_id):
    row = _entry(entry_id)
    return render_template("office/ledger/entry.html", entry=row, source=_source_row(row),
                           problem=reversals.problem(row, locale()))


@bp.get("/entries/<int:entry_id>/reverse")
@office_only
def confirm_reverse(entry_id):
    row = _entry(entry_id)
    return render_template("office/ledger/reverse.html", entry=row, values={}, errors={},
                           error=reversals.problem(row, locale()))


@bp.post("/entries/<int:entry_id>/reverse")
@office_only
def reverse(entry_id):
    try:
        reason = forms.form(REVERSE_ARGS)["reason"]
        reversal = reversals.reverse(entry_id, staff=current_staff(), reason=reason,
                                     lang=locale())
    except FundError as err:
        row = _entry(entry_id)
        return render_template("office/ledger/reverse.html", entry=row, error=err.message,
                               errors=err.errors, values=dict(request.form)), err.status
    flash(_("Entry %(id)s reversed by entry %(by)s.", id=entry_id, by=reversal.id))
    return redirect(url_for("office_ledger.entry", entry_id=reversal.id))


@bp.get("/spends/<int:spend_id>/invoice.pdf")
def invoice(spend_id):
    row = db.session.get(Spend, spend_id)
    if row is None or row.attachment is None:
        abort(404)
    return row.attachment, 200, {
        "Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"attachment; filename=invoice-{row.id}.pdf"}
