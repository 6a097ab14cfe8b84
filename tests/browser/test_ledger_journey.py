"""The fund office's money, in Debian's Chromium: record a gift that came by bank transfer,
import the bank's CSV (in the columns saved for that bank) and confirm the line matches the
gift, allocate ¥300,000 of the general fund to the quantum-scalpel project (above the
approval threshold, so a second admin approves it), and read both statements."""
import re

import pytest
from playwright.sync_api import expect

from fund.accounting.models import BankLine
from fund.campaigns.models import Project
from fund.core import clock
from fund.core.extensions import db
from fund.giving.models import OfflineGift
from fund.ledger.models import Allocation
from fund.staff.services import create_staff
from tests.browser.conftest import assert_accessible
from tests.support.staff import enrol, sign_in_in_browser

pytestmark = pytest.mark.browser
PASSWORD = "a-long-office-password"
PROJECT = "quantum-scalpel-magnet"
# The bank's export uses these headers; none of them is among the usual names for
# withdrawal or payer, so the import reads the file only through the saved mapping.
COLUMNS = {"date": "勘定日付", "description": "お取引の内容", "deposit": "お預け入れ額",
           "withdrawal": "お引き出し額", "balance": "口座残高", "payer": "お振込人様名"}


def staff_member(email, name, role):
    user = create_staff(email, name, role, PASSWORD)
    return user, enrol(user)


def sign_in(page, base, user, secret):
    assert user.totp_secret == secret
    sign_in_in_browser(page, base, user, PASSWORD)


def bank_csv(day):
    """The bank's export: a few lines about the account, then the mapped header, Shift_JIS."""
    lines = ["ご利用口座,千葉銀行 稲毛支店 普通 1234567",
             "照会期間," + day.strftime("%Y/%m/%d") + "〜" + day.strftime("%Y/%m/%d"),
             "",
             ",".join([COLUMNS["date"], COLUMNS["description"], COLUMNS["withdrawal"],
                       COLUMNS["deposit"], COLUMNS["balance"], COLUMNS["payer"]]),
             ",".join([day.strftime("%Y/%m/%d"), "振込", "", '"500,000"', '"1,500,000"',
                       "ﾘﾖｳｼ ｲﾁﾛｳ"]),
             ",".join([day.strftime("%Y/%m/%d"), "口座振替 電気料金", '"12,340"', "",
                       '"1,487,660"', ""])]
    return ("\r\n".join(lines) + "\r\n").encode("shift_jis")


