"""The fund office: sign-in, donations (refunds, settlement), disputes and the mail outbox."""
from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   url_for)

from flask_babel import gettext as _

from fund.core import audit, clock, ratelimit
from fund.core.errors import FundError, NotFound, PaymentUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.core.money import format_yen
from fund.giving import gifts as donations_service
from fund.giving.models import Donation
from fund.payments import disputes, refunds
from fund.web import forms
from fund.web.auth import current_staff, guard, next_step, sign_in, sign_out

bp = Blueprint("office", __name__, url_prefix="/office")
bp.before_request(guard("office"))

PAGE_SIZE = 50
REFUND_ARGS = {"amount": forms.Yen(required=True), "reason": forms.Text(500)}


@bp.context_processor
def _office_context():
    # Office pages show dates as the fund's books keep them: Japan time.
    return {"jst": clock.JST}


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
                target = url_for("office.donations" if user.has_role("office")
                                 else "accountant.index")
            return redirect(next_step(target))  # the second factor first, if any
        error = _("Wrong email or password.")
    return render_template("office/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    sign_out()
    flash("Signed out.")
    return redirect(url_for("office.login"))


@bp.get("/")
def donations():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = donations_service.with_money(db.select(Donation).order_by(Donation.id.desc()))
    rows = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("office/donations.html", rows=rows, staff=current_staff())


@bp.get("/mail")
def outbox():
    rows = db.session.execute(
        db.select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(200)).scalars().all()
    return render_template("office/outbox.html", rows=rows, staff=current_staff())


@bp.get("/donations/<int:donation_id>")
def donation(donation_id):
    return _donation_page(_donation(donation_id))


@bp.post("/donations/<int:donation_id>/refund")
def refund(donation_id):
    gift = _donation(donation_id)
    form = {"amount": request.form.get("amount", ""), "reason": request.form.get("reason", "")}
    try:
        typed = forms.form(REFUND_ARGS)
        row = refunds.request_refund(donation=gift, amount=typed["amount"], reason=typed["reason"],
                                     actor=audit.staff(current_staff()))
    except PaymentUnavailable:
        return _donation_page(gift, form=form, status=503, error=(
            "Stripe could not be reached. The refund is on file as not yet confirmed; "
            "`flask fund stripe-sync` (or the periodic job) sends it again with the same "
            "idempotency key, so it can never be made twice."))
    except ValidationFailed as err:
        return _donation_page(gift, form=form, status=err.status,
                              error="Please check the refund form.", errors=err.errors)
    except FundError as err:
        return _donation_page(gift, form=form, status=err.status, error=err.message,
                              errors=err.errors)
    flash(f"Refund of {format_yen(row.amount)}: {row.state}.")
    return redirect(url_for("office.donation", donation_id=gift.id))


@bp.get("/disputes")
def dispute_list():
    return render_template("office/disputes.html", rows=disputes.open_and_recent(),
                           staff=current_staff())


def _donation(donation_id):
    gift = db.session.get(Donation, donation_id)
    if gift is None:
        raise NotFound("This donation does not exist.")
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
    form = form or {"amount": str(gift.refundable_amount) if gift.refundable_amount else "",
                    "reason": ""}
    return render_template("office/donation.html", d=gift, trail=trail, form=form,
                           error=error, errors=errors or {}, staff=current_staff()), status
