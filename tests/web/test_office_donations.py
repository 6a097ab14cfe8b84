"""The office finds, filters, totals and exports gifts; every time is Japan time."""
import csv
import io
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.receipts.models import Receipt, ReceiptLine
from tests.factories import (CampaignFactory, DonationFactory, DonorFactory, PaymentFactory,
                             RefundFactory, paid_gift)

UTC = timezone.utc


@pytest.fixture
def gifts(ctx):
    """Three donors and their gifts, across the 31 March / 1 April fiscal-year line."""
    campaign = CampaignFactory(title_ja="レーザー研究", title_en="Laser research")
    hanako = DonorFactory(name="量子 花子", name_kana="リョウシ ハナコ", email="hanako@example.jp",
                          phone="090-1234-5678")
    taro = DonorFactory(name="山田 太郎", name_kana="ヤマダ タロウ", email="taro.y@example.jp")
    corp = DonorFactory(kind="corporation", name="担当 一郎", company_name="株式会社量子",
                        representative="代表 二郎", name_kana="カブシキガイシャリョウシ",
                        email="info@ryoshi.example")
    march = paid_gift(hanako, 5000, at=datetime(2027, 3, 31, 14, 30, tzinfo=UTC))  # 23:30 JST
    april = paid_gift(hanako, 7000, at=datetime(2027, 3, 31, 15, 30, tzinfo=UTC),  # 4/1 00:30 JST
                      designation="campaign", campaign=campaign)
    refunded = paid_gift(taro, 3000, at=datetime(2026, 11, 24, 19, 41, tzinfo=UTC))
    RefundFactory(payment=refunded.payments[0], amount=1000)
    konbini = DonationFactory(donor=corp, amount=100000)
    PaymentFactory(donation=konbini, method="konbini", state="requires_action", succeeded_at=None)
    receipt = Receipt(series_year=2027, sequence=4, number="2027-000004", kind="single",
                      donor_id=hanako.id, donor_kind="individual", donor_name=hanako.name,
                      donor_address="千葉県", amount=5000, received_on=datetime(2027, 3, 31).date(),
                      year=2027, issuer_name="QST", issuer_address="千葉", issuer_representative="理事長",
                      issued_on=datetime(2027, 4, 1).date())
    db.session.add(receipt)
    db.session.flush()
    db.session.add(ReceiptLine(receipt_id=receipt.id, donation_id=march.id, amount=5000,
                               received_on=receipt.received_on))
    db.session.commit()
    return {"march": march, "april": april, "refunded": refunded, "konbini": konbini,
            "campaign": campaign}


def _ids(page):
    return [int(chunk.split('"', 1)[0]) for chunk in page.split('data-donation="')[1:]]


def _list(client, **args):
    response = client.get("/office/donations", query_string=args)
    return response, response.get_data(as_text=True)


def test_a_gift_is_found_by_name_kana_email_phone_receipt_number_and_id(client, sign_in, gifts):
    sign_in("office")
    for q in ("量子", "りょうし はなこ", "ﾘｮｳｼ", "ハナコ", "HANAKO@example.jp", "09012345678",
              "090-1234-5678", "2027-000004"):
        response, page = _list(client, q=q)
        assert response.status_code == 200
        found = set(_ids(page))
        assert gifts["march"].id in found and gifts["refunded"].id not in found, q
    assert _ids(_list(client, q="2027-000004")[1]) == [gifts["march"].id]
    assert _ids(_list(client, q="株式会社量子")[1]) == [gifts["konbini"].id]
    assert _ids(_list(client, q=f"#{gifts['april'].id}")[1]) == [gifts["april"].id]
    assert _ids(_list(client, q="誰もいない")[1]) == []


