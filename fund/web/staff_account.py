"""The second step of staff sign-in (a TOTP or recovery code) and TOTP enrolment.

`/office/login/code` and `/office/login/enrol` serve only a pending sign-in
(right password, a few minutes old); `/office/account/two-factor` lets any
signed-in staff member turn the second factor on for their own account.
"""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fund.core import ratelimit
from fund.staff import second_factor
from fund.staff import services as staff_services
from fund.web import auth

bp = Blueprint("staff_account", __name__, url_prefix="/office")


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    user = auth.pending_staff()
    if user is None or not user.has_second_factor:
        return redirect(url_for("office.login"))
    error = None
    if request.method == "POST":
        if not ratelimit.hit("login-code", user.id, current_app.config["LOGIN_RATE_LIMIT"]):
            error = _("Too many sign-in attempts; please wait a few minutes.")
            return render_template("office/second_factor.html", error=error), 429
        if staff_services.check_second_factor(user, request.form.get("code")):
            return redirect(_safe(auth.finish(user)) or auth.home_for(user))
        error = _("That code is wrong or already used.")
    return render_template("office/second_factor.html", error=error), (401 if error else 200)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    user = auth.pending_staff()
    if user is None or user.has_second_factor:
        return redirect(url_for("office.login"))
    return _enrolment(user, finish_sign_in=True)


@bp.route("/account/two-factor", methods=["GET", "POST"])
def account():
    user = auth.current_staff()
    if user is None:
        return redirect(url_for("office.login", next=request.full_path))
    if user.has_second_factor:
        return render_template("office/enrol.html", enrolled=True)
    return _enrolment(user, finish_sign_in=False)


def _enrolment(user, *, finish_sign_in):
    secret = staff_services.start_enrolment(user)
    error = None
    if request.method == "POST":
        codes = staff_services.confirm_enrolment(user, request.form.get("code"))
        if codes is not None:
            target = auth.finish(user) if finish_sign_in else None
            return render_template("office/recovery_codes.html", codes=codes,
                                   next=_safe(target) or auth.home_for(user))
        error = _("That code is wrong; check the phone's clock and try the next code.")
    uri = second_factor.provisioning_uri(secret, user.email)
    return render_template("office/enrol.html", enrolled=False, secret=secret,
                           qr=second_factor.qr_data_uri(uri), error=error,
                           required=staff_services.needs_second_factor(user)), (
        422 if error else 200)


def _safe(target):
    """Only a path on this site (no //host) may be the place to go after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None
