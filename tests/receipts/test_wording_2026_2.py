"""Receipt wording 2026.2 (from 2 December 2026), read back from the PDF's text.

What a tax office and a corporate accountant expect: the Cabinet Orders beside the
Acts, 損金の額に算入することができます, the company 御中 with its representative on a
line of its own, the purpose of a general gift, the office's contact and the 法人番号,
the 住民税 note, page x/y and 以下余白 on annual summaries, the 公印 or the statement
that it is omitted, and a bilingual English variant. Receipts issued before keep 2026.1.
"""
import hashlib
import io
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time
from pypdf import PdfReader

from fund.campaigns.models import Project
from fund.core import config as config_module
from fund.core.errors import ReceiptUnavailable
from fund.core.extensions import db
from fund.receipts import annual as receipt_annual
from fund.receipts import issuing as receipts
from fund.receipts import pdf, wording
from fund.receipts.models import Receipt
from tests.receipts.helpers import ACTOR, donor, paid_gift, pages, pdf_text

CORPORATE_NUMBER = "7000012050002"  # 国税庁's own, the example of its check digit
DETAILS = dict(RECEIPT_ISSUER_CORPORATE_NUMBER=CORPORATE_NUMBER,
               RECEIPT_ISSUER_OFFICE="QST未来基金事務局",
               FUND_CONTACT_PHONE="043-206-3000", FUND_CONTACT_EMAIL="kikin@qst.example")
GENERAL = "QST未来基金（使途を特定しない寄附）"
SEAL_OMITTED = "電子発行のため公印を省略しています。"


@pytest.fixture
def details(app):
    saved = {key: app.config.get(key) for key in (*DETAILS, "RECEIPT_SEAL_IMAGE")}
    app.config.update(DETAILS, RECEIPT_SEAL_IMAGE=None)
    yield app.config
    app.config.update(saved)


@pytest.fixture
def on_switch_day():
    with freeze_time("2026-12-02 01:00:00", tick=True):  # 10:00 in Japan
        yield


def _issue(gift, **kw):
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR, **kw)
    db.session.commit()
    return receipt


def _flat(text):
    return "".join(text.split())


def _lines(data):
    return [line.strip() for line in pdf_text(data).splitlines()]


