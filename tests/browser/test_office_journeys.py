"""What the fund office does, in Debian's Chromium: find a gift by フリガナ, refund part of it
through the confirmation step and read the mail the donor got; start a campaign, post a
活動報告 and see it on the public page. Office pages are Japanese first."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fund.campaigns.models import ActivityReport, Campaign
from fund.core import clock
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.giving.models import Donation
from fund.payments.models import Refund
from fund.receipts.models import Receipt
from fund.staff.services import create_staff
from tests.browser.conftest import assert_accessible
from tests.support.forms import post_donation
from tests.support.staff import enrol, sign_in_in_browser

pytestmark = pytest.mark.browser
PASSWORD = "a-long-office-password"


def office_user():
    user = create_staff("jimu@qst.example", "事務 太郎", "office", PASSWORD)
    return user, enrol(user)


def sign_in(page, base, user, secret):
    assert user.totp_secret == secret
    sign_in_in_browser(page, base, user, PASSWORD)


def test_find_a_gift_by_furigana_refund_part_of_it_and_read_the_donors_mail(
        open_page, live_server, seeded, smtp_server, client, card_token):
    for name, kana, email, amount in (("量子 花子", "リョウシ ハナコ", "hanako@example.jp", "8000"),
                                      ("光 次郎", "ヒカリ ジロウ", "jiro@example.jp", "3000")):
        response = post_donation(client, token=card_token(), name=name, name_kana=kana,
                                 email=email, amount_choice="other", amount_other=amount)
        assert response.status_code == 302
    gift = db.session.query(Donation).filter(Donation.amount == 8000).one()
    receipt = db.session.query(Receipt).filter_by(donor_id=gift.donor_id).one()
    user, secret = office_user()
    page = open_page("ja", "desktop")
    sign_in(page, live_server.url, user, secret)
    assert_accessible(page)

    page.goto(f"{live_server.url}/office/donations")
    page.fill("#q", "りょうし はなこ")  # hiragana finds the katakana フリガナ
    page.locator("form[role=search] button[type=submit]").click()
    rows = page.locator("tr[data-donation]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("リョウシ ハナコ")
    assert_accessible(page)
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(rf".*/office/donations/{gift.id}$"))
    expect(page.locator(".refundable")).to_have_text("¥8,000")

    page.fill("#amount", "３，０００")  # full-width, as typed with the IME on
    page.fill("#reason", "一部を返金してほしいとのご依頼")
    page.locator(".refund-form button[type=submit]").click()
    confirm = page.locator(".confirm-refund")
    expect(confirm.locator(".amount")).to_have_text("¥3,000")
    expect(confirm.locator(".remaining")).to_have_text("¥5,000")
    expect(confirm.locator(".receipt-outcome")).to_contain_text(receipt.number)
    assert db.session.query(Refund).count() == 0  # nothing is refunded before the confirmation
    assert_accessible(page)
    confirm.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/office/donations/{gift.id}$"))
    expect(page.locator(".refunded")).to_have_text("¥3,000")
    expect(page.locator(".refundable")).to_have_text("¥5,000")
    db.session.expire_all()
    refund = db.session.query(Refund).one()
    assert (refund.amount, refund.state) == (3000, "succeeded")

    # The office opens the mail the donor received, as it was sent.
    page.goto(f"{live_server.url}/office/mail/")
    row = page.locator("table.outbox tr", has_text="hanako@example.jp").filter(has_text="¥3,000")
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("送信済み")
    assert_accessible(page)
    row.locator("td a").last.click()
    expect(page.locator("h1")).to_contain_text("¥3,000")
    expect(page.locator(".to")).to_have_text("hanako@example.jp")
    expect(page.locator(".mail-text")).to_contain_text("量子 花子")
    frame = page.frame_locator("iframe.mail-html")
    expect(frame.locator("body")).to_contain_text("¥3,000")
    sent = db.session.query(OutboundEmail).filter_by(kind="refund").one()
    assert sent.to_address == "hanako@example.jp" and sent.status == "sent"
    delivered = [m for m in smtp_server.messages if m["To"] == "hanako@example.jp"
                 and "¥3,000" in m["Subject"]]
    assert len(delivered) == 1


def test_start_a_campaign_post_an_activity_report_and_see_it_on_the_public_page(
        open_page, live_server, seeded, smtp_server):
    user, secret = office_user()
    page = open_page("ja", "desktop")
    sign_in(page, live_server.url, user, secret)
    page.goto(f"{live_server.url}/office/campaigns/new")
    starts = clock.now().astimezone(clock.JST) - timedelta(days=1)
    fields = {"#slug": "muon-imaging-2027", "#goal_amount": "１，５００，０００",
              "#starts_at": starts.strftime("%Y-%m-%d %H:%M"),
              "#ends_at": (starts + timedelta(days=60)).strftime("%Y-%m-%d 23:59"),
              "#title_ja": "ミュオンで火山の中を見る", "#title_en": "Seeing inside volcanoes with muons",
              "#description_ja": "宇宙線ミュオンで火山の内部を撮影します。"}
    for selector, value in fields.items():
        page.fill(selector, value)
    page.select_option("#funding_model", "all_or_nothing")
    assert_accessible(page)
    page.locator("form.campaign-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/campaigns/\d+$"))
    campaign = db.session.query(Campaign).filter_by(slug="muon-imaging-2027").one()
    assert (campaign.status, campaign.goal_amount, campaign.funding_model) == (
        "draft", 1_500_000, "all_or_nothing")
    page.get_by_role("button", name="クラウドファンディングを公開する").click()
    page.wait_for_url(re.compile(rf".*/office/campaigns/{campaign.id}$"))
    report = page.locator("form.report-form")
    report.locator("#report_title_ja").fill("観測装置を設置しました")
    report.locator("#report_title_en").fill("The detector is in place")
    report.locator("#report_body_ja").fill("浅間山の麓に検出器を設置しました。\n\n来月から観測を始めます。")
    report.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/office/campaigns/{campaign.id}$"))
    expect(page.locator(".posted-reports")).to_contain_text("観測装置を設置しました")
    assert_accessible(page)
    assert db.session.query(ActivityReport).filter_by(campaign_id=campaign.id).count() == 1

    # Anyone (not signed in) sees it on the campaign's page, in their language.
    for lang, title, body in (("ja", "観測装置を設置しました", "来月から観測を始めます。"),
                              ("en", "The detector is in place", "浅間山の麓に検出器を設置しました。")):
        visitor = open_page(lang, "phone")
        visitor.goto(f"{live_server.url}/campaigns/muon-imaging-2027")
        article = visitor.locator("#reports article.report")
        expect(article).to_have_count(1)
        expect(article.locator("h3")).to_have_text(title)
        expect(article).to_contain_text(body)  # English falls back to the Japanese body
        assert_accessible(visitor)
