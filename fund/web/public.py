"""Donor-facing pages: home, the giving form, 3-D Secure step, thank-you, receipt link.

The giving form keeps whatever the donor typed through every round trip: a
refused field, a declined card, a language switch, a retry after a failed
3-D Secure. Only the card is asked again (Stripe holds it, never our pages).
Fields are checked as the donor types through /donate/check, which changes
nothing, so the card element is not emptied by a mistake in another field.
"""
import secrets

from flask import (Blueprint, Response, abort, current_app, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from marshmallow import ValidationError

from fund.campaigns import rewards
from fund.campaigns import services as campaign_services
from fund.core import audit, clock, ratelimit
from fund.core.errors import (Conflict, FundError, NotFound, PaymentDeclined, PaymentUnavailable,
                              ValidationFailed)
from fund.core.i18n import LANGUAGES, gettext_for, locale
from fund.core.money import format_yen
from fund.core.pagecache import cached
from fund.core.signing import public_url
from fund.donors import postal
from fund.donors import services as donor_services
from fund.giving import async_methods, card, pledges
from fund.giving import gifts as donations
from fund.giving import totals as campaigns
from fund.giving.schemas import ERROR_TEXTS, DonationCreateSchema
from fund.payments import instructions as payment_instructions
from fund.payments.stripe import api as gateway
from fund.receipts import issuing as receipts
from fund.receipts import links
from fund.receipts import mail as receipt_mail

bp = Blueprint("public", __name__)

FORM_FIELDS = ("destination", "amount_choice", "amount_other", "donor_kind", "company_name",
               "representative", "name", "name_kana", "email", "postal_code", "prefecture",
               "city", "street", "building", "phone", "wants_receipt", "receipt_delivery",
               "publish_name", "agree_privacy", "wants_news", "message", "payment_method",
               "frequency", "receipt_preference", "reward_tier")
FLAGS = ("wants_receipt", "publish_name", "agree_privacy", "wants_news")
# How many of this browser's recent gifts it may see again with their details (retry, thanks).
REMEMBERED_GIFTS = 5


@bp.app_context_processor
def fund_contact():
    """The office's contact, in every page's footer."""
    cfg = current_app.config
    return {"contact": {"email": cfg["FUND_CONTACT_EMAIL"], "phone": cfg["FUND_CONTACT_PHONE"],
                        "address": cfg["FUND_CONTACT_ADDRESS"]}}


def _remember_gift(donation):
    """This browser started the gift: it may refill the form from it and see its address."""
    kept = [pid for pid in session.get("gifts", []) if pid != donation.public_id]
    session["gifts"] = (kept + [donation.public_id])[-REMEMBERED_GIFTS:]


def _own_gift(donation):
    return donation.public_id in session.get("gifts", [])


@bp.app_errorhandler(CSRFError)
def session_lost(err):
    """A form sent from a page whose session has gone (expired, cookies cleared, a new tab).

    The giving form comes back with everything typed and a fresh token; any other
    form gets the error page in the visitor's language.
    """
    message = _("This page had been open for too long, so it was not sent. Please check it and send it again.")
    if request.endpoint in ("public.donate", "public.donate_language"):
        return _form_page(_typed_values(), payment_error=message, status=400)
    return render_template("error.html", status=400, message=message), 400


@bp.get("/")
def home():
    """Campaigns with their progress, and projects. What shows below the header is the
    same for every visitor in one language: rendered once per language and kept in this
    worker for PUBLIC_PAGE_CACHE_SECONDS (fund.core.pagecache), so a gift, a new
    campaign or an ended one shows within that bound."""
    def make():
        campaign_list, progress, projects = campaigns.listing()
        return Markup(render_template("public/_home_body.html", campaigns=campaign_list,
                                      progress=progress, projects=projects))
    return render_template("public/home.html", body=cached(("home", locale()), make))


@bp.get("/privacy")
def privacy():
    """プライバシーポリシー: what the fund keeps about a donor, why, and for how long."""
    return render_template("public/privacy.html")


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


# --- the giving form --------------------------------------------------------------

def _presets(destination, lang):
    """The amount tiles: the office's amounts for this destination, each with what it
    does (「¥3,000で試料1件を分析」), else the fund's usual amounts."""
    owner = destination.campaign or destination.project
    if owner is not None and owner.presets:
        return [{"amount": p.amount, "does": p.label(lang)} for p in owner.presets]
    return [{"amount": amount, "does": None}
            for amount in current_app.config["DONATION_PRESETS"]]


def _amount_values(values, amount, destination, lang):
    """Select the tile of `amount`, or type it into "other"."""
    if str(amount) in {str(p["amount"]) for p in _presets(destination, lang)}:
        values["amount_choice"], values["amount_other"] = str(amount), ""
    else:
        values["amount_choice"], values["amount_other"] = "other", str(amount)
    return values


def _form_page(values, errors=None, payment_error=None, status=200, notice=None):
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
    presets = _presets(destination, lang)
    offered = [str(p["amount"]) for p in presets]
    if values.get("amount_choice") not in offered + ["other"]:
        # The amount chosen for another destination: this one's middle tile, or what was typed.
        if values.get("amount_choice", "").isdigit() and values.get("amount_choice") != "5000":
            values = dict(values, amount_other=values["amount_choice"], amount_choice="other")
        else:
            values = dict(values, amount_choice=offered[min(1, len(offered) - 1)])
    return render_template(
        "public/donate.html", values=values, errors=errors or {}, payment_error=payment_error,
        notice=notice, destination=destination, destination_title=destination.title(lang),
        campaigns=[c for c in campaign_list if c.is_open(now)], projects=projects,
        presets=presets, min_amount=cfg["DONATION_MIN_AMOUNT"],
        tiers=rewards.tiers_with_remaining(destination.campaign) if destination.campaign else [],
        max_amount=cfg["DONATION_MAX_AMOUNT"], stripe_js=gateway.js_url(),
        stripe_key=cfg["STRIPE_PUBLISHABLE_KEY"], offline=gateway.is_offline(),
        methods=async_methods.available_methods(), konbini_min=async_methods.KONBINI_MIN,
        konbini_max=async_methods.KONBINI_MAX, prefectures=postal.PREFECTURES,
    ), status


def _defaults(destination="general"):
    return {"destination": destination, "donor_kind": "individual",
            "amount_choice": "5000", "wants_receipt": "y", "payment_method": "card",
            "frequency": "once", "receipt_preference": "per_gift", "receipt_delivery": "email",
            "checkout_key": secrets.token_urlsafe(24)}


@bp.get("/donate")
def donate_form():
    """The form, for `?to=` (campaign:<slug>, project:<slug>), with `?amount=` and `?reward=`
    chosen on the campaign page."""
    values = _defaults(request.args.get("to", "general"))
    amount = request.args.get("amount", "")
    if amount.isdigit():
        try:
            destination = donations.resolve_destination(values["destination"], locale())
        except NotFound:
            destination = donations.resolve_destination("general", locale())
        _amount_values(values, int(amount), destination, locale())
    if request.args.get("reward", "").isdigit():
        values["reward_tier"] = request.args["reward"]
    return _form_page(values)


def _typed_values():
    """What the donor typed, as the form sends it (never the card: Stripe holds that)."""
    values = {key: request.form.get(key, "") for key in FORM_FIELDS}
    # Kept through error pages: a resubmission of this form resumes its donation.
    values["checkout_key"] = request.form.get("checkout_key", "").strip()[:64] \
        or secrets.token_urlsafe(24)
    return values


def _load(values):
    """(data, None) when the form is complete, else (None, errors in the page's language)."""
    cfg = current_app.config
    data_in = {key: value for key, value in values.items()
               if value != "" and key in FORM_FIELDS and key not in FLAGS}
    for flag in FLAGS:
        data_in[flag] = bool(values.get(flag))
    schema = DonationCreateSchema(min_amount=cfg["DONATION_MIN_AMOUNT"],
                                  max_amount=cfg["DONATION_MAX_AMOUNT"])
    try:
        return schema.load_form(data_in), None
    except ValidationError as err:
        return None, _translate_errors(err.messages)


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


@bp.post("/donate/check")
def donate_check():
    """The form's fields checked as the donor types: {errors: {field: message}}; changes nothing."""
    _data, errors = _load(_typed_values())
    return jsonify(errors=errors or {})


@bp.post("/donate/language")
def donate_language():
    """The form's language switch: the same form in `lang`, everything typed kept."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        request.environ["fund.locale"] = lang
    return _form_page(_typed_values())


@bp.get("/donate/again/<public_id>")
def donate_again(public_id):
    """「もう一度寄附する」: the form again, for the same destination and amount.

    The browser that started the gift gets back everything it typed (not the
    card); any other browser only the destination and the amount.
    """
    donation = donations.donation_by_public_id(public_id)
    values = _defaults(_destination_key(donation))
    try:
        destination = donations.resolve_destination(values["destination"], locale())
    except NotFound:  # the campaign has ended since: the general fund
        values["destination"] = "general"
        destination = donations.resolve_destination("general", locale())
    _amount_values(values, donation.amount, destination, locale())
    if donation.reward_tier_id:
        values["reward_tier"] = str(donation.reward_tier_id)
    notice = None
    if _own_gift(donation):
        values.update(_typed_by_donor(donation))
        notice = _("Everything you typed is kept. Please enter your card details again.")
    return _form_page(values, notice=notice)


def _destination_key(donation):
    if donation.campaign is not None:
        return f"campaign:{donation.campaign.slug}"
    if donation.project is not None:
        return f"project:{donation.project.slug}"
    return "general"


def _typed_by_donor(donation):
    """The form's fields as the donor filled them in for this gift."""
    donor = donation.donor
    return {
        "donor_kind": donor.kind, "company_name": donor.company_name or "",
        "representative": donor.representative or "", "name": donor.name,
        "name_kana": donor.name_kana, "email": donor.email, "postal_code": donor.postal_code,
        "prefecture": donor.prefecture, "city": donor.city, "street": donor.street,
        "building": donor.building, "phone": donor.phone or "",
        "wants_receipt": "y" if donation.wants_receipt else "",
        "receipt_delivery": donor.receipt_delivery,
        "publish_name": "y" if donation.publish_name else "", "message": donation.message,
        "agree_privacy": "y", "wants_news": "y" if donor.wants_news else "",
    }


@bp.post("/donate")
def donate():
    cfg = current_app.config
    values = _typed_values()
    checkout_key = values["checkout_key"]
    data, errors = _load(values)
    if errors:
        return _form_page(values, errors, status=422)
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
        if err.code == "sold_out":
            return _form_page(values, {"reward_tier": err.message}, status=409)
        return _form_page(values, payment_error=err.message, status=409)
    except (ValidationFailed, NotFound) as err:
        if "reward_tier" not in err.errors and err.code != "reward_tier":
            raise
        return _form_page(values, {"reward_tier": err.message}, status=422)
    donation = payment.donation
    _remember_gift(donation)
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
    except (Conflict, NotFound) as err:
        if err.code not in ("sold_out", "reward_tier"):
            raise
        return _form_page(values, {"reward_tier": err.message}, status=409)
    except FundError:
        return _form_page(values, payment_error=_("This payment method is not available here."),
                          status=402)
    _remember_gift(payment.donation)
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
        _remember_gift(pledge.donations[0])
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


@bp.route("/mail/stop/<token>", methods=["GET", "POST"])
def stop_mail(token):
    """The link in every donor mail: GET asks, POST stops news and 活動報告 (one click)."""
    donor = donor_services.donor_from_stop_token(token, locale())
    done = False
    if request.method == "POST":
        donor_services.stop_non_essential_mail(donor=donor, actor=audit.donor(donor.id))
        done = True
    return render_template("public/mail_stop.html", token=token, done=done, donor=donor)


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
    lang = locale()
    title = donation.purpose(lang) or _("General fund (unrestricted)")
    return render_template(
        "public/thanks.html", donation=donation, payment=payment, donor=donation.donor,
        amount=format_yen(donation.amount), auth_failed=auth_failed, status=donation.status,
        # The address in full only for the browser that typed it.
        email=donation.donor.email if _own_gift(donation) else mask_email(donation.donor.email),
        share_url=public_url(_destination_page(donation)),
        share_text=_("I supported %(title)s through the QST Future Fund.", title=title))


def _destination_page(donation):
    """The public page a shared link points to: the campaign's or project's, else the home page."""
    if donation.campaign is not None:
        return url_for("destinations.campaign", slug=donation.campaign.slug)
    if donation.project is not None:
        return url_for("destinations.project", slug=donation.project.slug)
    return url_for("public.home")


def mask_email(email):
    """h****@example.jp: enough for the donor to recognise it, nothing for anyone else."""
    local, _at, domain = (email or "").partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}" if domain else ""


