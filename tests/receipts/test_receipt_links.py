"""The donor's signed receipt link: theirs only, and only for a while."""
import io
from datetime import timedelta

from freezegun import freeze_time
from pypdf import PdfReader

from fund.core.extensions import db
from fund.receipts.models import Receipt
from fund.receipts import links
from tests.support.forms import post_donation


def _paid_receipt(client, card_token, **form):
    assert post_donation(client, token=card_token(), **form).status_code == 302
    return db.session.query(Receipt).order_by(Receipt.id.desc()).first()


def test_link_opens_only_its_own_receipt(client, seeded, ctx, card_token):
    first = _paid_receipt(client, card_token)
    second = _paid_receipt(client, card_token, name="髙橋 𠮷男", email="t@example.jp")
    token = links.receipt_token(second)
    response = client.get(f"/r/{token}")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert second.number in text and first.number not in text


def test_tampered_link_is_forbidden(client, seeded, ctx, card_token):
    receipt = _paid_receipt(client, card_token)
    token = links.receipt_token(receipt)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", token + "x"):
        response = client.get(f"/r/{bad}")
        assert response.status_code == 403
        assert response.mimetype == "text/html"


def test_expired_link_is_gone(client, seeded, ctx, card_token, app):
    receipt = _paid_receipt(client, card_token)
    token = links.receipt_token(receipt)
    # Valid through the filing season after the receipt's year, and gone after it.
    with freeze_time(links.valid_until(receipt) + timedelta(minutes=1)):
        response = client.get(f"/r/{token}")
    assert response.status_code == 410
    assert "有効期限" in response.get_data(as_text=True)
