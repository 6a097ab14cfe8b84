"""Every staff page opens for the roles it is meant for, and only for them."""
import pytest

from fund.staff.services import create_staff
from fund.core.extensions import db
from fund.staff.models import StaffUser
from tests.support.forms import CSRF
from tests.support.staff import sign_in_through_forms

OFFICE_PAGES = ["/office/", "/office/pledges/", "/office/receipts/", "/office/disputes",
                "/office/mail"]
ACCOUNTANT_PAGES = ["/accountant/"]


def post_login(client, email, password):
    """What the sign-in form sends (these tests check the form itself)."""
    token = CSRF.search(client.get("/office/login").get_data(as_text=True)).group(1)
    return client.post("/office/login", data={"email": email, "password": password,
                                               "csrf_token": token})


@pytest.fixture
def staff(ctx):
    for role in ("office", "accountant", "admin"):
        create_staff(f"{role}@example.jp", role.title(), role, f"pw-{role}-123")


def test_admin_sees_every_page_and_the_whole_menu(client, staff):
    admin = db.session.execute(db.select(StaffUser).filter_by(role="admin")).scalar_one()
    # An admin signs in with a second factor (tests/web/test_staff_auth.py).
    assert sign_in_through_forms(client, admin, "pw-admin-123").status_code == 302
    for url in OFFICE_PAGES + ACCOUNTANT_PAGES:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
    page = client.get("/office/").get_data(as_text=True)
    for label in ("Monthly pledges", "Receipts", "Disputes", "Accountant desk"):
        assert label in page


def test_accountant_lands_on_the_desk_and_not_in_the_office(app, staff):
    client = app.test_client()
    response = post_login(client, "accountant@example.jp", "pw-accountant-123")
    assert response.headers["Location"].endswith("/accountant/")
    assert client.get("/accountant/").status_code == 200
    for url in OFFICE_PAGES:
        assert client.get(url, follow_redirects=True).status_code == 403, url


def test_office_clerk_cannot_open_the_accountant_desk(app, staff):
    client = app.test_client()
    post_login(client, "office@example.jp", "pw-office-123")
    assert client.get("/office/").status_code == 200
    assert client.get("/accountant/").status_code == 403


def test_wrong_password_and_anonymous_visitors(app, staff):
    client = app.test_client()
    assert post_login(client, "office@example.jp", "nope").status_code == 401
    for url in OFFICE_PAGES + ACCOUNTANT_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/office/login" in response.headers["Location"]
