"""The office's money that did not come through Stripe: offline gifts and corporate pledges.

Pages only: each write calls one service of fund.giving (offline, agreements)
and redirects, or shows the form again with the service's message.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.accounting.models import BankLine, LineState, PayoutState, StripePayout, StripeTxn
from fund.campaigns import services as campaigns
from fund.core import clock
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import agreements, offline
from fund.giving.models import AgreementStatus, Instalment, OfflineGift, PledgeAgreement
from fund.web import forms
from fund.web.auth import current_staff, guard

bp = Blueprint("office_money", __name__, url_prefix="/office/money")
bp.before_request(guard("office"))

DONOR_ARGS = {
    "donor_id": forms.Number(), "kind": forms.Choice(("individual", "corporation")),
    "name": forms.Text(200), "name_kana": forms.Text(200), "company_name": forms.Text(200),
    "representative": forms.Text(200), "email": forms.Text(254), "postal_code": forms.Text(16),
    "address": forms.Text(500), "phone": forms.Text(32),
}
GIFT_ARGS = {
    **DONOR_ARGS, "amount": forms.Yen(), "destination": forms.Text(120),
    "method": forms.Choice(("direct_transfer", "cash")), "money_account": forms.Text(80),
    "received_on": forms.Day(), "transfer_name": forms.Text(200), "paper_form": forms.Flag(),
    "form_reference": forms.Text(64), "note": forms.Text(500), "wants_receipt": forms.Flag(),
    "bank_line_id": forms.Number(), "instalment_id": forms.Number(),
}
PLEDGE_ARGS = {
    **DONOR_ARGS, "total": forms.Yen(), "destination": forms.Text(120),
    "expected_method": forms.Choice(("direct_transfer", "cash")),
    "transfer_name": forms.Text(200), "note": forms.Text(500), "schedule": forms.Text(6000),
    "count": forms.Number(), "first_due": forms.Day(), "months_apart": forms.Number(),
}
INSTALMENT_ARGS = {"received_on": forms.Day(), "amount": forms.Yen(),
                   "money_account": forms.Text(80), "wants_receipt": forms.Flag()}
CANCEL_ARGS = {"reason": forms.Text(500)}


@bp.context_processor
def _context():
    return {"jst": clock.JST, "today": clock.today_jst()}


def _destinations():
    now = clock.now()
    open_campaigns, projects = campaigns.destinations(now)
    return ([("general", _("General fund (unrestricted)"))]
            + [(f"campaign:{c.slug}", c.title("ja")) for c in open_campaigns if c.is_open(now)]
            + [(f"project:{p.slug}", p.title("ja")) for p in projects
               if not getattr(p, "is_closed", False)])


def _new_donor(data):
    """The new donor typed on the form, or None when an existing donor was chosen."""
    if data.get("donor_id"):
        return None
    fields = ("name", "name_kana", "postal_code", "address", "email", "company_name",
              "representative", "phone")
    if not any(data.get(f) for f in fields):
        return None
    return offline.NewDonor(kind=data.get("kind") or "individual",
                            **{f: data.get(f) or "" for f in fields})


@bp.get("/")
def index():
    open_lines = db.session.execute(db.select(db.func.count()).select_from(BankLine).where(
        BankLine.state == LineState.UNMATCHED.value)).scalar_one()
    open_payouts = db.session.execute(db.select(db.func.count()).select_from(StripePayout).where(
        StripePayout.state == PayoutState.OPEN.value)).scalar_one()
    stripe_problems = db.session.execute(db.select(db.func.count()).select_from(StripeTxn).where(
        StripeTxn.match.in_(("unknown", "differs")))).scalar_one()
    due = agreements.due_instalments()
    latest = db.session.execute(db.select(OfflineGift).order_by(OfflineGift.id.desc())
                                .limit(10)).scalars().all()
    return render_template("office/money/index.html", open_lines=open_lines,
                           open_payouts=open_payouts, stripe_problems=stripe_problems, due=due,
                           latest=latest, staff=current_staff())


# --- offline gifts -------------------------------------------------------------------


@bp.get("/gifts")
def gifts():
    rows = db.session.execute(db.select(OfflineGift).order_by(OfflineGift.received_on.desc(),
                                                              OfflineGift.id.desc())
                              .limit(300)).scalars().all()
    return render_template("office/money/gifts.html", rows=rows, staff=current_staff())


def _gift_form(values, *, status=200, error=None, errors=None):
    db.session.rollback()
    line = db.session.get(BankLine, values.get("bank_line_id")) if values.get("bank_line_id") \
        else None
    instalment = db.session.get(Instalment, values.get("instalment_id")) \
        if values.get("instalment_id") else None
    found = offline.search_donors(values.get("q")) if values.get("q") else []
    chosen = db.session.get(Donor, values["donor_id"]) if values.get("donor_id") else None
    return render_template("office/money/gift_form.html", values=values, found=found,
                           chosen=chosen, line=line, instalment=instalment,
                           destinations=_destinations(), accounts=offline.money_accounts(),
                           error=error, errors=errors or {}, staff=current_staff()), status


@bp.get("/gifts/new")
def new_gift():
    values = {key: request.args.get(key, "") for key in
              ("q", "donor_id", "destination", "method", "bank_line_id", "amount",
               "received_on", "transfer_name", "money_account")}
    values["donor_id"] = forms.query({"donor_id": forms.Number()})["donor_id"]
    values["bank_line_id"] = forms.query({"bank_line_id": forms.Number()})["bank_line_id"]
    line = db.session.get(BankLine, values["bank_line_id"]) if values["bank_line_id"] else None
    if line is not None:
        values.update(amount=str(line.deposit), received_on=line.booked_on.strftime("%Y/%m/%d"),
                      transfer_name=line.payer, method="direct_transfer",
                      money_account=line.bank_account.ledger_account)
        values.setdefault("q", "")
    values.setdefault("wants_receipt", True)
    return _gift_form(values)


@bp.post("/gifts")
def record_gift():
    values = dict(request.form)
    try:
        data = forms.form(GIFT_ARGS)
        values.update(data)
        payment = offline.record_offline_gift(
            donor_id=data["donor_id"], new_donor=_new_donor(data), amount=data["amount"],
            destination=data["destination"] or "general", method=data["method"],
            received_on=data["received_on"], money_account=data["money_account"] or None,
            transfer_name=data["transfer_name"], paper_form=data["paper_form"],
            form_reference=data["form_reference"], note=data["note"],
            wants_receipt=data["wants_receipt"], bank_line_id=data["bank_line_id"],
            instalment_id=data["instalment_id"], staff=current_staff(), lang="ja")
    except FundError as err:
        return _gift_form(values, status=err.status, error=err.message, errors=err.errors)
    flash(_("Gift recorded: donation #%(id)s.", id=payment.donation_id))
    if data["bank_line_id"]:
        return redirect(url_for("office_reconcile.bank"))
    return redirect(url_for("office.donation", donation_id=payment.donation_id))


# --- corporate pledges ----------------------------------------------------------------


@bp.get("/pledges")
def pledges():
    status = request.args.get("status")
    status = status if status in [s.value for s in AgreementStatus] else None
    return render_template("office/money/pledges.html", rows=agreements.agreements(status),
                           due=agreements.due_instalments(), status=status,
                           staff=current_staff())


def _pledge_form(values, *, status=200, error=None, errors=None):
    db.session.rollback()
    found = offline.search_donors(values.get("q")) if values.get("q") else []
    chosen = db.session.get(Donor, values["donor_id"]) if values.get("donor_id") else None
    return render_template("office/money/pledge_form.html", values=values, found=found,
                           chosen=chosen, destinations=_destinations(), error=error,
                           errors=errors or {}, staff=current_staff()), status


@bp.get("/pledges/new")
def new_pledge():
    values = {key: request.args.get(key, "") for key in ("q", "destination")}
    values["donor_id"] = forms.query({"donor_id": forms.Number()})["donor_id"]
    return _pledge_form(values)


@bp.post("/pledges")
def create_pledge():
    values = dict(request.form)
    try:
        data = forms.form(PLEDGE_ARGS)
        values.update(data)
        if data["schedule"]:
            schedule = agreements.parse_schedule(data["schedule"], "ja")
        else:
            schedule = agreements.equal_schedule(
                total=data["total"] or 0, count=data["count"] or 0,
                first_due=data["first_due"] or clock.today_jst(),
                months_apart=data["months_apart"] or 1)
        agreement = agreements.create_agreement(
            donor_id=data["donor_id"], new_donor=_new_donor(data), total=data["total"],
            destination=data["destination"] or "general",
            expected_method=data["expected_method"] or "direct_transfer", schedule=schedule,
            transfer_name=data["transfer_name"], note=data["note"], staff=current_staff(),
            lang="ja")
    except FundError as err:
        return _pledge_form(values, status=err.status, error=err.message, errors=err.errors)
    flash(_("Pledge #%(id)s recorded with %(count)s instalments.", id=agreement.id,
            count=len(agreement.instalments)))
    return redirect(url_for("office_money.pledge", agreement_id=agreement.id))


def _pledge_page(agreement_id, *, status=200, error=None):
    db.session.rollback()
    agreement = db.get_or_404(PledgeAgreement, agreement_id)
    return render_template("office/money/pledge.html", agreement=agreement, error=error,
                           accounts=offline.money_accounts(), staff=current_staff()), status


@bp.get("/pledges/<int:agreement_id>")
def pledge(agreement_id):
    return _pledge_page(agreement_id)


@bp.post("/pledges/<int:agreement_id>/instalments/<int:instalment_id>")
def record_instalment(agreement_id, instalment_id):
    instalment = db.get_or_404(Instalment, instalment_id)
    if instalment.agreement_id != agreement_id:
        return _pledge_page(agreement_id, status=404, error=_("This instalment is not part of "
                                                              "this pledge."))
    try:
        data = forms.form(INSTALMENT_ARGS)
        payment = agreements.record_instalment(
            instalment_id=instalment_id, received_on=data["received_on"], amount=data["amount"],
            money_account=data["money_account"] or None, wants_receipt=data["wants_receipt"],
            staff=current_staff(), lang="ja")
    except FundError as err:
        return _pledge_page(agreement_id, status=err.status, error=err.message)
    flash(_("Instalment recorded: donation #%(id)s.", id=payment.donation_id))
    return redirect(url_for("office_money.pledge", agreement_id=agreement_id))


@bp.post("/pledges/<int:agreement_id>/cancel")
def cancel_pledge(agreement_id):
    try:
        data = forms.form(CANCEL_ARGS)
        agreements.cancel_agreement(agreement_id=agreement_id, reason=data["reason"],
                                    staff=current_staff(), lang="ja")
    except FundError as err:
        return _pledge_page(agreement_id, status=err.status, error=err.message)
    flash(_("Pledge #%(id)s ended.", id=agreement_id))
    return redirect(url_for("office_money.pledge", agreement_id=agreement_id))

