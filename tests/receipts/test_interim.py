"""The interim statement (途中経過): this year's gifts so far, never a receipt."""
from datetime import datetime, timezone

from freezegun import freeze_time

from fund.core.extensions import db
from fund.receipts import interim
from fund.receipts.models import Receipt, ReceiptSeries
from tests.giving.test_self_service import _sign_in
from tests.receipts.helpers import donor, paid_gift, pdf_text


def _flat(data):
    return "".join(pdf_text(data).split())


def _gifts(person):
    paid_gift(person, amount=3000, at=datetime(2026, 2, 10, 1, tzinfo=timezone.utc))
    paid_gift(person, amount=4500, at=datetime(2026, 8, 1, 1, tzinfo=timezone.utc))
    paid_gift(person, amount=9999, at=datetime(2025, 12, 1, 1, tzinfo=timezone.utc))  # last year
    paid_gift(donor(), amount=7777, at=datetime(2026, 3, 1, 1, tzinfo=timezone.utc))  # another
    db.session.commit()


def test_interim_statement_lists_this_years_gifts_and_says_it_is_not_a_receipt(app, ctx):
    person = donor(name="途中 経過子", receipt_preference="annual")
    _gifts(person)
    with freeze_time("2026-11-20 03:00:00"):
        text = _flat(interim.interim_pdf(donor=person, lang="ja"))
        english = _flat(interim.interim_pdf(donor=person, lang="en"))
    for expected in ("これは寄附金受領証明書ではありません", "途中経過子", "2026年2月10日",
                     "2026年8月1日", "¥7,500", "2026年11月20日"):
        assert expected in text, expected
    assert "9,999" not in text and "7,777" not in text
    assert "これは寄附金受領証明書ではありません" in english and "notadonationreceipt" in english
    # Never numbered, never stored: the series and the receipts are untouched.
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 0
    assert db.session.get(ReceiptSeries, 2026) is None


def test_the_donor_and_the_office_download_it_and_nobody_else(client, ctx, smtp_server, sign_in):
    with freeze_time("2026-11-20 03:00:00", tick=True):
        _download(client, smtp_server, sign_in)


def _download(client, smtp_server, sign_in):
    person = donor(email="interim@example.jp")
    other = donor(email="other@example.jp")
    _gifts(person)
    _sign_in(client, smtp_server, "interim@example.jp")
    assert "interim.pdf" in client.get("/my/").get_data(as_text=True)
    mine = client.get(f"/my/donors/{person.id}/interim.pdf")
    assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    assert "これは寄附金受領証明書ではありません" in _flat(mine.data)
    assert client.get(f"/my/donors/{other.id}/interim.pdf").status_code == 404
    client.post("/my/sign-out", data={"csrf_token": _token(client)})
    sign_in("office")
    office = client.get(f"/office/receipts/interim/{person.id}.pdf")
    assert office.status_code == 200 and "¥7,500" in _flat(office.data)
    assert client.get("/office/receipts/interim/999999.pdf").status_code == 404


def _token(client):
    from tests.support.forms import csrf_token
    return csrf_token(client, "/my/")
