"""/office/: the dashboard of a fiscal (or calendar) year."""
from flask import Blueprint, render_template
from flask_babel import format_date

from fund.core.i18n import locale
from fund.office import dashboard
from fund.web import charts, forms
from fund.web.auth import guard
from fund.web.office_access import READERS

bp = Blueprint("office_dashboard", __name__, url_prefix="/office")
bp.before_request(guard(*READERS))

ARGS = {"year": forms.Number(), "basis": forms.Choice(("fiscal", "calendar"))}


@bp.get("/")
def index():
    args = forms.query(ARGS)
    calendar = args["basis"] == "calendar"
    year = args["year"] or dashboard.current_year(calendar)
    if not 2000 <= year <= 2100:
        year = dashboard.current_year(calendar)
    view = dashboard.overview(year=year, calendar=calendar, lang=locale())
    chart = charts.monthly([(format_date(month, "MMM"), money.received, money.net)
                            for month, money in view.months])
    return render_template("office/dashboard.html", view=view, chart=chart)
