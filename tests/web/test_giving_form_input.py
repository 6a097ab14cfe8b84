"""The giving form takes what phones and Japanese keyboards type, and asks only what is needed."""
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from tests.support.forms import post_donation


def test_postal_mark_and_full_width_email_are_accepted(client, seeded, ctx, card_token):
    response = post_donation(client, token=card_token(), postal_code="〒２６３－８５５５",
                             email="ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")
    assert response.status_code == 302
    donor = db.session.query(Donor).one()
    assert (donor.postal_code, donor.email) == ("263-8555", "hanako@example.jp")


def test_no_receipt_means_no_japanese_address_or_furigana(client, seeded, ctx, card_token):
    response = post_donation(client, token=card_token(), wants_receipt=None, postal_code="",
                             prefecture="", city="", street="", name_kana="",
                             name="Jane Doe")
    assert response.status_code == 302
    assert db.session.query(Donation).one().wants_receipt is False


def test_a_receipt_still_needs_the_address(client, seeded, ctx):
    response = post_donation(client, token="tok_unused", postal_code="", prefecture="",
                             city="", street="", name_kana="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.count('aria-invalid="true"') >= 5
    assert db.session.query(Donation).count() == 0


def test_the_postal_code_lookup(client):
    found = client.get("/postal-codes/2638555.json").get_json()
    assert found["prefecture"] == "千葉県" and found["city"] == "千葉市稲毛区"
    assert found["town"].startswith("穴川")
    assert client.get("/postal-codes/100-0001.json").get_json()["city"] == "千代田区"
    missing = client.get("/postal-codes/0000000.json")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def test_the_home_page_names_each_destination_and_labels_its_progress(client, seeded):
    home = client.get("/?lang=ja").get_data(as_text=True)
    assert "QST未来基金に寄附する" in home and "このクラウドファンディングに寄附する" in home
    assert "このプロジェクトに寄附する" in home
    assert 'role="progressbar" aria-label="目標金額に対する達成率"' in home
