import pytest
from flask import g

from fund.staff.services import create_staff
from tests.support.forms import csrf_token


@pytest.fixture
def sign_in(client):
    """Sign `client` in as a new staff user of `role`; returns a CSRF token."""
    def make(role):
        user = create_staff(f"{role}-rcpt@qst.example", f"Test {role}", role, "pw-" + role)
        response = client.post("/office/login", data={
            "email": user.email, "password": "pw-" + role,
            "csrf_token": csrf_token(client, "/office/login")})
        assert response.status_code == 302
        # Requests reuse the test's app context, so `g` outlives a request here:
        # forget what earlier requests cached (no staff, the pre-login CSRF token).
        g.pop("staff", None)
        g.pop("csrf_token", None)
        return csrf_token(client, "/accountant/" if role != "office" else "/office/receipts/")
    return make


@pytest.fixture
def inline_jobs(app):
    app.config["RECEIPT_JOBS_INLINE"] = True
    yield
    app.config["RECEIPT_JOBS_INLINE"] = False
