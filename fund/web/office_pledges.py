"""The fund office's view of monthly supporters: list and cancel."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.core.errors import Conflict
from fund.core.extensions import db
from fund.giving.models import Pledge
from fund.core import audit
from fund.giving import pledges
from fund.web.auth import current_staff, guard

bp = Blueprint("office_pledges", __name__, url_prefix="/office/pledges")
bp.before_request(guard("office"))

STATUSES = ("active", "past_due", "pending", "canceled", "failed")


@bp.get("/")
def index():
    status = request.args.get("status")
    query = db.select(Pledge).order_by(Pledge.id.desc())
    if status in STATUSES:
        query = query.where(Pledge.status == status)
    rows = db.session.execute(query.limit(500)).scalars().all()
    return render_template("office/pledges.html", rows=rows, status=status, statuses=STATUSES,
                           staff=current_staff())


@bp.post("/<int:pledge_id>/cancel")
def cancel(pledge_id):
    pledge = db.get_or_404(Pledge, pledge_id)
    try:
        pledges.cancel(pledge=pledge, actor=audit.staff(current_staff()))
        flash(_("Pledge #%(id)s canceled.", id=pledge_id))
    except Conflict:
        flash(_("Pledge #%(id)s was already closed.", id=pledge_id))
    return redirect(url_for("office_pledges.index"))
