"""Staff passwords (Argon2id, rehashed when the cost changes) and the TOTP second factor."""
import re
import time

import pyotp
from werkzeug.security import generate_password_hash

from fund.core.extensions import db
from fund.staff.models import StaffUser
from fund.staff.services import create_staff
from tests.support.forms import csrf_token


def _password(client, email, password):
    return client.post("/office/login", data={
        "email": email, "password": password, "csrf_token": csrf_token(client, "/office/login")})


def _code(client, code, url="/office/login/code"):
    return client.post(url, data={"code": code, "csrf_token": csrf_token(client, url)})


def _code_at(secret, step_offset=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * step_offset)


def test_passwords_are_argon2id_and_rehashed_when_the_cost_rises(app, client, ctx):
    user = create_staff("clerk@qst.example", "Clerk", "office", "correct horse")
    assert user.password_hash.startswith("$argon2id$") and "m=1024,t=1,p=1" in user.password_hash
    app.config["STAFF_PASSWORD_HASH"] = "t=2,m=2048,p=1"
    try:
        assert _password(client, "clerk@qst.example", "correct horse").status_code == 302
    finally:
        app.config["STAFF_PASSWORD_HASH"] = "t=1,m=1024,p=1"
    db.session.expire_all()
    assert "m=2048,t=2,p=1" in db.session.get(StaffUser, user.id).password_hash


def test_an_old_scrypt_hash_still_signs_in_and_becomes_argon2(client, ctx):
    user = create_staff("old@qst.example", "Old", "office", "placeholder")
    user.password_hash = generate_password_hash("from 2025", method="scrypt")
    db.session.commit()
    assert _password(client, "old@qst.example", "wrong").status_code == 401
    assert _password(client, "old@qst.example", "from 2025").status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).password_hash.startswith("$argon2id$")


def test_an_admin_must_enrol_a_second_factor_before_anything_opens(client, ctx):
    create_staff("boss@qst.example", "Boss", "admin", "pw-admin")
    response = _password(client, "boss@qst.example", "pw-admin")
    assert response.headers["Location"].endswith("/office/login/enrol")
    # The password alone opens no staff page.
    assert client.get("/office/").headers["Location"].startswith("/office/login")
    page = client.get("/office/login/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert _code(client, "000000", "/office/login/enrol").status_code == 422
    done = _code(client, _code_at(secret), "/office/login/enrol")
    codes = re.findall(r"<li><code>([a-z0-9-]{13})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/office/").status_code == 200

    # Next time: password, then a code; a wrong code, a replayed one and a spent
    # recovery code are refused.
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    assert _password(client, "boss@qst.example", "pw-admin").headers["Location"].endswith(
        "/office/login/code")
    valid = {_code_at(secret, offset) for offset in (-1, 0, 1)}
    assert _code(client, next(c for c in ("123456", "654321", "111111") if c not in valid)
                 ).status_code == 401
    assert client.get("/office/").status_code == 302
    assert _code(client, _code_at(secret)).status_code == 401  # used at enrolment
    assert _code(client, _code_at(secret, 1)).status_code == 302
    assert client.get("/office/").status_code == 200
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    _password(client, "boss@qst.example", "pw-admin")
    assert _code(client, _code_at(secret, 1)).status_code == 401  # a code works once
    assert _code(client, codes[0].upper()).status_code == 302  # recovery code
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    _password(client, "boss@qst.example", "pw-admin")
    assert _code(client, codes[0]).status_code == 401


def test_office_staff_sign_in_with_a_password_until_they_turn_the_factor_on(app, client, ctx):
    user = create_staff("clerk@qst.example", "Clerk", "office", "pw-office")
    assert _password(client, user.email, "pw-office").headers["Location"].endswith("/office/")
    page = client.get("/office/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert _code(client, _code_at(secret), "/office/account/two-factor").status_code == 200
    client.post("/office/logout", data={"csrf_token": csrf_token(client, "/office/")})
    assert _password(client, user.email, "pw-office").headers["Location"].endswith(
        "/office/login/code")


def test_the_office_can_require_the_factor_of_everyone(app, client, ctx):
    create_staff("clerk@qst.example", "Clerk", "accountant", "pw")
    app.config["STAFF_REQUIRE_TOTP"] = True
    try:
        response = _password(client, "clerk@qst.example", "pw")
    finally:
        app.config["STAFF_REQUIRE_TOTP"] = False
    assert response.headers["Location"].endswith("/office/login/enrol")
    assert client.get("/accountant/").status_code == 302


def test_a_pending_sign_in_runs_out(client, ctx, monkeypatch):
    create_staff("boss@qst.example", "Boss", "admin", "pw-admin")
    _password(client, "boss@qst.example", "pw-admin")
    with client.session_transaction() as session:
        session["pending_at"] -= 301
    assert client.get("/office/login/enrol").headers["Location"].endswith("/office/login")


def test_a_lost_phone_is_reset_from_the_shell(app, client, ctx):
    from tests.support.staff import enrol
    user = create_staff("boss@qst.example", "Boss", "admin", "pw-admin")
    enrol(user)
    result = app.test_cli_runner().invoke(args=["fund", "reset-second-factor", "BOSS@qst.example"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _password(client, user.email, "pw-admin").headers["Location"].endswith(
        "/office/login/enrol")
