"""The funds' statements: where the money is, and each fund's lines for a period.

Office and accountant read them (no writes here). A period is a fiscal year
(`?fy=2026`: April 2026 to March 2027, Japan time) or `?from=&to=`; a date
that does not parse, or a period that makes no sense, is refused with a
message and the form shown again. Every line links to what caused it: the
donation (its gift, refund or chargeback), the Stripe payout, or the entry
that it reverses.
"""
import csv
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from fund.core import clock, csvsafe
from fund.core.errors import FundError, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.ledger import accounts, balances, statements
from fund.web import forms
from fund.web.auth import guard

bp = Blueprint("office_statements", __name__, url_prefix="/office/ledger/statements")
bp.before_request(guard("office", "accountant"))

PERIOD_ARGS = {"fy": forms.Number(), "from": forms.Day(), "to": forms.Day(),
               "page": forms.Number()}
PER_PAGE = 100
CSV_HEADER = ("date", "entry", "key", "category", "memo", "amount", "balance", "source",
              "source_id", "donation_id", "reverses_entry")


MAX_DAYS = 366 * 20


def _period():
    """The query's (data, first day, last day): a fiscal year, a from–to period, or this
    fiscal year. ValidationFailed names what is wrong with any other."""
    data = forms.query(PERIOD_ARGS)
    year, start, end = data["fy"], data["from"], data["to"]
    if year is not None:
        if not 2000 <= year <= 2100:
            raise ValidationFailed(_("There is no fiscal year %(year)s in the books (2000 to "
                                     "2100).", year=year), errors={"fy": "out of range"})
        return data, *balances.fiscal_year(year)
    if start is None and end is None:
        return data, *balances.fiscal_year(balances.fiscal_year_of(clock.today_jst()))
    if start is None or end is None:
        raise ValidationFailed(_("A period needs both a first day (from) and a last day (to)."),
                               errors={"from" if start is None else "to": "required"})
    if end < start:
        raise ValidationFailed(_("The period ends (%(end)s) before it starts (%(start)s).",
                                 end=end.isoformat(), start=start.isoformat()),
                               errors={"to": "before from"})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(_("A statement covers at most 20 years."), errors={"to": "too long"})
    return data, start, end


def _years():
    current = balances.fiscal_year_of(clock.today_jst())
    return list(range(current, current - 6, -1))


def link(line):
    """The page of what caused a statement line, or None."""
    if line.donation_id is not None:
        return url_for("office.donation", donation_id=line.donation_id)
    if line.source_type == "stripe_payout" and line.source_id is not None:
        return url_for("office_reconcile.payout", payout_id=line.source_id)
    return None


@bp.get("/")
def index():
    db.session.rollback()
    today = clock.today_jst()
    every = accounts.all_accounts()
    funds = [a for a in every if a.is_fund]
    held = [a for a in every if not a.is_fund]
    return render_template("office/ledger/index.html", funds=funds, held=held, today=today,
                           kind_and_slug=statements.kind_and_slug)


def _account(kind, slug):
    if kind not in statements.KINDS or (kind == "general") != (slug is None):
        abort(404)
    try:
        return statements.account_for(kind, slug)
    except NotFound:
        abort(404)


@bp.get("/general", defaults={"kind": "general", "slug": None})
@bp.get("/<kind>/<slug>")
def statement(kind, slug):
    account = _account(kind, slug)
    try:
        data, start, end = _period()
    except FundError as err:
        db.session.rollback()
        return render_template("office/ledger/statement.html", account=account, kind=kind,
                               slug=slug, error=err.message, statement=None, years=_years(),
                               args=request.args, link=link), err.status
    page = max(data["page"] or 1, 1)
    result = statements.for_fund(account, start, end, limit=PER_PAGE,
                                 offset=(page - 1) * PER_PAGE)
    html = render_template("office/ledger/statement.html", account=account, kind=kind, slug=slug,
                           statement=result, error=None, years=_years(), args=request.args,
                           page=page, pages=max(1, -(-result.line_count // PER_PAGE)),
                           fy=data["fy"], link=link, columns=[c for c, _ in statements.COLUMNS])
    db.session.rollback()  # a fund that had no account yet got one only for this read
    return html


@bp.get("/general.csv", defaults={"kind": "general", "slug": None})
@bp.get("/<kind>/<slug>.csv")
def statement_csv(kind, slug):
    account = _account(kind, slug)
    try:
        _, start, end = _period()
    except FundError as err:
        db.session.rollback()
        return Response(err.message + "\n", status=err.status, mimetype="text/plain")
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    opening = balances.opening(account, start)
    writer.writerow(csvsafe.row([start.isoformat(), "", "", "opening", account.code, "",
                                 opening, "", "", "", ""], identifiers=(0,)))
    for line in statements.iter_lines(account, start, end):
        writer.writerow(csvsafe.row(
            [line.day.isoformat(), line.entry_id, line.key, line.category, line.memo, line.amount,
             line.balance, line.source_type or "", line.source_id, line.donation_id,
             line.reverses_id], identifiers=(0, 2)))
    writer.writerow(csvsafe.row([end.isoformat(), "", "", "closing", account.code, "",
                                 balances.balance_at(account, end), "", "", "", ""],
                                identifiers=(0,)))
    db.session.rollback()
    name = f"statement-{account.code.replace(':', '-')}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
