"""The fund office: sign-in, donations and the mail outbox."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from fund.extensions import db
from fund.models import Donation, OutboundEmail
from fund.views.auth import current_staff, guard, sign_in

bp = Blueprint("office", __name__, url_prefix="/office")
bp.before_request(guard("office"))

PAGE_SIZE = 50


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        user = sign_in(request.form.get("email"), request.form.get("password"))
        if user is not None:
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("office.donations")
            return redirect(target)
        error = "メールアドレスまたはパスワードが違います。 / Wrong email or password."
    return render_template("office/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    flash("Signed out.")
    return redirect(url_for("office.login"))


@bp.get("/")
def donations():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = db.select(Donation).order_by(Donation.id.desc())
    rows = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("office/donations.html", rows=rows, staff=current_staff())


@bp.get("/mail")
def outbox():
    rows = db.session.execute(
        db.select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(200)).scalars().all()
    return render_template("office/outbox.html", rows=rows, staff=current_staff())
