"""Donor self-service without a password: a one-time link by email, then the donor's own page.

The session carries only the signed-in address; every row shown or changed is
looked up through it (fund.giving.self_service.own), so a changed id in a URL
reaches nothing of another donor.
"""
import time

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext

from fund.core import audit, ratelimit
from fund.core.errors import FundError, PaymentUnavailable, ValidationFailed
from fund.core.i18n import locale
from fund.core.signing import LinkExpired, LinkInvalid, public_url
from fund.donors import postal
from fund.donors import services as donor_services
from fund.giving import self_service
from fund.giving.models import Pledge
from fund.giving import pledges
from fund.payments.stripe import api as gateway
from fund.receipts import interim
from fund.receipts import issuing as receipts
from fund.receipts.models import Receipt
from fund.web import forms

bp = Blueprint("donor", __name__, url_prefix="/my")

OPEN_ENDPOINTS = ("donor.sign_in", "donor.request_link", "donor.follow_link")


def signed_in_email():
    """The address this browser signed in with, while the session is fresh."""
    email, since = session.get("donor_email"), session.get("donor_seen", 0)
    minutes = current_app.config["DONOR_SESSION_MINUTES"]
    if not email or time.time() - since > minutes * 60:
        return None
    return email


@bp.before_request
def require_donor():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if signed_in_email() is None:
        session.pop("donor_email", None)
        return redirect(url_for("donor.sign_in"))
    session["donor_seen"] = time.time()
    return None


@bp.get("/sign-in")
def sign_in():
    return render_template("donor/sign_in.html", email="", error=None)


@bp.post("/sign-in")
def request_link():
    email = (request.form.get("email") or "").strip()
    cfg = current_app.config
    rule = cfg["DONOR_SIGN_IN_RATE_LIMIT"]
    if not (ratelimit.hit("donor-sign-in", request.remote_addr, rule)
            and ratelimit.hit("donor-sign-in-email", donor_services.normalize_email(email), rule)):
        return render_template("donor/sign_in.html", email=email, error=gettext(
            "Too many requests. Please wait a few minutes and try again.")), 429
    if "@" not in email or len(email) > 254:
        return render_template("donor/sign_in.html", email=email, error=gettext(
            "Please enter a valid email address.")), 422
    donor_services.request_sign_in(
        email=email, lang=locale(),
        link_for=lambda token: public_url(url_for("donor.follow_link", token=token)))
    # The same answer whether or not the address is known, with the address as we read it.
    return render_template("donor/sent.html", email=donor_services.normalize_email(email))


@bp.get("/sign-in/<token>")
def follow_link(token):
    try:
        email = donor_services.sign_in_with(token)
    except LinkExpired:
        return render_template("donor/sign_in.html", email="", error=gettext(
            "This link has expired. Ask for a new one below.")), 410
    except LinkInvalid:
        return render_template("donor/sign_in.html", email="", error=gettext(
            "This link is not valid or was already used. Ask for a new one below.")), 403
    session.pop("staff_id", None)
    session["donor_email"], session["donor_seen"] = email, time.time()
    return redirect(url_for("donor.home"))


@bp.post("/sign-out")
def sign_out():
    session.pop("donor_email", None)
    return redirect(url_for("public.home"))


@bp.get("/")
def home():
    return _home()


@bp.get("/receipts/<int:receipt_id>.pdf")
def receipt_pdf(receipt_id):
    receipt = self_service.own(Receipt, receipt_id, signed_in_email())
    return Response(receipts.pdf_bytes(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.number}.pdf"',
        "Cache-Control": "private, no-store",
    })


@bp.get("/donors/<int:donor_id>/interim.pdf")
def interim_statement(donor_id):
    """This year's gifts so far (途中経過): not a receipt, for the donor's own records."""
    donor = self_service.own_donor(donor_id, signed_in_email())
    return Response(interim.interim_pdf(donor=donor, lang=locale()), mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="interim-statement.pdf"',
                             "Cache-Control": "private, no-store"})


def _home(errors=None, status=200):
    cfg = current_app.config
    return render_template("donor/home.html", view=self_service.overview(signed_in_email()),
                           offline=gateway.is_offline(), errors=errors or {},
                           prefectures=postal.PREFECTURES, min_amount=cfg["DONATION_MIN_AMOUNT"],
                           max_amount=cfg["DONATION_MAX_AMOUNT"]), status


@bp.post("/donors/<int:donor_id>/address")
def address(donor_id):
    donor = self_service.own_donor(donor_id, signed_in_email())
    form = request.form
    try:
        donor_services.update_address(
            donor=donor, postal_code=form.get("postal_code"), address=form.get("address"),
            prefecture=form.get("prefecture", ""), city=form.get("city", ""),
            street=form.get("street", ""), building=form.get("building", ""),
            receipt_delivery=form.get("receipt_delivery") or None,
            actor=audit.donor(donor.id), lang=locale())
    except ValidationFailed as err:
        return _home({donor.id: err.errors}, status=422)
    flash(gettext("Your address is updated. Receipts already issued keep the address they show."))
    return redirect(url_for("donor.home"))


@bp.post("/donors/<int:donor_id>/mail")
def mail_preferences(donor_id):
    donor = self_service.own_donor(donor_id, signed_in_email())
    donor_services.set_mail_preferences(
        donor=donor, wants_news=bool(request.form.get("wants_news")),
        wants_reports=bool(request.form.get("wants_reports")), actor=audit.donor(donor.id))
    flash(gettext("Your mail choices are saved."))
    return redirect(url_for("donor.home"))


@bp.post("/pledges/<int:pledge_id>/amount")
def pledge_amount(pledge_id):
    pledge = self_service.own(Pledge, pledge_id, signed_in_email())
    try:
        amount = forms.form({"amount": forms.Yen(required=True)})["amount"]
        self_service.change_pledge_amount(
            pledge=pledge, amount=amount, lang=locale(),
            min_amount=current_app.config["DONATION_MIN_AMOUNT"],
            max_amount=current_app.config["DONATION_MAX_AMOUNT"])
    except PaymentUnavailable:
        flash(gettext("We could not reach the payment service. Nothing changed; please try again."))
        return redirect(url_for("donor.home"))
    except FundError as err:  # out of range, already stopped, or Stripe refused: nothing changed
        flash(err.message)
        return redirect(url_for("donor.home"))
    flash(gettext("Your monthly gift is changed from the next payment on."))
    return redirect(url_for("donor.home"))


@bp.post("/pledges/<int:pledge_id>/cancel")
def pledge_cancel(pledge_id):
    pledge = self_service.own(Pledge, pledge_id, signed_in_email())
    try:
        pledges.cancel(pledge=pledge, actor=audit.donor(pledge.donor_id))
    except FundError as err:
        flash(err.message)
        return redirect(url_for("donor.home"))
    flash(gettext("Your monthly gift has stopped. Thank you for your support."))
    return redirect(url_for("donor.home"))


@bp.post("/pledges/<int:pledge_id>/card")
def pledge_card(pledge_id):
    pledge = self_service.own(Pledge, pledge_id, signed_in_email())
    try:
        url = self_service.card_update_url(pledge=pledge,
                                           return_url=public_url(url_for("donor.home")))
    except FundError as err:
        flash(err.message)
        return redirect(url_for("donor.home"))
    return redirect(url)
