"""Staff sign-in for tests, through the real forms, second factor included."""
import re
import pyotp

from fund.core.extensions import db
from fund.core.models import utcnow
from fund.staff import second_factor
from tests.support.forms import csrf_token


def enrol(user):
    """Give `user` a confirmed TOTP secret (as if scanned and confirmed); returns the secret."""
    user.totp_secret = second_factor.new_secret()
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = None
    db.session.commit()
    return user.totp_secret


def sign_in_through_forms(client, user, password):
    """Password, then (for an admin or an enrolled account) the current TOTP code.
    Returns the last response (302 when signed in)."""
    response = client.post("/office/login", data={
        "email": user.email, "password": password,
        "csrf_token": csrf_token(client, "/office/login")})
    if response.status_code == 302 and "/office/login/" in response.headers["Location"]:
        secret = user.totp_secret if user.has_second_factor else enrol(user)
        response = client.post("/office/login/code", data={
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": csrf_token(client, "/office/login/code")})
    return response


def sign_in_in_browser(page, base, user, password):
    """The same sign-in in a Playwright page: password, then the current code of the
    account's enrolled secret (see `enrol`); ends on the office's first page."""
    page.goto(f"{base}/office/login")
    page.fill("#email", user.email)
    page.fill("#password", password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/login/code"))
    page.fill("#code", pyotp.TOTP(user.totp_secret).now())
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/$"))
