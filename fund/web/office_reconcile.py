"""The office reconciles: bank statements, Stripe's payouts, and the mapping to 勘定科目.

Pages only: each write calls one service of fund.accounting (or, to record a
pledge instalment from a bank line, fund.giving.agreements) and redirects
with what happened, or shows the page again with the service's message.
"""
from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.accounting import bank as bank_service
from fund.accounting import bank_csv, journal, matching, stripe_recon
from fund.accounting.models import BankLine, BankStatement, StripePayout
from fund.core import audit, clock
from fund.core.errors import FundError, ValidationFailed
from fund.core.extensions import db
from fund.giving import agreements
from fund.web import forms
from fund.web.auth import current_staff, guard

bp = Blueprint("office_reconcile", __name__, url_prefix="/office/money")
bp.before_request(guard("office"))

IMPORT_ARGS = {"bank": forms.Text(80)}
MATCH_ARGS = {"kind": forms.Choice(("gift", "instalment", "payout")), "target": forms.Number()}
DISMISS_ARGS = {"reason": forms.Text(500)}
ACCOUNT_ARGS = {"slug": forms.Text(40), "name": forms.Text(200),
                **{f"column_{field}": forms.Text(100) for field in bank_csv.FIELDS}}
SINCE_ARGS = {"since": forms.Day()}
PERIOD_ARGS = {"start": forms.Day(), "end": forms.Day()}
MAPPING_ARGS = {"key": forms.Text(120), "account": forms.Text(60),
                "sub_account": forms.Text(60), "tax": forms.Text(30)}
LINES_PER_PAGE = 100


@bp.context_processor
def _context():
    return {"jst": clock.JST, "field_labels": bank_csv.field_labels(None)}


# --- bank statements ---------------------------------------------------------------------


def _bank_page(*, status=200, error=None):
    db.session.rollback()
    lines = bank_service.open_lines(limit=LINES_PER_PAGE)
    statements = db.session.execute(
        db.select(BankStatement).order_by(BankStatement.id.desc()).limit(10)).scalars().all()
    return render_template("office/money/bank.html", lines=lines,
                           suggestions=matching.suggest(lines), statements=statements,
                           banks=bank_service.bank_accounts(), error=error,
                           staff=current_staff()), status


@bp.get("/bank")
def bank():
    return _bank_page()


@bp.post("/bank/statements")
def import_statement():
    try:
        data = forms.form(IMPORT_ARGS)
        filename, content = forms.upload("file", _("Choose the CSV file exported from internet "
                                                   "banking."))
        done = bank_service.import_statement(bank_code=data["bank"] or bank_service.default_code(),
                                             filename=filename, data=content,
                                             staff=current_staff(), lang="ja")
    except FundError as err:
        return _bank_page(status=err.status, error=err.message)
    flash(_("%(added)s lines imported (%(skipped)s already imported before); %(suggested)s have "
            "a suggested match.", added=done.added, skipped=done.skipped,
            suggested=done.suggested))
    return redirect(url_for("office_reconcile.bank"))


@bp.get("/bank/statements/<int:statement_id>")
def statement(statement_id):
    row = db.get_or_404(BankStatement, statement_id)
    lines = db.session.execute(db.select(BankLine).filter_by(statement_id=row.id)
                               .order_by(BankLine.row)).scalars().all()
    return render_template("office/money/statement.html", statement=row, lines=lines,
                           staff=current_staff())


@bp.post("/bank/lines/<int:line_id>/match")
def match_line(line_id):
    staff = current_staff()
    try:
        data = forms.form(MATCH_ARGS)
        if data["kind"] is None or data["target"] is None:
            raise ValidationFailed(_("Choose what this line is."))
        if data["kind"] == "gift":
            bank_service.confirm_gift(line_id=line_id, payment_id=data["target"], staff=staff,
                                      lang="ja")
        elif data["kind"] == "payout":
            bank_service.confirm_payout(line_id=line_id, payout_id=data["target"], staff=staff,
                                        lang="ja")
        else:
            line = bank_service.open_line(line_id, "ja")
            agreements.record_instalment(
                instalment_id=data["target"], received_on=line.booked_on, amount=line.deposit,
                money_account=line.bank_account.ledger_account, bank_line_id=line.id,
                staff=staff, lang="ja")
    except FundError as err:
        return _bank_page(status=err.status, error=err.message)
    flash(_("Statement line matched."))
    return redirect(url_for("office_reconcile.bank"))


@bp.post("/bank/lines/<int:line_id>/dismiss")
def dismiss_line(line_id):
    try:
        data = forms.form(DISMISS_ARGS)
        bank_service.dismiss(line_id=line_id, reason=data["reason"], staff=current_staff(),
                             lang="ja")
    except FundError as err:
        return _bank_page(status=err.status, error=err.message)
    flash(_("Statement line set aside."))
    return redirect(url_for("office_reconcile.bank"))


