"""Staff sign-in shared by the office and accountant blueprints."""
from flask import abort, has_request_context, redirect, request, session, url_for

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
    """A before_request hook: signed-in staff with one of `roles` (admin always)."""
    def check():
        if request.endpoint and request.endpoint.endswith((".login", ".logout")):
            return None
        user = current_staff()
        if user is None:
            return redirect(url_for("office.login", next=request.full_path))
        if not user.has_role(*roles):
            abort(403, description="Your role does not give access to this page.")
        return None
    return check


def sign_in(email, password):
    """Check the password and start a fresh session for the staff user, or None."""
    user = staff_services.authenticate(email, password)
    if user is None:
        return None
    session.clear()
    session["staff_id"] = user.id
    return user
