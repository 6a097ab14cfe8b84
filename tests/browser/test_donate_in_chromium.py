"""The real page in Debian's Chromium: form, Stripe.js card element, thank-you, receipt
(the browser fixture is in tests/browser/conftest.py)."""
import io
import re

import pytest
import requests
from playwright.sync_api import expect
from pypdf import PdfReader

from fund.core.extensions import db
from fund.payments.models import Payment
from fund.receipts.models import Receipt

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def fill_form(page, base, card):
    page.goto(f"{base}/")
    page.click("#campaign-airborne-virus-laser-2026 a.button")
    page.check("input[name=amount_choice][value='10000']", force=True)
    page.fill("#name", "量子 太郎")
    page.fill("#name_kana", "リョウシ タロウ")
    page.fill("#email", "taro@example.jp")
    page.fill("#postal_code", "263-8555")
    page.select_option("#prefecture", "千葉県")
    page.fill("#city", "千葉市稲毛区")
    page.fill("#street", "穴川4-9-1")
    page.check("#agree_privacy")
    page.fill("#card-element input[placeholder=number]", card)
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    postal = page.locator("#card-element input[placeholder=postal_code]")
    if postal.count():
        postal.fill("26385")
    page.click("#donate-button")


def test_donor_pays_5000_yen_and_opens_the_emailed_receipt(page, live_server, seeded, smtp_server):
    fill_form(page, live_server.url, "4242424242424242")
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    assert "¥10,000のご寄附を承りました。" in page.inner_text("#thanks")

    [mail] = smtp_server.wait_for(1)
    link = re.search(r"(http://127\.0\.0\.1:\d+/r/\S+)", mail.get_body(("plain",)).get_content()).group(1)
    response = requests.get(link, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    receipt = db.session.query(Receipt).one()
    for expected in ("寄附金受領証明書", "特定寄附金", "量子 太郎", "10,000", receipt.number,
                     f"{receipt.received_on.year}年{receipt.received_on.month}月"
                     f"{receipt.received_on.day}日"):
        assert expected in text


def test_three_d_secure_card_completes_in_the_modal(page, live_server, seeded, smtp_server):
    fill_form(page, live_server.url, "4000002500003155")
    page.wait_for_url(re.compile(r".*/authenticate$"))
    page.get_by_text("Complete authentication").click()
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    assert "のご寄附を承りました" in page.inner_text("#thanks")
    assert db.session.query(Payment).one().state == "succeeded"


def test_declined_card_shows_the_message_on_the_form(page, live_server, seeded, smtp_server):
    fill_form(page, live_server.url, "4000000000000341")
    page.wait_for_selector("#payment-error")
    assert "カードが承認されませんでした" in page.inner_text("#payment-error")
    assert page.input_value("#name") == "量子 太郎"
    assert db.session.query(Receipt).count() == 0


def test_postal_code_fills_the_address_and_the_button_shows_the_amount(page, live_server, seeded):
    page.goto(f"{live_server.url}/donate?lang=ja")
    page.check("input[name=amount_choice][value='10000']", force=True)
    assert page.inner_text("#donate-button") == "¥10,000を寄附する"
    page.check("#amount_choice_other", force=True)
    page.fill("#amount_other", "３０００")
    assert page.inner_text("#donate-button") == "¥3,000を寄附する"
    assert page.get_attribute("#postal_code", "inputmode") == "numeric"
    page.fill("#postal_code", "〒２６３－８５５５")
    # (our Content-Security-Policy forbids eval, so the wait is Playwright's own, not a script)
    expect(page.locator("#prefecture")).to_have_value("千葉県")
    expect(page.locator("#city")).to_have_value("千葉市稲毛区穴川")
    expect(page.locator("#street")).to_have_value("4丁目9-1")
