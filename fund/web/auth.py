"""Staff sign-in shared by the office and accountant blueprints.

Sessions are signed cookies (nothing kept in the process), so "renewing the
session" means starting from an empty one at every change of who is signed in,
and ending one means raising the account's session version, which every cookie
carries. Sign-in is two steps when the account has (or, as an admin, must
have) a second factor: the password opens a short pending session that can only
reach the code or enrolment page (fund.web.staff_account).
"""
import secrets
import time

from flask import abort, current_app, has_request_context, redirect, request, session, url_for

from fund.core.extensions import db
from fund.staff import services as staff_services
from fund.staff.models import StaffUser

PENDING_SECONDS = 300
# Pages of the sign-in itself, reachable without a finished sign-in.
OPEN_ENDPOINTS = (".login", ".logout")


def current_staff():
    """The signed-in staff user of this request, or None (cached per request)."""
    if not has_request_context():
        return None
    cache = request.environ
    if "fund.staff" not in cache:
        staff_id = session.get("staff_id")
        user = db.session.get(StaffUser, staff_id) if staff_id else None
        if user is not None and (not user.active
                                 or session.get("staff_v") != user.session_version):
            user = None
        cache["fund.staff"] = user
    return cache["fund.staff"]


def guard(*roles):
    """A before_request hook: signed-in staff with one of `roles` (admin always).

    A staff session left idle longer than STAFF_IDLE_MINUTES ends.
    """
    def check():
        if request.endpoint and request.endpoint.endswith(OPEN_ENDPOINTS):
            return None
        user = current_staff()
        idle = time.time() - session.get("staff_seen", 0)
        if user is not None and idle > current_app.config["STAFF_IDLE_MINUTES"] * 60:
            session.clear()
            request.environ.pop("fund.staff", None)
            user = None
        if user is None:
            return redirect(url_for("office.login", next=request.full_path))
        session["staff_seen"] = time.time()
        if not user.has_role(*roles):
            abort(403, description="Your role does not give access to this page.")
        return None
    return check


def sign_in(email, password):
    """Check the password and start a fresh session, finished or waiting for the second
    factor (see `next_step`); the user, or None for a wrong email or password."""
    user = staff_services.authenticate(email, password)
    if user is None:
        return None
    # A fresh session at sign-in: nothing set before it (a planted value) survives.
    session.clear()
    if staff_services.needs_second_factor(user):
        session["pending_staff"] = user.id
        session["pending_v"] = user.session_version
        session["pending_at"] = time.time()
    else:
        finish(user)
    return user


def next_step(target):
    """Where the sign-in form sends the browser: `target` once signed in, else the
    second-factor page (code, or enrolment for an admin without one)."""
    if session.get("staff_id"):
        return target
    session["pending_next"] = target
    user = pending_staff()
    if user is not None and not user.has_second_factor:
        return url_for("staff_account.enrol")
    return url_for("staff_account.code")


def pending_staff():
    """The user whose password was right a moment ago and who owes a second factor."""
    staff_id = session.get("pending_staff")
    if not staff_id or time.time() - session.get("pending_at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(StaffUser, staff_id)
    if user is None or not user.active or user.session_version != session.get("pending_v"):
        return None
    return user


def finish(user):
    """The signed-in session: renewed from empty, bound to the account's session version."""
    target = session.get("pending_next")
    session.clear()
    session["staff_id"] = user.id
    session["staff_v"] = user.session_version
    session["staff_seen"] = time.time()
    # A value of its own, so each sign-in's cookie differs from every earlier one.
    session["sid"] = secrets.token_urlsafe(16)
    request.environ["fund.staff"] = user
    return target


def sign_out():
    """End this session and every other cookie of the same account."""
    user = current_staff()
    if user is not None:
        staff_services.end_sessions(user)
    session.clear()
    request.environ.pop("fund.staff", None)


def home_for(user):
    return url_for("office.donations" if user.has_role("office") else "accountant.index")
