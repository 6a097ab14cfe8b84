"""Donor-facing pages: home, donation form, 3-D Secure step, thank-you, receipt link."""
import secrets

from flask import (Blueprint, Response, abort, current_app, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from marshmallow import ValidationError

from fund.core.errors import (Conflict, FundError, NotFound, PaymentDeclined, PaymentUnavailable,
                              ValidationFailed)
from fund.campaigns import services as campaign_services
from fund.core import audit, clock, ratelimit
from fund.donors import postal
from fund.core.i18n import gettext_for, locale
from fund.core.money import format_yen
from fund.giving import async_methods
from fund.giving import card, pledges
from fund.giving import gifts as donations
from fund.giving import totals as campaigns
from fund.giving.schemas import ERROR_TEXTS, DonationCreateSchema
from fund.payments import instructions as payment_instructions
from fund.payments.stripe import api as gateway
from fund.receipts import issuing as receipts
from fund.receipts import links

bp = Blueprint("public", __name__)

FORM_FIELDS = ("destination", "amount_choice", "amount_other", "donor_kind", "company_name",
               "representative", "name", "name_kana", "email", "postal_code", "address",
               "phone", "wants_receipt", "publish_name", "message", "payment_method",
               "frequency", "receipt_preference")


@bp.get("/")
def home():
    campaign_list, progress, projects = campaigns.listing()
    return render_template("public/home.html", campaigns=campaign_list, progress=progress,
                           projects=projects)


@bp.get("/postal-codes/<code>.json")
def postal_code(code):
    """The address a 郵便番号 points to, for the donation form's lookup."""
    found = postal.lookup(code)
    if found is None:
        return jsonify(code="not_found", status=404, message=_("No address for this postal code."),
                       errors={}), 404
    return jsonify(found)


@bp.get("/donors")
def donors():
    """芳名録: the donors who chose to be named, for the whole fund or one campaign."""
    campaign = None
    slug = request.args.get("campaign")
    if slug:
        campaign = campaign_services.campaign_by_slug(slug)
        if campaign is None:
            abort(404, description=_("This destination does not exist or no longer accepts gifts."))
    listing = campaigns.donor_list(campaign)
    return render_template("public/donors.html", campaign=campaign, listing=listing)


def _form_page(values, errors=None, payment_error=None, status=200):
    cfg = current_app.config
    lang = locale()
    now = clock.now()
    campaign_list, projects = campaign_services.destinations(now)
    try:
        destination = donations.resolve_destination(values.get("destination"), lang)
    except NotFound:  # an unknown destination is shown as an error on the form
        destination = donations.resolve_destination("general", lang)
        errors = dict(errors or {})
        errors.setdefault("destination", _("This destination does not exist or no longer accepts gifts."))
    return render_template(
        "public/donate.html", values=values, errors=errors or {}, payment_error=payment_error,
        destination=destination, destination_title=destination.title(lang),
        campaigns=[c for c in campaign_list if c.is_open(now)],
        projects=projects, presets=cfg["DONATION_PRESETS"], min_amount=cfg["DONATION_MIN_AMOUNT"],
        max_amount=cfg["DONATION_MAX_AMOUNT"], stripe_js=gateway.js_url(),
        stripe_key=cfg["STRIPE_PUBLISHABLE_KEY"], offline=gateway.is_offline(),
        methods=async_methods.available_methods(), konbini_min=async_methods.KONBINI_MIN,
        konbini_max=async_methods.KONBINI_MAX,
    ), status


@bp.get("/donate")
def donate_form():
    values = {"destination": request.args.get("to", "general"), "donor_kind": "individual",
              "amount_choice": "5000", "wants_receipt": "y", "payment_method": "card",
              "frequency": "once", "receipt_preference": "per_gift",
              "checkout_key": secrets.token_urlsafe(24)}
    return _form_page(values)


def _translate_errors(messages):
    cfg = current_app.config
    params = {"min": f"{cfg['DONATION_MIN_AMOUNT']:,}", "max": f"{cfg['DONATION_MAX_AMOUNT']:,}"}
    out = {}
    for field, problems in messages.items():
        if field == "_schema" or not isinstance(problems, list):
            continue
        key = problems[0] if problems else "error.required"
        if key == "error.too_long":
            out[field] = str(ERROR_TEXTS[key]) % {"max": DonationCreateSchema.max_length(field)}
        elif key in ERROR_TEXTS:
            out[field] = str(ERROR_TEXTS[key]) % params
        else:  # unknown field or marshmallow's own message
            out[field] = _("Please choose one of the options.")
    return out


@bp.post("/donate")
def donate():
    cfg = current_app.config
    values = {key: request.form.get(key, "") for key in FORM_FIELDS}
    data_in = {key: value for key, value in values.items() if value != ""}
    # Kept through error pages: a resubmission of this form resumes its donation.
    checkout_key = request.form.get("checkout_key", "").strip()[:64] or secrets.token_urlsafe(24)
    values["checkout_key"] = checkout_key
    for flag in ("wants_receipt", "publish_name"):
        data_in[flag] = bool(request.form.get(flag))
    schema = DonationCreateSchema(min_amount=cfg["DONATION_MIN_AMOUNT"],
                                  max_amount=cfg["DONATION_MAX_AMOUNT"])
    try:
        data = schema.load_form(data_in)
    except ValidationError as err:
        return _form_page(values, _translate_errors(err.messages), status=422)
    if not ratelimit.hit("donate", request.remote_addr, cfg["DONATION_RATE_LIMIT"]):
        return _form_page(values, payment_error=_("Too many attempts from your connection. Please wait a few minutes and try again."), status=429)
    if data["payment_method"] not in async_methods.available_methods():
        return _form_page(values, {"payment_method": _("This payment method is not available here.")},
                          status=422)
    if data["payment_method"] != "card":
        return _async_donation(values, data)
    token = request.form.get("card_token", "").strip()
    if not token:
        return _form_page(values, {"card": _("Please enter your card details.")}, status=422)
    if data["frequency"] == "monthly":
        return _monthly_donation(values, data, token)
    try:
        payment = card.start_card_donation(data=data, card_token=token, lang=locale(),
                                                checkout_key=checkout_key)
    except PaymentDeclined:
        # A new attempt with another card is a new checkout.
        values["checkout_key"] = secrets.token_urlsafe(24)
        return _form_page(values, payment_error=_("Your card was declined. Please try another card."), status=402)
    except PaymentUnavailable:
        # "Try again" sends the same token under the same checkout key, so Stripe
        # replays what it may already have done instead of charging again.
        values["card_token"] = token
        return _form_page(values, payment_error=_("We could not reach the payment service. You have not been charged twice; please try again."),
                          status=503)
    except Conflict as err:
        values["checkout_key"] = secrets.token_urlsafe(24)
        return _form_page(values, payment_error=err.message, status=409)
    donation = payment.donation
    if donations.needs_action(payment):
        return redirect(url_for("public.authenticate", public_id=donation.public_id))
    return redirect(url_for("public.thanks", public_id=donation.public_id))


def _async_donation(values, data):
    """Konbini or bank transfer: instructions now, the gift once the money arrives."""
    try:
        payment = async_methods.start_async_donation(
            data=data, method=data["payment_method"], lang=locale())
    except ValidationFailed as err:
        return _form_page(values, {key: err.message for key in err.errors}, status=422)
    except PaymentUnavailable:
        return _form_page(values, payment_error=_("We could not reach the payment service. You have not been charged twice; please try again."),
                          status=503)
    except FundError:
        return _form_page(values, payment_error=_("This payment method is not available here."),
                          status=402)
    return redirect(url_for("public.pay", public_id=payment.donation.public_id))


def _monthly_donation(values, data, token):
    """マンスリーサポーター: a Stripe subscription; the first month is charged now."""
    if gateway.is_offline():
        return _form_page(values, {"frequency": _("This payment method is not available here.")},
                          status=422)
    try:
        pledge = pledges.start_pledge(data=data, card_token=token, lang=locale())
    except ValidationFailed as err:
        return _form_page(values, {key: err.message for key in err.errors}, status=422)
    except PaymentDeclined:
        return _form_page(values, payment_error=_("Your card was not accepted, so monthly giving has not started. Please try another card."), status=402)
    except PaymentUnavailable:
        return _form_page(values, payment_error=_("We could not reach the payment service. You have not been charged twice; please try again."),
                          status=503)
    if pledge.donations:
        return redirect(url_for("public.thanks", public_id=pledge.donations[0].public_id))
    # First invoice not recorded yet (its webhook will): thank them for the pledge itself.
    return render_template("public/pledge_thanks.html", pledge=pledge,
                           amount=format_yen(pledge.amount))


@bp.get("/donations/<public_id>/pay")
def pay(public_id):
    """Konbini code or bank account, until the money arrives or the deadline passes."""
    donation = donations.donation_by_public_id(public_id)
    payment = next((p for p in reversed(donation.payments)
                    if p.method in ("konbini", "bank_transfer")), None)
    if payment is None:
        return redirect(url_for("public.thanks", public_id=public_id))
    instructions = payment_instructions.instructions_for(payment)
    lang = locale()
    return render_template(
        "public/pay.html", donation=donation, payment=payment, instructions=instructions,
        amount=format_yen(payment.amount), status=donation.status,
        expires=async_methods.expires_text(instructions, lang) if instructions else None,
        store_names=async_methods.STORE_NAMES)


@bp.route("/pledges/cancel/<token>", methods=["GET", "POST"])
def cancel_pledge(token):
    """The signed link in every pledge mail: GET asks, POST stops the monthly gift."""
    pledge = pledges.pledge_from_token(token, locale())
    lang = pledge.locale
    done, status = False, 200
    if request.method == "POST":
        try:
            pledges.cancel(pledge=pledge, actor=audit.donor(pledge.donor_id))
            done = True
        except Conflict:
            status = 409
    closed = not done and pledge.status in ("canceled", "failed")
    return render_template(
        "public/pledge_cancel.html", pledge=pledge, token=token, done=done, closed=closed,
        amount=format_yen(pledge.amount),
        purpose=pledge.purpose(lang) or gettext_for(lang, "General fund (unrestricted)")), status


@bp.get("/donations/<public_id>/authenticate")
def authenticate(public_id):
    donation = donations.donation_by_public_id(public_id)
    payment = donation.payments[-1]
    if not donations.needs_action(payment):
        return redirect(url_for("public.thanks", public_id=public_id))
    return render_template("public/authenticate.html", donation=donation,
                           client_secret=card.authentication(payment), stripe_js=gateway.js_url(),
                           stripe_key=current_app.config["STRIPE_PUBLISHABLE_KEY"])


@bp.get("/donations/<public_id>/return")
def authentication_return(public_id):
    """Where the browser comes back after 3-D Secure: Stripe, not the browser, decides."""
    donation = donations.donation_by_public_id(public_id)
    payment = donation.payments[-1]
    try:
        payment = card.refresh_from_stripe(payment, audit.donor(donation.donor_id))
    except PaymentUnavailable:
        pass  # the webhook or stripe-sync settles it; the thank-you page says pending
    if donations.needs_action(payment) and request.args.get("failed"):
        return redirect(url_for("public.thanks", public_id=public_id, auth="failed"))
    return redirect(url_for("public.thanks", public_id=public_id))


@bp.get("/thanks/<public_id>")
def thanks(public_id):
    donation = donations.donation_by_public_id(public_id)
    payment = donation.payments[-1] if donation.payments else None
    auth_failed = request.args.get("auth") == "failed" or (
        payment is not None and payment.state == "failed"
        and payment.failure_code == "payment_intent_authentication_failure")
    return render_template("public/thanks.html", donation=donation, payment=payment,
                           amount=format_yen(donation.amount), auth_failed=auth_failed,
                           status=donation.status)


@bp.get("/r/<token>")
def receipt_pdf(token):
    """A donor's receipt through the signed link in their email."""
    try:
        receipt = links.receipt_from_token(token)
    except links.LinkExpired:
        abort(410, description=_("This link has expired. Please contact the QST Future Fund office."))
    except links.LinkInvalid:
        abort(403, description=_("This link is not valid."))
    return Response(receipts.pdf_bytes(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.number}.pdf"',
        "Cache-Control": "private, no-store",
    })
