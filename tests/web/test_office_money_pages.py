"""The office's money pages, used as a clerk would: forms, uploads, confirmations, downloads."""
import io
import re
from datetime import timedelta

import pytest

from fund.accounting import journal_files
from fund.accounting.models import BankLine, StripePayout
from fund.core import clock
from fund.core.extensions import db
from fund.giving.models import Donation, Instalment, PledgeAgreement
from tests.ledger.helpers import balances
from tests.support.bank_statements import statement
from tests.support.forms import CSRF
from tests.support.stripe_report import report, row


def token(client, url):
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def day(offset=0):
    return (clock.today_jst() + timedelta(days=offset)).strftime("%Y/%m/%d")


GIFT = {"kind": "individual", "name": "山田 太郎", "name_kana": "ヤマダ タロウ",
        "postal_code": "２６３－８５５５", "address": "千葉県千葉市稲毛区穴川4-9-1",
        "email": "taro@example.jp", "amount": "５０，０００", "destination": "project:quantum-scalpel-magnet",
        "method": "direct_transfer", "money_account": "bank:main", "transfer_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "wants_receipt": "y"}


@pytest.fixture
def office(client, sign_in, seeded):
    return sign_in("office")


def post_gift(client, **changes):
    data = {**GIFT, "received_on": day(-2), **changes,
            "csrf_token": token(client, "/office/money/gifts/new")}
    return client.post("/office/money/gifts", data=data)


def test_record_a_gift_then_match_it_on_the_bank_statement(client, office):
    page = client.get("/office/money/").get_data(as_text=True)
    assert "入金・照合" in page and "未処理の銀行明細" in page
    response = post_gift(client)
    assert response.status_code == 302 and "/office/donations/" in response.headers["Location"]
    donation = db.session.execute(db.select(Donation)).scalar_one()
    assert donation.donor.postal_code == "263-8555" and donation.amount == 50_000
    assert "山田 太郎" in client.get("/office/money/gifts").get_data(as_text=True)

    upload = statement([(day(-1), "振込 ﾔﾏﾀﾞ ﾀﾛｳ", 50_000, 0), (day(-1), "振込 ｽｽﾞｷ", 3_000, 0)])
    response = client.post("/office/money/bank/statements", data={
        "bank": "bank:main", "file": (io.BytesIO(upload), "april.csv"),
        "csrf_token": token(client, "/office/money/bank")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/office/money/bank").get_data(as_text=True)
    assert "ﾔﾏﾀﾞ ﾀﾛｳ" in page and page.count('class="suggestion"') == 1
    line = db.session.execute(db.select(BankLine).filter_by(deposit=50_000)).scalar_one()
    target = re.search(rf'lines/{line.id}/match".*?name="kind" value="(\w+)".*?name="target" '
                       r'value="(\d+)"', page, re.S)
    response = client.post(f"/office/money/bank/lines/{line.id}/match", data={
        "kind": target[1], "target": target[2], "csrf_token": token(client, "/office/money/bank")})
    assert response.status_code == 302
    db.session.expire_all()
    assert line.state == "matched" and balances()["bank:main"] == 50_000
    # The same file again is refused on the page, with the reason.
    response = client.post("/office/money/bank/statements", data={
        "bank": "bank:main", "file": (io.BytesIO(upload), "april.csv"),
        "csrf_token": token(client, "/office/money/bank")}, content_type="multipart/form-data")
    assert response.status_code == 409 and "april.csv" in response.get_data(as_text=True)
    other = db.session.execute(db.select(BankLine).filter_by(deposit=3_000)).scalar_one()
    page = client.get("/office/money/bank").get_data(as_text=True)
    assert f"bank_line_id={other.id}" in page
    client.post(f"/office/money/bank/lines/{other.id}/dismiss", data={
        "reason": "返金済み", "csrf_token": token(client, "/office/money/bank")})
    db.session.expire_all()
    assert other.state == "dismissed"


def test_a_refused_gift_shows_the_form_again_with_the_problems(client, office):
    response = post_gift(client, amount="0", received_on=day(3))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="alert"' in page and "山田 太郎" in page
    assert db.session.query(Donation).count() == 0
    response = post_gift(client, received_on="2026/13/40")
    assert response.status_code == 422 and db.session.query(Donation).count() == 0


def test_empty_fields_show_an_example_of_what_they_take(client, office):
    gift = client.get("/office/money/gifts/new").get_data(as_text=True)
    assert 'name="name_kana" value="" placeholder="ヤマダ タロウ">' in gift
    assert 'name="name" value="">' in gift  # a field without an example has no hint
    pledge = client.get("/office/money/pledges/new").get_data(as_text=True)
    assert 'name="transfer_name" value="" placeholder="ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ">' in pledge


def test_a_gift_from_a_bank_line_is_prefilled(client, office):
    upload = statement([(day(-1), "振込 ｽｽﾞｷ ｲﾁﾛｳ", 3_000, 0)])
    client.post("/office/money/bank/statements", data={
        "file": (io.BytesIO(upload), "may.csv"), "csrf_token": token(client, "/office/money/bank")},
        content_type="multipart/form-data")
    line = db.session.execute(db.select(BankLine)).scalar_one()
    page = client.get(f"/office/money/gifts/new?bank_line_id={line.id}").get_data(as_text=True)
    assert 'value="3000"' in page and 'value="ｽｽﾞｷ ｲﾁﾛｳ"' in page
    response = post_gift(client, amount="3000", transfer_name="ｽｽﾞｷ ｲﾁﾛｳ", name="鈴木 一郎",
                         name_kana="スズキ イチロウ", received_on=line.booked_on.strftime("%Y/%m/%d"),
                         bank_line_id=str(line.id), destination="general")
    assert response.status_code == 302
    db.session.expire_all()
    assert line.state == "matched" and line.payment.donation.donor.name == "鈴木 一郎"


def test_a_pledge_from_the_form_and_an_instalment_recorded(client, office):
    data = {"kind": "corporation", "company_name": "株式会社九州電機", "representative": "九州 一郎",
            "name": "総務 花子", "name_kana": "ソウム ハナコ", "postal_code": "812-0011",
            "address": "福岡県福岡市博多区1-1", "email": "soumu@kyushu.example", "total": "1,000,000",
            "destination": "general", "expected_method": "direct_transfer",
            "transfer_name": "ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ",
            "schedule": f"{day(-5)} 500000\n{day(170)} 500,000",
            "csrf_token": token(client, "/office/money/pledges/new")}
    response = client.post("/office/money/pledges", data=data)
    assert response.status_code == 302
    agreement = db.session.execute(db.select(PledgeAgreement)).scalar_one()
    page = client.get("/office/money/pledges").get_data(as_text=True)
    assert "株式会社九州電機" in page and 'class="late"' in page
    first = agreement.instalments[0]
    response = client.post(f"/office/money/pledges/{agreement.id}/instalments/{first.id}", data={
        "received_on": day(), "amount": "500000", "money_account": "bank:main",
        "wants_receipt": "y", "csrf_token": token(client, f"/office/money/pledges/{agreement.id}")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Instalment, first.id).gift is not None
    response = client.post("/office/money/pledges", data={**data, "schedule": f"{day(5)} 10"})
    assert response.status_code == 422 and "¥1,000,000" in response.get_data(as_text=True)


def test_stripe_report_upload_payout_page_and_reconcile(client, office):
    upload = report([row("txn_1", 5_000, fee=180, source="ch_unknown")])
    response = client.post("/office/money/stripe/report", data={
        "file": (io.BytesIO(upload), "po.csv"), "csrf_token": token(client, "/office/money/stripe")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/office/money/stripe").get_data(as_text=True)
    assert "txn_1" in page and "po_report_1" in page
    payout = db.session.execute(db.select(StripePayout)).scalar_one()
    response = client.post(f"/office/money/stripe/payouts/{payout.id}/reconcile", data={
        "csrf_token": token(client, "/office/money/stripe")})
    assert response.status_code == 422 and "txn_1" in response.get_data(as_text=True)
    assert "txn_1" in client.get(f"/office/money/stripe/payouts/{payout.id}").get_data(as_text=True)


def test_the_mapping_is_edited_by_the_office_and_the_journal_downloaded_by_the_accountant(
        client, office, sign_in):
    response = client.post("/office/money/mapping", data={
        "key": "expense:spend", "account": "研究事業費", "sub_account": "", "tax": "対象外",
        "csrf_token": token(client, "/office/money/mapping")})
    assert response.status_code == 302
    assert "研究事業費" in client.get("/office/money/mapping").get_data(as_text=True)
    post_gift(client)
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    sign_in("accountant")
    page = client.get("/accountant/journal/").get_data(as_text=True)
    assert "研究事業費" in page and 'name="account"' not in page  # read-only for accountants
    year = clock.today_jst().year if clock.today_jst().month >= 4 else clock.today_jst().year - 1
    response = client.post("/accountant/journal/", data={
        "fiscal_year": str(year), "format": "yayoi",
        "csrf_token": token(client, "/accountant/journal/")})
    assert response.status_code == 200 and "shift_jis" in response.headers["Content-Type"]
    back = journal_files.read_yayoi(response.data)
    assert back.rows == 1 and back.debit_total == 50_000
    assert back.accounts["普通預金"] == (50_000, 0)
