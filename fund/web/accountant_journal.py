"""The accountant's journal: a fiscal year's 仕訳帳, plain CSV or 弥生会計's import format."""
from flask import Blueprint, Response, render_template

from fund.accounting import journal
from fund.accounting.models import JournalExport
from fund.core import clock
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.web import forms
from fund.web.auth import current_staff, guard

bp = Blueprint("accountant_journal", __name__, url_prefix="/accountant/journal")
bp.before_request(guard("accountant"))

EXPORT_ARGS = {"fiscal_year": forms.Number(), "format": forms.Choice(("plain", "yayoi"))}
@bp.context_processor
def _context():
    return {"jst": clock.JST}


MIMETYPES = {"plain": "text/csv; charset=utf-8", "yayoi": "text/csv; charset=shift_jis"}


def _page(*, status=200, error=None, year=None):
    db.session.rollback()
    exports = db.session.execute(
        db.select(JournalExport).order_by(JournalExport.id.desc()).limit(20)).scalars().all()
    current = journal.fiscal_year_of(clock.today_jst())
    return render_template("accountant/journal.html", exports=exports,
                           years=list(range(current, current - 6, -1)), year=year or current,
                           rows=journal.mapping_rows(), error=error,
                           staff=current_staff()), status


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def export():
    try:
        data = forms.form(EXPORT_ARGS)
        name, written = journal.export(fiscal_year=data["fiscal_year"],
                                       fmt=data["format"] or "plain", staff=current_staff(),
                                       lang="ja")
    except FundError as err:
        return _page(status=err.status, error=err.message)
    return Response(written.data, mimetype=MIMETYPES[data["format"] or "plain"], headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
        "X-Journal-Rows": str(written.rows), "X-Journal-Total": str(written.total),
    })