def _page_texts(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _at(month, day=15):
    return datetime(2026, month, day, 1, 0, tzinfo=timezone.utc)


def test_the_new_wording_starts_on_2_december_2026():
    from datetime import date
    assert wording.version_for(date(2026, 12, 1)) == "2026.1"
    assert wording.version_for(date(2026, 12, 2)) == "2026.2"


@pytest.mark.usefixtures("on_switch_day")
def test_individual_receipt_cites_the_order_beside_the_act_and_the_residence_tax(ctx, details):
    receipt = _issue(paid_gift(donor(name="山田 花子"), amount=12345))
    assert wording.version_for(receipt.issued_on) == "2026.2"
    data = receipts.pdf_bytes(receipt)
    text = _flat(pdf_text(data))
    assert "所得税法施行令第217条第1号に規定する特定公益増進法人" in text
    # The Order and the Act in one statement, one right after the other.
    order, act = text.index("所得税法施行令第217条第1号"), text.index("所得税法第78条第2項第3号")
    assert 0 < act - order < 80
    assert "Article217,Item1oftheOrderforEnforcementoftheIncomeTaxAct" in text
    assert "個人住民税" in text and "お住まいの都道府県・市区町村の条例によります" in text
    assert "法人税法" not in text and "損金" not in text
    assert pages(data) == 1 and hashlib.sha256(data).hexdigest() == receipt.sha256


@pytest.mark.usefixtures("on_switch_day")
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_corporation_is_addressed_as_the_company_with_its_representative_below(
        ctx, details, locale):
    company = donor(kind="corporation", name="担当 一郎", company_name="株式会社量子テック",
                    representative="代表取締役 佐藤 次郎", locale=locale)
    data = receipts.pdf_bytes(_issue(paid_gift(company, amount=1_000_000, locale=locale)))
    lines = _lines(data)
    addressed = lines.index("株式会社量子テック 御中")
    assert lines[addressed + 1] == "代表取締役 佐藤 次郎"
    text = _flat(pdf_text(data))
    assert "法人税法施行令第77条第1号に規定する特定公益増進法人" in text
    order, act = text.index("法人税法施行令第77条第1号"), text.index("法人税法第37条第4項")
    assert 0 < act - order < 80
    assert "損金の額に算入することができます" in text
    assert "損金の額に算入されます" not in text
    assert "所得税法" not in text and "住民税" not in text and "担当一郎" not in text


@pytest.mark.usefixtures("on_switch_day")
def test_a_general_gift_prints_its_purpose_and_a_designated_one_its_own(ctx, details, seeded):
    project = db.session.execute(db.select(Project).filter_by(
        slug="science-camp-fukushima-chiba")).scalar_one()
    general = _flat(pdf_text(receipts.pdf_bytes(_issue(paid_gift()))))
    designated = _flat(pdf_text(receipts.pdf_bytes(
        _issue(paid_gift(designation="project", project=project)))))
    assert "寄附の目的（使途）Purpose" + GENERAL in general
    assert "福島と千葉の小学生親子サイエンスキャンプ" in designated and GENERAL not in designated


@pytest.mark.usefixtures("on_switch_day")
def test_office_contact_and_corporate_number_come_from_configuration_and_stay(ctx, details):
    receipt = _issue(paid_gift())
    assert (receipt.issuer_corporate_number, receipt.issuer_office) == \
        (CORPORATE_NUMBER, "QST未来基金事務局")
    before = receipts.pdf_bytes(receipt)
    text = _flat(pdf_text(before))
    for expected in ("法人番号", CORPORATE_NUMBER, "お問い合わせ先", "QST未来基金事務局",
                     "電話043-206-3000", "メールkikin@qst.example"):
        assert expected in text, expected
    # The receipt copied them: changed configuration does not change it.
    details.update(RECEIPT_ISSUER_CORPORATE_NUMBER="", FUND_CONTACT_PHONE="03-0000-0000",
                   RECEIPT_ISSUER_OFFICE="別の事務局")
    again = receipts.pdf_bytes(db.session.get(Receipt, receipt.id))
    assert again == before and hashlib.sha256(again).hexdigest() == receipt.sha256


def test_the_corporate_number_is_checked_and_required_outside_development():
    assert config_module.corporate_number_problem(CORPORATE_NUMBER) is None
    assert "check digit" in config_module.corporate_number_problem("8000012050002")
    assert "13 digits" in config_module.corporate_number_problem("700001205000")
    assert "13 digits" in config_module.corporate_number_problem("７000012050002")
    safe = {"FUND_ENV": "production", "SECRET_KEY": "a-long-random-secret-for-production",
            "STRIPE_WEBHOOK_SECRET": "whsec_real", "STRIPE_SECRET_KEY": "sk_test_x"}
    with pytest.raises(config_module.ConfigurationError, match="RECEIPT_ISSUER_CORPORATE_NUMBER"):
        config_module.check(safe)
    with pytest.raises(config_module.ConfigurationError, match="check digit"):
        config_module.check({"FUND_ENV": "development",
                             "RECEIPT_ISSUER_CORPORATE_NUMBER": "8000012050002"})
    config_module.check({**safe, "RECEIPT_ISSUER_CORPORATE_NUMBER": CORPORATE_NUMBER})
    config_module.check({"FUND_ENV": "development"})


@pytest.mark.usefixtures("after_year_end")
def test_a_multi_page_annual_summary_numbers_its_pages_and_ends_with_the_blank_mark(
        ctx, details):
    supporter = donor(name="月額 支援子", receipt_preference="annual")
    for month in range(1, 13):
        paid_gift(supporter, amount=3000, at=_at(month))
    summary = receipt_annual.issue_annual(donor=supporter, year=2026, actor=ACTOR)
    assert wording.version_for(summary.issued_on) == "2026.2"
    data = receipts.pdf_bytes(summary)
    texts = _page_texts(data)
    assert len(texts) >= 2
    for number, text in enumerate(texts, start=1):
        assert f"{number} / {len(texts)}" in text, number
        assert summary.number in text
    assert all("以下余白" not in text for text in texts[:-1])
    last = _flat(texts[-1])
    assert last.index("2026年12月15日") < last.index("合計") < last.index("以下余白")
    assert _flat(pdf_text(data)).count(GENERAL) == 12
    # In a batch (bulk issue, exports) a summary is laid out alone: same bytes, own count.
    single = _issue(paid_gift(donor(), at=_at(6)))
    batch = pdf.render_receipts([receipts.printable(summary), receipts.printable(single),
                                 receipts.printable(summary)])
    assert batch == [data, receipts.pdf_bytes(single), data]


@pytest.mark.usefixtures("on_switch_day")
def test_the_seal_is_printed_when_configured_else_its_omission_is_stated(
        app, ctx, details, tmp_path):
    from PIL import Image
    without = receipts.pdf_bytes(_issue(paid_gift()))
    assert SEAL_OMITTED in _flat(pdf_text(without))
    assert b"/Subtype /Image" not in without and b"/Subtype/Image" not in without

    seal = tmp_path / "seal.png"
    Image.new("RGB", (40, 40), (200, 0, 0)).save(seal)
    details["RECEIPT_SEAL_IMAGE"] = str(seal)
    sealed = _issue(paid_gift())
    data = receipts.pdf_bytes(sealed)
    assert b"/Subtype /Image" in data or b"/Subtype/Image" in data
    assert SEAL_OMITTED not in _flat(pdf_text(data))

    # A seal configured but not there: refused, nothing issued.
    details["RECEIPT_SEAL_IMAGE"] = str(tmp_path / "gone.png")
    gift = paid_gift()
    count = db.session.execute(db.select(db.func.count(Receipt.id))).scalar_one()
    with pytest.raises(ReceiptUnavailable, match="RECEIPT_SEAL_IMAGE"):
        receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count(Receipt.id))).scalar_one() == count
    # A sealed receipt whose image went missing is not rendered as if omitted on purpose.
    seal.unlink()
    with pytest.raises(ReceiptUnavailable, match="missing"):
        receipts.pdf_bytes(db.session.get(Receipt, sealed.id))


