"""Staff sign-in shared by the office and accountant blueprints."""
import time

from flask import abort, current_app, has_request_context, redirect, request, session, url_for

from fund.core.extensions import db
from fund.staff import services as staff_services
from fund.staff.models import StaffUser


def current_staff():
    """The signed-in staff user of this request, or None (cached per request)."""
    if not has_request_context():
        return None
    cache = request.environ
    if "fund.staff" not in cache:
        staff_id = session.get("staff_id")
        user = db.session.get(StaffUser, staff_id) if staff_id else None
        cache["fund.staff"] = user if user is not None and user.active else None
    return cache["fund.staff"]


def guard(*roles):
    """A before_request hook: signed-in staff with one of `roles` (admin always).

    A staff session left idle longer than STAFF_IDLE_MINUTES ends.
    """
    def check():
        if request.endpoint and request.endpoint.endswith((".login", ".logout")):
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
    """Check the password and start a fresh session for the staff user, or None."""
    user = staff_services.authenticate(email, password)
    if user is None:
        return None
    # A fresh session at sign-in: nothing set before it (a planted value) survives.
    session.clear()
    session["staff_id"] = user.id
    session["staff_seen"] = time.time()
    return user