def test_bank_transfer_gift_matched_to_the_bank_csv_allocated_and_seen_on_the_statements(
        open_page, live_server, seeded, smtp_server):
    base = live_server.url
    office, office_secret = staff_member("jimu@qst.example", "事務 太郎", "office")
    admin, admin_secret = staff_member("kanri@qst.example", "管理 花子", "admin")
    today = clock.today_jst()
    page = open_page("ja", "desktop")
    sign_in(page, base, office, office_secret)

    # 1. The gift that arrived by bank transfer, designated to nothing (the general fund).
    page.goto(f"{base}/office/money/gifts/new")
    form = page.locator("form.gift-form")
    for selector, value in {"#f-name": "量子 一郎", "#f-name_kana": "リョウシ イチロウ",
                            "#f-postal_code": "263-8555", "#f-address": "千葉県千葉市稲毛区穴川4-9-1",
                            "#f-email": "ichiro@example.jp", "#f-amount": "５００，０００",
                            "#f-received_on": today.strftime("%Y/%m/%d"),
                            "#f-transfer_name": "ﾘﾖｳｼ ｲﾁﾛｳ"}.items():
        form.locator(selector).fill(value)
    form.locator("#f-destination").select_option("general")
    form.locator("input[name=method][value=direct_transfer]").check()
    form.locator("#f-money_account").select_option("bank:main")
    assert_accessible(page)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/donations/\d+$"))
    gift = db.session.query(OfflineGift).one()
    assert (gift.payment.amount, gift.transfer_name, gift.money_account) == (
        500_000, "ﾘﾖｳｼ ｲﾁﾛｳ", "bank:main")
    donation_id = gift.payment.donation_id

    # 2. The bank's columns are saved once; its CSV is imported and the deposit confirmed.
    page.goto(f"{base}/office/money/bank/accounts")
    main = page.locator("form.bank-account").filter(
        has=page.locator("input[name=slug][value=main]"))
    main.locator("input[name=name]").fill("千葉銀行 稲毛支店 普通 1234567")
    for field, header in COLUMNS.items():
        main.locator(f"input[name=column_{field}]").fill(header)
    assert_accessible(page)
    main.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/money/bank/accounts$"))

    page.goto(f"{base}/office/money/bank")
    upload = page.locator("form.bank-import")
    upload.locator("select[name=bank]").select_option("bank:main")
    upload.locator("input[type=file]").set_input_files(
        {"name": "nyushukkin.csv", "mimeType": "text/csv", "buffer": bank_csv(today)})
    upload.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/money/bank$"))
    deposit = db.session.query(BankLine).filter(BankLine.deposit == 500_000).one()
    row = page.locator(f"tr[data-line='{deposit.id}']")
    expect(row).to_contain_text("ﾘﾖｳｼ ｲﾁﾛｳ")
    suggestion = row.locator("form.suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("量子 一郎")
    expect(suggestion).to_contain_text("¥500,000")
    assert_accessible(page)
    assert db.session.query(BankLine).filter_by(state="unmatched").count() == 2
    suggestion.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/money/bank$"))
    expect(page.locator(f"tr[data-line='{deposit.id}']")).to_have_count(0)
    expect(page.locator("table.bank-lines tbody tr")).to_have_count(1)  # the withdrawal waits
    db.session.expire_all()
    deposit = db.session.get(BankLine, deposit.id)
    assert (deposit.state, deposit.payment_id) == ("matched", gift.payment_id)

    # 3. ¥300,000 to the project: above the threshold, so it waits for another admin.
    page.goto(f"{base}/office/ledger/allocate")
    allocate = page.locator("form.allocate-form")
    expect(allocate.locator("#f-source option[value='fund:general']")).to_contain_text(
        "¥500,000")
    allocate.locator("#f-source").select_option("fund:general")
    project = db.session.query(Project).filter_by(slug=PROJECT).one()
    expect(allocate.locator(f"#f-project option[value='{project.id}']")).to_have_text(
        project.title("ja"))
    allocate.locator("#f-project").select_option(str(project.id))
    allocate.locator("#f-amount").fill("300,000")
    allocate.locator("#f-memo").fill("磁場測定装置の購入に充てる")
    assert_accessible(page)
    allocate.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/office/ledger/$"))
    allocation = db.session.query(Allocation).one()
    assert (allocation.amount, allocation.state, allocation.project.slug) == (
        300_000, "pending", PROJECT)
    pending = page.locator(f".request.allocation-{allocation.id}")
    expect(pending).to_contain_text("¥300,000")
    expect(pending.locator("form")).to_have_count(0)  # nobody approves their own request

    approver = open_page("ja", "desktop")
    sign_in(approver, base, admin, admin_secret)
    approver.goto(f"{base}/office/ledger/")
    waiting = approver.locator(f".request.allocation-{allocation.id}")
    waiting.locator("input[name=note]").fill("見積書を確認しました")
    assert_accessible(approver)
    waiting.get_by_role("button", name="承認").click()
    approver.wait_for_url(re.compile(r".*/office/ledger/$"))
    expect(approver.locator(f".request.allocation-{allocation.id}")).to_have_count(0)
    db.session.expire_all()
    allocation = db.session.get(Allocation, allocation.id)
    assert (allocation.state, allocation.decided_by_id) == ("booked", admin.id)

    # 4. The statements: the gift came into the general fund, ¥300,000 went to the project.
    page.goto(f"{base}/office/ledger/statements/general")
    expect(page.locator("tr[data-column=received] td")).to_have_text("¥500,000")
    expect(page.locator(".allocated-in-out")).to_have_text("¥0 / ¥300,000")
    expect(page.locator(".closing")).to_have_text("¥200,000")
    gift_line = page.locator("table.lines tbody tr").filter(
        has=page.locator(f"a[href$='/office/donations/{donation_id}']"))
    expect(gift_line).to_have_count(1)
    expect(gift_line.locator("td.num").first).to_have_text("¥500,000")
    assert_accessible(page)
    gift_line.locator("a").click()  # the line leads to the gift it records
    page.wait_for_url(re.compile(rf".*/office/donations/{donation_id}$"))
    expect(page.locator("main")).to_contain_text("量子 一郎")

    page.goto(f"{base}/office/ledger/statements/project/{PROJECT}")
    expect(page.locator(".opening")).to_have_text("¥0")
    expect(page.locator(".allocated-in-out")).to_have_text("¥300,000 / ¥0")
    expect(page.locator(".closing")).to_have_text("¥300,000")
    lines = page.locator("table.lines tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("磁場測定装置の購入に充てる")
    expect(lines.first.locator("td.num")).to_have_text(["¥300,000", "¥300,000"])
    assert_accessible(page)