@bp.get("/bank/accounts")
def bank_accounts():
    return render_template("office/money/bank_accounts.html", banks=bank_service.bank_accounts(),
                           fields=bank_csv.FIELDS, synonyms=bank_csv.SYNONYMS, error=None,
                           staff=current_staff())


@bp.post("/bank/accounts")
def save_bank_account():
    try:
        data = forms.form(ACCOUNT_ARGS)
        bank_service.save_bank_account(
            slug=data["slug"], name=data["name"],
            mapping={field: data[f"column_{field}"] for field in bank_csv.FIELDS},
            staff=current_staff(), lang="ja")
    except FundError as err:
        db.session.rollback()
        return render_template("office/money/bank_accounts.html",
                               banks=bank_service.bank_accounts(), fields=bank_csv.FIELDS,
                               synonyms=bank_csv.SYNONYMS, error=err.message,
                               staff=current_staff()), err.status
    flash(_("Bank account saved."))
    return redirect(url_for("office_reconcile.bank_accounts"))


# --- Stripe ----------------------------------------------------------------------------------


def _stripe_page(*, status=200, error=None):
    db.session.rollback()
    period = forms.query(PERIOD_ARGS)
    payouts = db.session.execute(db.select(StripePayout).order_by(
        StripePayout.arrival_on.desc().nulls_last(), StripePayout.id.desc()).limit(50)
    ).scalars().all()
    lists = stripe_recon.lists(start=period["start"], end=period["end"])
    return render_template("office/money/stripe.html", payouts=payouts, lists=lists,
                           problems={p.id: stripe_recon.payout_problems(p, "ja") for p in payouts
                                     if p.state == "open"},
                           default_since=(clock.today_jst() - timedelta(days=30)),
                           error=error, staff=current_staff()), status


@bp.get("/stripe")
def stripe():
    return _stripe_page()


@bp.post("/stripe/import")
def import_stripe():
    staff = current_staff()
    try:
        since = forms.form(SINCE_ARGS)["since"] or clock.today_jst() - timedelta(days=30)
        start = datetime.combine(since, datetime.min.time(), tzinfo=clock.JST)
        result = stripe_recon.import_from_api(since=start, actor=audit.staff(staff),
                                              staff=staff, lang="ja")
    except FundError as err:
        return _stripe_page(status=err.status, error=err.message)
    _flash_result(result)
    return redirect(url_for("office_reconcile.stripe"))


@bp.post("/stripe/report")
def import_report():
    try:
        filename, content = forms.upload("file", _("Choose the itemized payout reconciliation "
                                                   "report (CSV) downloaded from Stripe."))
        result = stripe_recon.import_report(filename=filename, data=content,
                                            staff=current_staff(), lang="ja")
    except FundError as err:
        return _stripe_page(status=err.status, error=err.message)
    _flash_result(result)
    return redirect(url_for("office_reconcile.stripe"))


def _flash_result(result):
    flash(_("%(txns)s balance transactions and %(payouts)s payouts imported; %(fees)s fees "
            "booked; %(unknown)s not found here, %(differs)s with different amounts.",
            txns=result.txns_added, payouts=result.payouts_added, fees=result.fees_booked,
            unknown=result.unknown, differs=result.differs))
    for problem in result.problems:
        flash(problem)


@bp.get("/stripe/payouts/<int:payout_id>")
def payout(payout_id):
    row = db.get_or_404(StripePayout, payout_id)
    return render_template("office/money/payout.html", payout=row,
                           problems=stripe_recon.payout_problems(row, "ja")
                           if row.state == "open" else [],
                           line=db.session.execute(db.select(BankLine).filter_by(
                               payout_id=row.id)).scalar_one_or_none(),
                           staff=current_staff())


@bp.post("/stripe/payouts/<int:payout_id>/reconcile")
def reconcile_payout(payout_id):
    try:
        stripe_recon.reconcile_payout(payout_id=payout_id, staff=current_staff(), lang="ja")
    except FundError as err:
        return _stripe_page(status=err.status, error=err.message)
    flash(_("Payout marked reconciled."))
    return redirect(url_for("office_reconcile.payout", payout_id=payout_id))


# --- the mapping to 勘定科目 ---------------------------------------------------------------------


@bp.get("/mapping")
def mapping():
    return render_template("office/money/mapping.html", rows=journal.mapping_rows(), error=None,
                           staff=current_staff())


@bp.post("/mapping")
def save_mapping():
    try:
        data = forms.form(MAPPING_ARGS)
        journal.save_mapping(key=data["key"], account=data["account"],
                             sub_account=data["sub_account"], tax=data["tax"],
                             staff=current_staff(), lang="ja")
    except FundError as err:
        db.session.rollback()
        return render_template("office/money/mapping.html", rows=journal.mapping_rows(),
                               error=err.message, staff=current_staff()), err.status
    flash(_("Mapping saved."))
    return redirect(url_for("office_reconcile.mapping"))

