"""What a donor does, in Debian's Chromium: Japanese on a 360 px phone, English on a desktop.

Each journey is one test that does a lot (the browser is slow to start); every
page it passes through is checked with axe-core. The monthly pledge runs the
browser's whole side (the form, the card element tokenising, the thank-you
page) while Stripe's subscription API, which localstripe lacks, is answered by
documented payloads (tests/support/stripe_fake.py), as tests/giving/test_monthly.py does.
"""
import io
import json
import re

import pytest
import requests
import responses
from playwright.sync_api import expect
from pypdf import PdfReader

from fund.core.extensions import db
from fund.giving.models import Donation, Pledge
from fund.receipts import issuing as receipts
from tests.browser.conftest import JOURNEYS, WIDTHS, assert_accessible
from tests.receipts.helpers import ACTOR, donor, paid_gift
from tests.support import stripe_fake as so

pytestmark = pytest.mark.browser
SLUG = "airborne-virus-laser-2026"
BUTTON = {"ja": "¥{}を寄附する", "en": "Donate ¥{}"}
REFERENCE = re.compile(r"^QF-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$")


def fill_card(page, number):
    page.fill("#card-element input[placeholder=number]", number)
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    postal = page.locator("#card-element input[placeholder=postal_code]")
    if postal.count():
        postal.fill("26385")


def fill_donor(page, lang, email="taro@example.jp"):
    page.fill("#name", "量子 太郎" if lang == "ja" else "Taro Ryoshi")
    page.fill("#email", email)
    page.fill("#name_kana", "リョウシ タロウ")
    page.fill("#postal_code", "〒263-8555")  # the lookup fills the prefecture and city
    expect(page.locator("#prefecture")).to_have_value("千葉県")
    expect(page.locator("#city")).to_have_value("千葉市稲毛区穴川")
    expect(page.locator("#street")).to_have_value("4丁目9-1")
    page.fill("#building", "QST棟")
    page.check("#agree_privacy")