def test_each_row_links_its_gift_and_donor_and_says_its_status_in_words(client, sign_in, gifts):
    sign_in("office")
    gift = gifts["refunded"]
    _response, page = _list(client, status="partially_refunded", lang="ja")
    row = page.split(f'data-donation="{gift.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'href="/office/donations/{gift.id}"' in row
    assert f'href="/office/donors/{gift.donor_id}"' in row
    assert "一部返金" in row and "partially_refunded" not in row


def test_filters_and_the_totals_of_what_is_shown(client, sign_in, gifts):
    sign_in("office")
    _response, page = _list(client, status="partially_refunded")
    assert _ids(page) == [gifts["refunded"].id]
    assert 'class="paid">¥3,000' in page and 'class="refunded">¥1,000' in page
    assert 'class="net">¥2,000' in page
    _response, page = _list(client, destination=f"campaign:{gifts['campaign'].id}")
    assert _ids(page) == [gifts["april"].id]
    assert _ids(_list(client, method="konbini")[1]) == [gifts["konbini"].id]
    assert _ids(_list(client, status="pending")[1]) == [gifts["konbini"].id]
    _response, page = _list(client)
    assert 'class="count">4<' in page and 'class="paid">¥15,000' in page


def test_fiscal_years_are_cut_at_1_april_in_japan(client, sign_in, gifts):
    sign_in("office")
    in_2026 = set(_ids(_list(client, fy="２０２６")[1]))  # full-width digits are fine
    in_2027 = set(_ids(_list(client, fy="2027")[1]))
    assert gifts["march"].id in in_2026 and gifts["april"].id in in_2027
    assert gifts["april"].id not in in_2026
    assert _ids(_list(client, **{"from": "2027/4/1", "to": "2027年4月1日"})[1]) == [gifts["april"].id]


def test_every_time_on_the_list_and_the_gift_page_is_japan_time(client, sign_in, gifts):
    sign_in("office")
    _response, page = _list(client, status="partially_refunded")
    assert 'class="at">2026-11-25 04:41<' in page and "2026-11-24 19:41" not in page
    detail = client.get(f"/office/donations/{gifts['refunded'].id}").get_data(as_text=True)
    assert 'class="received">2026-11-25 04:41<' in detail


def test_a_malformed_search_or_export_is_refused_with_a_message(client, sign_in, gifts):
    sign_in("office")
    for args in ({"from": "2027-02-30"}, {"to": "yesterday"}, {"status": "lost"},
                 {"from": "2027-04-02", "to": "2027-04-01"}, {"destination": "campaign:abc"}):
        for url in ("/office/donations", "/office/donations.csv"):
            response = client.get(url, query_string=args)
            assert response.status_code == 422, (url, args)
            assert 'class="alert"' in response.get_data(as_text=True)
    page = client.get("/office/donations", query_string={"from": "2027-04-02", "to": "2027-04-01"})
    assert "終了日が開始日より前になっています。" in page.get_data(as_text=True)
    assert db.session.query(AuditEntry).filter_by(action="donations.exported").count() == 0


def test_pages_of_fifty(client, sign_in, ctx):
    donor = DonorFactory()
    for day in range(1, 56):
        paid_gift(donor, 1000, at=datetime(2026, 6, 1 + day % 28, tzinfo=UTC))
    db.session.commit()
    sign_in("office")
    first, second = _list(client)[1], _list(client, page=2)[1]
    assert len(_ids(first)) == 50 and len(_ids(second)) == 5
    assert not set(_ids(first)) & set(_ids(second))
    assert "2 / 2" in second or "Page 2 of 2" in second


def _csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_is_spreadsheet_safe_and_streamed(client, sign_in, gifts):
    gifts["march"].donor.name = "=HYPERLINK(\"http://evil\")"
    gifts["march"].message = "+1 ありがとう"
    db.session.commit()
    sign_in("accountant")  # the accountant may export
    response = client.get("/office/donations.csv", query_string={"fy": "2026"})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    rows = _csv(response)
    assert rows[0][:4] == ["寄附", "入金日時（日本時間）", "状態", "決済方法"]
    by_gift = {int(row[0]): row for row in rows[1:]}
    assert set(by_gift) == {gifts["march"].id, gifts["refunded"].id, gifts["konbini"].id}
    march = by_gift[gifts["march"].id]
    assert march[1] == "2027-03-31 23:30" and march[2] == "入金済み"
    assert march[5] == "'=HYPERLINK(\"http://evil\")" and march[19] == "'+1 ありがとう"
    assert march[8] == '="090-1234-5678"' and march[17] == '="2027-000004"'
    refunded = by_gift[gifts["refunded"].id]
    assert refunded[12:17] == ["3000", "1000", "0", "0", "2000"]
    entry = db.session.query(AuditEntry).filter_by(action="donations.exported").one()
    assert entry.data["filters"] == {"fy": 2026}


def test_the_english_export(client, sign_in, gifts):
    sign_in("office")
    client.get("/office/?lang=en")
    rows = _csv(client.get("/office/donations.csv", query_string={"method": "konbini"}))
    assert rows[0][:3] == ["Gift", "Received (JST)", "Status"]
    assert rows[1][2:5] == ["Pending", "Konbini", "General fund"]
    assert rows[1][5] == "株式会社量子"


def test_the_accountant_reads_gifts_but_cannot_refund(client, sign_in, gifts):
    sign_in("accountant")
    page = client.get(f"/office/donations/{gifts['march'].id}").get_data(as_text=True)
    assert "2027-000004" in page and "refund-form" not in page
    assert client.get("/office/donations").status_code == 200


def test_a_reissued_receipt_is_found_by_either_number(client, sign_in, gifts):
    old = db.session.query(Receipt).one()
    old.status = "void"
    db.session.query(ReceiptLine).update({"active": False})
    kept = {c.name: getattr(old, c.name) for c in Receipt.__table__.columns
            if c.name not in ("id", "number", "revision", "status")}
    reissue = Receipt(**kept, number="2027-000004-2", revision=2)
    other = Receipt(**{**kept, "sequence": 40}, number="2027-000040")
    db.session.add_all([reissue, other])
    db.session.flush()
    db.session.add(ReceiptLine(receipt_id=reissue.id, donation_id=gifts["march"].id, amount=5000,
                               received_on=reissue.received_on))
    db.session.add(ReceiptLine(receipt_id=other.id, donation_id=gifts["april"].id, amount=7000,
                               received_on=other.received_on))
    db.session.commit()
    sign_in("office")
    for q in ("2027-000004", "2027-000004-2", "２０２７－０００００４－２"):
        assert _ids(_list(client, q=q)[1]) == [gifts["march"].id], q
    assert _ids(_list(client, q="2027-000040")[1]) == [gifts["april"].id]
    assert _ids(_list(client, q="2027-000005")[1]) == []
