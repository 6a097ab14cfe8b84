"""/office/audit: who did what, when, to which row. Nothing here changes anything."""
from flask import Blueprint, render_template, request

from fund.core.errors import FundError
from fund.core.i18n import gettext_for, locale
from fund.office import audit_log
from fund.web import forms
from fund.web.auth import guard

bp = Blueprint("office_audit", __name__, url_prefix="/office/audit")
bp.before_request(guard("office"))

ARGS = {"who": forms.Text(200), "action": forms.Text(64), "subject": forms.Text(64),
        "from": forms.Day(), "to": forms.Day(), "before": forms.Number()}


@bp.get("/")
def index():
    try:
        args = forms.query(ARGS)
        if args["from"] and args["to"] and args["to"] < args["from"]:
            raise FundError(gettext_for(locale(), "The end date is before the start date."),
                            errors={"to": "before_from"}, status=422)
    except FundError as err:
        return render_template("office/audit.html", rows=[], names={}, args=request.args,
                               error=err.message, errors=err.errors), err.status
    filters = audit_log.AuditFilters(who=args["who"] or None, action=args["action"] or None,
                                     subject=args["subject"] or None, date_from=args["from"],
                                     date_to=args["to"])
    rows, names = audit_log.search(filters, before_id=args["before"])
    return render_template("office/audit.html", rows=rows, names=names, args=request.args,
                           error=None, errors={})