def assert_fits(page, width):
    """One column: nothing wider than the screen, every control at least 24 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
    for control in page.locator("input[type=radio], input[type=checkbox], button").all():
        if control.is_visible():
            box = control.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, control.evaluate("e => e.outerHTML")


@pytest.mark.parametrize("lang, width", JOURNEYS)
def test_a_one_off_card_gift_from_the_campaign_page(open_page, live_server, seeded, smtp_server,
                                                    lang, width):
    page = open_page(lang, width)
    page.goto(f"{live_server.url}/campaigns/{SLUG}")  # the language comes from the browser
    assert page.get_attribute("html", "lang") == lang
    expect(page.locator("#rewards-note")).to_be_visible()
    expect(page.locator("#researcher")).to_contain_text("光 次郎" if lang == "ja" else "Jiro Hikari")
    assert_accessible(page)
    page.locator("#what-it-does a.tile").first.click()  # 「¥3,000で試料1件を分析」
    expect(page.locator("#destination")).to_have_value(f"campaign:{SLUG}")
    expect(page.locator("input[name=amount_choice][value='3000']")).to_be_checked()
    expect(page.locator("#donate-button")).to_have_text(BUTTON[lang].format("3,000"))
    assert_fits(page, width)
    assert_accessible(page)
    fill_donor(page, lang)
    fill_card(page, "4242424242424242")
    page.click("#donate-button")
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    assert REFERENCE.match(page.inner_text("#reference"))
    expect(page.locator("#mail-sent-to")).to_contain_text("taro@example.jp")
    expect(page.locator("#share")).to_be_visible()
    assert_accessible(page)
    [mail] = smtp_server.wait_for(1)
    html = mail.get_body(("html",)).get_content()
    assert page.inner_text("#reference") in html and f'<html lang="{lang}">' in html
    gift = db.session.query(Donation).one()
    assert (gift.campaign.slug, gift.amount, gift.donor.locale) == (SLUG, 3000, lang)
    assert gift.donor.address == "千葉県千葉市稲毛区穴川4丁目9-1 QST棟"


@pytest.mark.parametrize("lang, width", JOURNEYS)
def test_a_failed_3d_secure_and_a_retry_keep_the_campaign_and_what_was_typed(
        open_page, live_server, seeded, smtp_server, lang, width):
    other = "en" if lang == "ja" else "ja"
    page = open_page(lang, width)
    page.goto(f"{live_server.url}/campaigns/{SLUG}")
    page.click("#give")
    page.check("input[name=amount_choice][value='10000']", force=True)
    fill_donor(page, lang, email="taro@")
    page.fill("#message", "応援しています")
    fill_card(page, "4000002500003155")
    # A mistake elsewhere is shown beside its field and the card stays as typed.
    page.click("#donate-button")
    expect(page.locator("#error-email")).not_to_be_empty()
    assert page.get_attribute("#email", "aria-invalid") == "true"
    assert "error-email" in page.get_attribute("#email", "aria-describedby")
    assert page.input_value("#card-element input[placeholder=number]") == "4000002500003155"
    assert db.session.query(Donation).count() == 0
    page.fill("#email", "taro@example.jp")
    # The language switch keeps the campaign and everything typed (the card is Stripe's).
    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.locator("#destination")).to_have_value(f"campaign:{SLUG}")
    expect(page.locator("input[name=amount_choice][value='10000']")).to_be_checked()
    assert page.input_value("#email") == "taro@example.jp"
    assert page.input_value("#building") == "QST棟" and page.input_value("#message") == "応援しています"
    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    fill_card(page, "4000002500003155")
    page.click("#donate-button")
    page.wait_for_url(re.compile(r".*/authenticate$"))
    page.get_by_text("Fail authentication").click()
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    expect(page.locator("#payment-failed")).to_be_visible()
    assert_accessible(page)
    page.click("#try-again")
    # Was: the general fund and a blank form.
    expect(page.locator("#destination")).to_have_value(f"campaign:{SLUG}")
    expect(page.locator("input[name=amount_choice][value='10000']")).to_be_checked()
    for field, value in (("#email", "taro@example.jp"), ("#postal_code", "263-8555"),
                         ("#building", "QST棟"), ("#message", "応援しています")):
        assert page.input_value(field) == value
    expect(page.locator("#prefecture")).to_have_value("千葉県")
    expect(page.locator("#form-notice")).to_be_visible()
    fill_card(page, "4242424242424242")
    page.click("#donate-button")
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    expect(page.locator("#thanks")).to_have_attribute("data-status", "paid")
    states = sorted(d.status for d in db.session.query(Donation))
    assert states == ["failed", "paid"]


def _monthly_stripe(online):
    """Stripe's side of a subscription, as its API reference documents it."""
    so.add_json(online, responses.POST, "/customers", so.customer("cus_monthly_1", "card_monthly_1"))
    so.add_json(online, responses.GET, "/products/qst-fund-monthly",
                {"id": "qst-fund-monthly", "object": "product", "active": True})

    def subscription(request):
        sent = so.form_of(type("Call", (), {"request": request}))
        return 200, {}, json.dumps(so.subscription(
            "sub_monthly_1", status="active", customer_id="cus_monthly_1",
            latest_invoice="in_first", pledge_id=sent["metadata[pledge_id]"]))
    online.add_callback(responses.POST, f"{so.API}/subscriptions", callback=subscription)
    so.add_json(online, responses.GET, "/invoices/in_first", so.invoice(
        "in_first", sub_id="sub_monthly_1", pledge_id=1, amount=10000, intent_id="pi_in_first"))
    so.add_json(online, responses.GET, "/payment_intents/pi_in_first", so.intent(
        "pi_in_first", amount=10000, status="succeeded", payment_id="", donation_id="",
        customer="cus_monthly_1", latest_charge="ch_in_first"))
    so.add_json(online, responses.GET, "/charges/ch_in_first", so.charge("ch_in_first", 10000))
    online.add_passthru("http://127.0.0.1")


