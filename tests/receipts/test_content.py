"""What a receipt says, read back from the PDF's text (not from the template)."""
import hashlib
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.campaigns.models import Campaign, Project
from fund.receipts import issuing as receipts
from tests.receipts.helpers import ACTOR, donor, paid_gift, pages, pdf_text


def _issue(gift, **kw):
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR, **kw)
    db.session.commit()
    return receipt


def _flat(text):
    return "".join(text.split())


def test_individual_receipt_states_income_deduction(ctx):
    gift = paid_gift(donor(name="山田 花子", postal_code="100-0001",
                           address="東京都千代田区千代田1-1"), amount=12345,
                     at=datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc))  # 4/1 in Japan
    receipt = _issue(gift)
    data = receipts.pdf_bytes(receipt)
    text = _flat(pdf_text(data))
    assert receipt.number == "2026-000001"
    for expected in ("2026-000001", "寄附金受領証明書", "山田花子", "様", "〒100-0001",
                     "東京都千代田区千代田1-1", "金12,345円", "¥12,345", "2026年4月1日",
                     "特定寄附金", "所得税法第78条", "所得控除",
                     "国立研究開発法人量子科学技術研究開発機構", "千葉県千葉市稲毛区穴川4-9-1",
                     "理事長小安重夫", "ReceiptNo.", "Amount"):
        assert expected in text, expected
    assert "損金" not in text
    assert pages(data) == 1
    assert hashlib.sha256(data).hexdigest() == receipt.sha256


def test_corporation_receipt_names_company_and_representative(ctx):
    company = donor(kind="corporation", name="担当 一郎", company_name="株式会社量子テック",
                    representative="代表取締役 佐藤 次郎")
    text = _flat(pdf_text(receipts.pdf_bytes(_issue(paid_gift(company, amount=1_000_000)))))
    assert "株式会社量子テック" in text and "御中" in text
    assert "代表取締役佐藤次郎" in text
    assert "担当一郎" not in text
    assert "損金" in text and "特定公益増進法人" in text and "所得税法第78条" not in text
    assert "金1,000,000円" in text


@pytest.fixture
def wording_2026_1():
    """Before 2 December 2026: receipts are issued under wording 2026.1."""
    from freezegun import freeze_time
    with freeze_time("2026-11-20 03:00:00", tick=True):
        yield


def test_designated_purpose_is_printed(ctx, seeded, wording_2026_1):
    project = db.session.execute(db.select(Project).filter_by(
        slug="science-camp-fukushima-chiba")).scalar_one()
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    on_project = _issue(paid_gift(designation="project", project=project))
    on_campaign = _issue(paid_gift(designation="campaign", campaign=campaign))
    general = _issue(paid_gift())
    assert "福島と千葉の小学生親子サイエンスキャンプ" in _flat(pdf_text(receipts.pdf_bytes(on_project)))
    assert _flat(campaign.title_ja) in _flat(pdf_text(receipts.pdf_bytes(on_campaign)))
    assert "寄附の目的" not in pdf_text(receipts.pdf_bytes(general))


def test_english_variant_for_overseas_donors(ctx, wording_2026_1):
    overseas = donor(name="Jane Smith", locale="en", address="1 Main St, Springfield, USA",
                     postal_code="")
    gift = paid_gift(overseas, amount=30000, at=datetime(2026, 7, 4, 1, tzinfo=timezone.utc))
    text = pdf_text(receipts.pdf_bytes(_issue(gift)))
    assert "Receipt for Donation" in text and "Jane Smith" in text
    assert "4 July 2026" in text and "¥30,000" in text
    assert "Article 78" in text and "寄附金受領証明書" not in text


def test_issuer_and_seal_come_from_configuration(app, ctx, tmp_path):
    from PIL import Image
    seal = tmp_path / "seal.png"
    Image.new("RGB", (40, 40), (200, 0, 0)).save(seal)
    app.config.update(RECEIPT_ISSUER_NAME="テスト法人", RECEIPT_SEAL_IMAGE=str(seal))
    try:
        receipt = _issue(paid_gift())
    finally:
        app.config.update(RECEIPT_ISSUER_NAME="国立研究開発法人量子科学技術研究開発機構",
                          RECEIPT_SEAL_IMAGE=None)
    assert receipt.issuer_seal == str(seal)
    data = receipts.pdf_bytes(receipt)
    assert "テスト法人" in pdf_text(data)
    assert b"/Subtype /Image" in data or b"/Subtype/Image" in data


def test_receipt_is_a_snapshot(ctx):
    person = donor(name="鈴木 一郎", address="茨城県那珂市向山801-1")
    receipt = _issue(paid_gift(person))
    before = receipts.pdf_bytes(receipt)
    person.address = "北海道札幌市中央区北1条西2丁目"
    person.name = "鈴木 次郎"
    db.session.commit()
    after = receipts.pdf_bytes(db.session.get(type(receipt), receipt.id))
    assert after == before
    assert "茨城県那珂市向山801-1" in _flat(pdf_text(after))
    assert hashlib.sha256(after).hexdigest() == receipt.sha256


@pytest.mark.parametrize("name,address", [
    ("𠮷田 髙橋 﨑", "東京都<script>alert(1)</script>"),
    ("<b>Bold</b> &amp; <img src=x onerror=alert(1)>", "<a href='http://evil'>x</a>"),
])
def test_unusual_names_and_markup_are_printed_as_text(ctx, name, address):
    receipt = _issue(paid_gift(donor(name=name, address=address)))
    text = _flat(pdf_text(receipts.pdf_bytes(receipt)))
    assert _flat(name) in text
    assert _flat(address) in text


def test_very_long_name_and_address_stay_on_one_page(ctx):
    name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処" * 3
    address = "千葉県千葉市稲毛区穴川四丁目九番一号" * 14
    receipt = _issue(paid_gift(donor(name=name[:200], address=address[:500])))
    data = receipts.pdf_bytes(receipt)
    assert pages(data) == 1
    text = _flat(pdf_text(data))
    assert _flat(name[:200]) in text and receipt.number in text
