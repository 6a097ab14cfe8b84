"""The public pages and the donation form's refusals, through the test client."""
import pytest

from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Payment
from tests.support.forms import donation_form, post_donation


def test_home_lists_every_destination_in_japanese_with_campaign_figures(client, seeded):
    page = client.get("/").get_data(as_text=True)
    assert "使途を特定しない寄附" in page
    assert "レーザーで空気中のウイルスを検出する研究" in page
    assert "量子メス 超伝導電磁石の磁場測定装置" in page
    assert "福島と千葉の小学生親子サイエンスキャンプ" in page
    for label in ("集まった金額", "目標金額", "支援者数", "残り日数"):
        assert label in page
    assert "¥3,000,000" in page  # the campaign goal
    assert 'class="percent">0%' in page
    assert 'class="days-left">90 日' in page


def test_home_switches_to_english_and_remembers_it(client, seeded):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "General fund (unrestricted)" in page and "Days left" in page
    assert "Days left" in client.get("/").get_data(as_text=True)
    assert "残り日数" in client.get("/?lang=ja").get_data(as_text=True)


def test_form_offers_presets_and_card_only_offline(client, seeded):
    page = client.get("/donate?to=project:quantum-scalpel-magnet").get_data(as_text=True)
    assert 'value="project:quantum-scalpel-magnet" selected' in page
    # The project's own amounts, each with what it does; the middle one chosen.
    for preset in ("¥3,000", "¥10,000", "¥50,000", "¥10,000で測定1日分の液体ヘリウム"):
        assert preset in page
    assert 'name="amount_choice" value="10000" checked' in page
    assert 'name="amount_choice" value="5000" checked' in client.get("/donate").get_data(
        as_text=True)  # the general fund: the fund's usual amounts
    assert "クレジットカードのみ" in page
    assert "/js.stripe.com/v3/" in page
    assert 'placeholder="例: 5000"' in page
    english = client.get("/donate?lang=en").get_data(as_text=True)
    assert 'placeholder="e.g. 5000"' in english and "例:" not in english


@pytest.mark.parametrize("amount, message", [
    ("-5000", "金額は正の数で入力してください。"),
    ("0", "金額は正の数で入力してください。"),
    ("1500.5", "1円未満の金額は指定できません。"),
    ("999", "1,000円以上で入力してください。"),
    ("10000001", "10,000,000円以下で入力してください。"),
    ("99999999999999999999", "金額は半角数字（円単位）で入力してください。"),
    ("五千", "金額は半角数字（円単位）で入力してください。"),
    ("1e4", "金額は半角数字（円単位）で入力してください。"),
    ("", "金額を入力してください。"),
])
def test_bad_amounts_are_refused_beside_the_field(client, seeded, amount, message):
    response = post_donation(client, token="tok_unused", amount_choice="other",
                             amount_other=amount)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="error-amount">{message}' in page
    # What the donor typed is still there.
    assert 'value="量子 花子"' in page and 'value="hanako@example.jp"' in page
    assert db.session.query(Donation).count() == 0


def test_invalid_email_and_missing_name_are_refused_in_english(client, seeded, ctx):
    client.get("/?lang=en")
    response = post_donation(client, token="tok_unused", email="not-an-address", name="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-email">Please enter a valid email address.' in page
    assert 'id="error-name">This field is required.' in page
    assert 'value="not-an-address"' in page
    assert db.session.query(Donor).count() == 0
    assert db.session.query(Donation).count() == 0


def test_corporation_needs_company_and_representative(client, seeded, ctx):
    response = post_donation(client, token="tok_unused", donor_kind="corporation")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-company_name">入力してください。' in page
    assert 'id="error-representative">入力してください。' in page


def test_missing_card_token_is_refused_and_nothing_recorded(client, seeded, ctx):
    response = post_donation(client)
    assert response.status_code == 422
    assert "カード情報を入力してください。" in response.get_data(as_text=True)
    assert db.session.query(Payment).count() == 0


def test_form_without_csrf_token_is_refused(client, seeded, ctx):
    response = client.post("/donate", data=donation_form(card_token="tok_x"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # Not Werkzeug's "The CSRF token is missing.": the form again, in Japanese, as typed.
    assert "CSRF" not in page and "もう一度送信してください" in page
    assert 'value="量子 花子"' in page and 'name="csrf_token" value="' in page
    assert db.session.query(Donation).count() == 0


def test_unknown_destination_is_refused(client, seeded, ctx):
    response = post_donation(client, token="tok_unused", destination="project:nope")
    assert response.status_code == 404
    assert db.session.query(Donation).count() == 0


def test_unknown_page_is_a_plain_404_without_a_trace(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