@pytest.mark.parametrize("lang, width", JOURNEYS)
def test_a_monthly_pledge(open_page, live_server, seeded, smtp_server, online, localstripe,
                          lang, width):
    _monthly_stripe(online)
    page = open_page(lang, width)
    # The page loads Stripe.js from js.stripe.com, which this machine cannot reach: the
    # browser gets localstripe's Stripe.js instead, talking to "api.stripe.com" (as the
    # page's Content-Security-Policy allows), which the browser's router sends to localstripe.
    script = requests.get(f"{localstripe.url}/js.stripe.com/v3/", timeout=10).text.replace(
        "const LOCALSTRIPE_BASE_API = (function", 'const LOCALSTRIPE_BASE_API = '
        '"https://api.stripe.com"; const FOUND_BASE_API = (function', 1)
    page.route("https://js.stripe.com/v3/**", lambda route: route.fulfill(
        body=script, content_type="application/javascript"))
    page.route("https://api.stripe.com/**", lambda route: route.fulfill(
        response=route.fetch(url=route.request.url.replace("https://api.stripe.com",
                                                           localstripe.url))))
    page.goto(f"{live_server.url}/projects/quantum-scalpel-magnet")
    page.click("#give")
    page.check("input[name=frequency][value=monthly]", force=True)
    page.check("input[name=amount_choice][value='10000']", force=True)
    monthly = {"ja": "毎月¥10,000を寄附する", "en": "Give ¥10,000 every month"}[lang]
    expect(page.locator("#donate-button")).to_have_text(monthly)
    expect(page.locator("#receipt-preference")).to_be_visible()
    assert_fits(page, width)
    assert_accessible(page)
    fill_donor(page, lang)
    fill_card(page, "4242424242424242")
    page.click("#donate-button")
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    expect(page.locator("#thanks-monthly")).to_contain_text("¥10,000")
    pledge = db.session.query(Pledge).one()
    assert (pledge.status, pledge.amount, pledge.project.slug) == (
        "active", 10000, "quantum-scalpel-magnet")
    [sub_call] = so.calls_to(online, "POST", "/subscriptions")
    assert so.form_of(sub_call)["items[0][price_data][unit_amount]"] == "10000"
    assert so.form_of(so.calls_to(online, "POST", "/customers")[0])["source"].startswith("tok_")


@pytest.mark.parametrize("lang, width", JOURNEYS)
def test_self_service_sign_in_and_a_receipt_download(open_page, live_server, ctx, smtp_server,
                                                      lang, width):
    person = donor(name="量子 花子", email="hanako@example.jp", locale=lang)
    gift = paid_gift(person, 12000)
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    page = open_page(lang, width)
    page.goto(f"{live_server.url}/my/sign-in")
    assert_accessible(page)
    page.fill("#email", "ＨＡＮＡＫＯ@example.jp")
    page.get_by_role("button").last.click()
    expect(page.locator("[role=status]")).to_contain_text("hanako@example.jp")
    [mail] = smtp_server.wait_for(1)
    link = re.search(r"(http://127\.0\.0\.1:\d+/my/sign-in/\S+)",
                     mail.get_body(("plain",)).get_content()).group(1)
    page.goto(link)
    page.wait_for_url(re.compile(r".*/my/$"))
    expect(page.locator(f"tr[data-gift='{gift.public_id}']")).to_contain_text(gift.reference)
    assert_accessible(page)
    href = page.locator(f"tr[data-receipt='{receipt.number}'] a").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")  # with the signed-in session's cookie
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    assert receipt.number in text and "12,000" in text
    # Another donor's receipt id is not reachable from this session.
    other = receipts.issue_for_donation(donation=paid_gift(donor(email="x@example.jp"), 3000),
                                        actor=ACTOR)
    db.session.commit()
    assert page.request.get(f"{live_server.url}/my/receipts/{other.id}.pdf").status == 404


@pytest.mark.parametrize("lang, width", JOURNEYS)
def test_every_other_public_page_passes_axe(open_page, live_server, seeded, lang, width):
    from fund.donors import mail_links
    person = donor(email="someone@example.jp")
    db.session.commit()
    page = open_page(lang, width)
    for path in ("/", "/projects/quantum-scalpel-magnet", "/privacy", "/donors",
                 f"/donors?campaign={SLUG}", f"/campaigns/{SLUG}/money",
                 "/projects/quantum-scalpel-magnet/money", "/no-such-page",
                 f"/mail/stop/{mail_links.stop_token(person)}"):
        page.goto(f"{live_server.url}{path}")
        assert page.get_attribute("html", "lang") == lang
        assert_fits(page, width)
        assert_accessible(page)
    page.goto(f"{live_server.url}/no-such-page")
    expect(page.locator("main a[href='/']")).to_be_visible()  # a way back, in their language


def test_the_accessibility_check_fails_on_a_serious_violation(open_page):
    page = open_page()
    # The defect axe found on the old home page: a progress bar with no name.
    page.set_content('<html lang="ja"><title>t</title><main><div role="progressbar" '
                     'aria-valuenow="5"></div><input type="text"></main></html>')
    with pytest.raises(AssertionError, match="aria-progressbar-name|label"):
        assert_accessible(page)
