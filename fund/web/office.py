"""The fund office: sign-in, donations (find, total, export, refund with confirmation), disputes.

Office staff and admins use every page; accountants read the donation list,
a gift's page and the CSV export, and change nothing.
"""
from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _

from fund.core import audit, ratelimit
from fund.core.errors import FundError, NotFound, PaymentUnavailable
from fund.core.extensions import db
from fund.core.i18n import locale
from fund.core.models import AuditEntry, OutboundEmail
from fund.core.money import format_yen
from fund.giving.models import Donation
from fund.office import export, refund_preview, search
from fund.payments import disputes, refunds
from fund.receipts import issuing
from fund.web import forms
from fund.web.auth import current_staff, guard, next_step, sign_in, sign_out
from fund.web.office_access import READERS, destination_choices, office_only
from fund.web.staff_text import status_label

bp = Blueprint("office", __name__, url_prefix="/office")
bp.before_request(guard(*READERS))

REFUND_ARGS = {"amount": forms.Yen(), "reason": forms.Text(500)}
SEARCH_ARGS = {"q": forms.Text(200), "status": forms.Choice(search.FACT_STATUSES),
               "destination": forms.Text(40), "method": forms.Choice(search.METHODS),
               "from": forms.Day(), "to": forms.Day(), "fy": forms.Number(), "page": forms.Number()}


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        if not ratelimit.hit("login", request.remote_addr, current_app.config["LOGIN_RATE_LIMIT"]):
            error = _("Too many sign-in attempts; please wait a few minutes.")
            return render_template("office/login.html", error=error), 429
        user = sign_in(request.form.get("email"), request.form.get("password"))
        if user is not None:
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("office_dashboard.index" if user.has_role("office")
                                 else "accountant.index")
            return redirect(next_step(target))  # the second factor first, if any
        error = _("Wrong email or password.")
    return render_template("office/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    sign_out()
    flash(_("Signed out."))
    return redirect(url_for("office.login"))


def _filters():
    """The list's filters from the query string; a malformed one raises ValidationFailed."""
    args = forms.query(SEARCH_ARGS)
    filters = search.Filters(q=args["q"] or None, status=args["status"],
                             destination=args["destination"] or None, method=args["method"],
                             date_from=args["from"], date_to=args["to"], fiscal_year=args["fy"])
    return search.check(filters, locale()), args["page"] or 1


@bp.get("/donations")
def donations():
    try:
        filters, page = _filters()
    except FundError as err:
        return render_template("office/donations.html", result=None, error=err.message,
                               errors=err.errors, args=request.args,
                               destinations=destination_choices()), err.status
    result = search.search(filters, page=page)
    return render_template("office/donations.html", result=result, error=None, errors={},
                           args=request.args, destinations=destination_choices(),
                           labels=_row_labels(result))


def _row_labels(result):
    """The word of each status and method on this page, translated once per page."""
    values = {fact.status for fact, _gift, _donor in result.rows}
    values |= {fact.method for fact, _gift, _donor in result.rows}
    return {value: status_label(value) for value in values}


@bp.get("/donations.csv")
def donations_csv():
    """Every matching gift as CSV (UTF-8 with BOM), streamed: constant memory at any size."""
    try:
        filters, _page = _filters()
    except FundError as err:
        return render_template("office/donations.html", result=None, error=err.message,
                               errors=err.errors, args=request.args,
                               destinations=destination_choices()), err.status
    lang = locale()
    audit.record(audit.staff(current_staff()), "donations.exported", current_staff(),
                 filters=filters.as_args())
    db.session.commit()
    response = Response(stream_with_context(export.csv_chunks(filters, lang)),
                        mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="donations.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/donations/<int:donation_id>")
def donation(donation_id):
    return _donation_page(_donation(donation_id))


@bp.post("/donations/<int:donation_id>/refund/confirm")
@office_only
def confirm_refund(donation_id):
    """Step 1: show what the refund will do; nothing is changed yet."""
    gift = _donation(donation_id)
    form = {"amount": request.form.get("amount", ""), "reason": request.form.get("reason", "")}
    try:
        typed = forms.form(REFUND_ARGS)
        preview = refund_preview.preview(donation=gift, amount=typed["amount"],
                                         reason=typed["reason"], lang=locale())
    except FundError as err:
        return _donation_page(gift, form=form, status=err.status, error=err.message,
                              errors=err.errors)
    return render_template("office/refund_confirm.html", d=gift, preview=preview)


@bp.post("/donations/<int:donation_id>/refund")
@office_only
def refund(donation_id):
    """Step 2: the confirmed refund is made (checked again under a lock)."""
    gift = _donation(donation_id)
    form = {"amount": request.form.get("amount", ""), "reason": request.form.get("reason", "")}
    if request.form.get("confirmed") != "yes":
        return _donation_page(gift, form=form, status=400,
                              error=_("Confirm the refund on the confirmation page first."))
    try:
        typed = forms.form(REFUND_ARGS)
        refund_preview.preview(donation=gift, amount=typed["amount"], reason=typed["reason"],
                               lang=locale())
        row = refunds.request_refund(donation=gift, amount=typed["amount"], reason=typed["reason"],
                                     actor=audit.staff(current_staff()))
    except PaymentUnavailable:
        return _donation_page(gift, form=form, status=503, error=_(
            "Stripe could not be reached. The refund is on file as not yet confirmed; it is "
            "sent again with the same idempotency key by the periodic job, so it can never "
            "be made twice."))
    except FundError as err:
        return _donation_page(gift, form=form, status=err.status, error=err.message,
                              errors=err.errors)
    flash(_("Refund of %(amount)s: %(state)s.", amount=format_yen(row.amount),
            state=status_label(row.state)))
    return redirect(url_for("office.donation", donation_id=gift.id))


@bp.get("/disputes")
@office_only
def dispute_list():
    return render_template("office/disputes.html", rows=disputes.open_and_recent())


def _donation(donation_id):
    gift = db.session.get(Donation, donation_id)
    if gift is None:
        raise NotFound(_("This donation does not exist."))
    return gift


def _donation_page(gift, form=None, status=200, error=None, errors=None):
    db.session.rollback()  # show what is committed, not what a refused request left
    gift = db.session.get(Donation, gift.id)
    subjects = [("donation", gift.id)]
    for payment in gift.payments:
        subjects.append(("payment", payment.id))
        subjects += [("refund", r.id) for r in payment.refunds]
        subjects += [("dispute", d.id) for d in payment.disputes]
    trail = db.session.execute(
        db.select(AuditEntry).where(db.tuple_(AuditEntry.subject_type, AuditEntry.subject_id)
                                    .in_(subjects)).order_by(AuditEntry.id)).scalars().all()
    mails = db.session.execute(
        db.select(OutboundEmail).where(OutboundEmail.donation_id == gift.id)
        .order_by(OutboundEmail.id)).scalars().all()
    # The amount is never filled in for the clerk: a refund is typed on purpose.
    form = form or {"amount": "", "reason": ""}
    return render_template("office/donation.html", d=gift, trail=trail, form=form, mails=mails,
                           receipt=issuing.covering_receipt(gift), error=error,
                           errors=errors or {}), status
