"""Every staff page opens for the roles it is meant for, and only for them."""
import pytest

from fund.staff.services import create_staff
from fund.core.extensions import db
from fund.staff.models import StaffUser
from tests.support.forms import CSRF
from tests.support.staff import sign_in_through_forms

OFFICE_PAGES = ["/office/pledges/", "/office/receipts/", "/office/disputes", "/office/mail/",
                "/office/campaigns/", "/office/audit/", "/office/donors/duplicates"]
# The accountant reads these and changes nothing.
READ_PAGES = ["/office/", "/office/donations", "/office/donors/", "/office/donations.csv"]
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
    for url in OFFICE_PAGES + READ_PAGES + ACCOUNTANT_PAGES:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
    # Japanese first, English on ?lang=en: no more "寄附 Donations" labels.
    page = client.get("/office/").get_data(as_text=True)
    for label in ("ダッシュボード", "寄附一覧", "寄附者", "マンスリーサポーター", "証明書",
                  "異議申立て", "監査ログ", "経理"):
        assert label in page, label
    assert "Donations" not in page
    page = client.get("/office/?lang=en").get_data(as_text=True)
    for label in ("Dashboard", "Donations", "Donors", "Monthly pledges", "Receipts", "Disputes",
                  "Audit log", "Accountant desk"):
        assert label in page, label


def test_accountant_lands_on_the_desk_reads_donations_and_changes_nothing(app, staff):
    client = app.test_client()
    response = post_login(client, "accountant@example.jp", "pw-accountant-123")
    assert response.headers["Location"].endswith("/accountant/")
    assert client.get("/accountant/").status_code == 200
    for url in READ_PAGES:
        assert client.get(url).status_code == 200, url
    for url in OFFICE_PAGES:
        assert client.get(url, follow_redirects=True).status_code == 403, url
    menu = client.get("/office/?lang=en").get_data(as_text=True)
    assert "Donations" in menu and "Campaigns and projects" not in menu


def test_office_clerk_cannot_open_the_accountant_desk(app, staff):
    client = app.test_client()
    post_login(client, "office@example.jp", "pw-office-123")
    assert client.get("/office/").status_code == 200
    assert client.get("/accountant/").status_code == 403


def test_wrong_password_and_anonymous_visitors(app, staff):
    client = app.test_client()
    assert post_login(client, "office@example.jp", "nope").status_code == 401
    for url in OFFICE_PAGES + READ_PAGES + ACCOUNTANT_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/office/login" in response.headers["Location"]