@bp.get("/r/<token>")
def receipt_pdf(token):
    """A donor's receipt through the signed link in their email."""
    try:
        receipt = links.receipt_from_token(token)
    except links.LinkExpired:
        return render_template("public/receipt_expired.html", token=token, sent=False), 410
    except links.LinkInvalid:
        abort(403, description=_("This link is not valid."))
    receipt_mail.record_opened(receipt)
    return Response(receipts.pdf_bytes(receipt), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.number}.pdf"',
        "Cache-Control": "private, no-store",
    })


@bp.post("/r/<token>/renew")
def renew_receipt_link(token):
    """A new link for an expired one, mailed to the donor's address on file only."""
    try:
        receipt = links.receipt_from_token(token, allow_expired=True)
    except links.LinkInvalid:
        abort(403, description=_("This link is not valid."))
    rule = current_app.config["RECEIPT_LINK_RENEW_RATE_LIMIT"]
    if not (ratelimit.hit("receipt-link-renew", request.remote_addr, rule)
            and ratelimit.hit("receipt-link-renew-receipt", str(receipt.id), rule)):
        return render_template("public/receipt_expired.html", token=token, sent=False, error=_(
            "Too many requests. Please wait a few minutes and try again.")), 429
    receipt_mail.send_renewed_link(receipt)
    return render_template("public/receipt_expired.html", token=token, sent=True)