@pytest.mark.usefixtures("on_switch_day")
def test_english_variant_is_bilingual_and_says_the_deduction_is_japanese(ctx, details):
    overseas = donor(name="Jane Smith", locale="en", address="1 Main St, Springfield, USA",
                     postal_code="")
    receipt = _issue(paid_gift(overseas, amount=30000, locale="en",
                               at=datetime(2026, 7, 4, 1, tzinfo=timezone.utc)))
    assert receipt.language == "en"
    data = receipts.pdf_bytes(receipt)
    text = _flat(pdf_text(data))
    for japanese, english in (
            ("寄附金受領証明書", "ReceiptforDonation"),
            ("所得税法施行令第217条第1号", "Article217,Item1oftheOrderforEnforcementoftheIncomeTaxAct"),
            ("所得税法第78条第2項第3号", "Article78,Paragraph2,Item3oftheIncomeTaxAct"),
            ("2026年7月4日", "4July2026"),
            (GENERAL, "QSTFutureFund(adonationfornospecificuse)"),
            ("日本国外にお住まいの寄附者の方へ", "FordonorsoutsideJapan:thedeductionstatedonthis"
                                     "receiptisoneunderJapanesetaxlaw"),
            (SEAL_OMITTED, "Theofficialsealisomitted")):
        assert japanese in text and english in text, (japanese, english)
    assert "JaneSmith様" in text and "金30,000円" in text and pages(data) == 1
    # The Japanese receipt does not carry the note for donors outside Japan.
    japanese = _flat(pdf_text(receipts.pdf_bytes(_issue(paid_gift()))))
    assert "日本国外" not in japanese and "FordonorsoutsideJapan" not in japanese


def test_receipts_issued_under_2026_1_keep_their_wording(app, ctx, details):
    with freeze_time("2026-11-30 03:00:00", tick=True):
        person = _issue(paid_gift(donor(name="山田 花子")))
        company = _issue(paid_gift(donor(kind="corporation", company_name="株式会社量子テック",
                                         representative="代表取締役 佐藤 次郎")))
        english = _issue(paid_gift(donor(name="Jane Smith", locale="en"), locale="en"))
        issued = {r.id: receipts.pdf_bytes(r) for r in (person, company, english)}
    with freeze_time("2027-01-10 03:00:00", tick=True):  # long after the switch
        for receipt in (person, company, english):
            again = receipts.pdf_bytes(db.session.get(Receipt, receipt.id))
            assert again == issued[receipt.id]
            assert hashlib.sha256(again).hexdigest() == receipt.sha256
            assert wording.version_for(receipt.issued_on) == "2026.1"
            text = _flat(pdf_text(again))
            for new in ("施行令", "法人番号", CORPORATE_NUMBER, "住民税", "お問い合わせ先",
                        SEAL_OMITTED, GENERAL, "日本国外", "FordonorsoutsideJapan"):
                assert new not in text, (receipt.number, new)
        assert "特別損金算入限度額の範囲内で損金の額に算入されます" in \
            _flat(pdf_text(issued[company.id]))
        english_text = _flat(pdf_text(issued[english.id]))
        assert "ReceiptforDonation" in english_text and "寄附金受領証明書" not in english_text
