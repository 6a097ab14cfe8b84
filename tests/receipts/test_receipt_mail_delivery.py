"""Receipt links last through the filing season, and an expired one can be renewed by email."""
from datetime import datetime, timezone

from freezegun import freeze_time

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts import issuing as receipts
from fund.receipts import links
from tests.receipts.helpers import ACTOR, paid_gift
from tests.support.forms import csrf_token


def _receipt():
    gift = paid_gift(at=datetime(2026, 11, 10, 3, tzinfo=timezone.utc))
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


def test_a_link_sent_in_november_opens_until_the_end_of_the_filing_season(client, ctx):
    with freeze_time("2026-11-10 04:00:00"):
        receipt = _receipt()
        token = links.receipt_url(receipt).rsplit("/", 1)[-1]
        assert str(links.last_day(receipt)) == "2027-03-15"
    # 90 days would have ended on 8 February 2027, before the season.
    with freeze_time("2027-03-15 14:00:00"):  # 15 March 23:00 JST
        response = client.get(f"/r/{token}")
        assert response.status_code == 200
    assert db.session.get(type(receipt), receipt.id).opened_at is not None
    with freeze_time("2027-03-15 15:30:00"):  # 16 March 00:30 JST
        response = client.get(f"/r/{token}")
        assert response.status_code == 410
        assert "新しいリンクを送る" in response.get_data(as_text=True)


def test_an_expired_link_can_be_renewed_to_the_address_on_file(client, ctx):
    with freeze_time("2026-11-10 04:00:00"):
        receipt = _receipt()
        token = links.receipt_token(receipt)
    before = db.session.execute(db.select(db.func.count(OutboundEmail.id))).scalar()
    with freeze_time("2027-04-01 03:00:00", tick=True):
        assert client.get(f"/r/{token}").status_code == 410
        csrf_value = csrf_token(client, "/donate")
        response = client.post(f"/r/{token}/renew", data={"csrf_token": csrf_value})
        assert response.status_code == 200
        sent = db.session.execute(db.select(OutboundEmail).order_by(
            OutboundEmail.id.desc())).scalars().first()
        assert db.session.execute(db.select(db.func.count(OutboundEmail.id))).scalar() == before + 1
        assert sent.to_address == receipt.donor.email
        assert "/r/" in sent.body
        # A forged token gets nothing.
        assert client.post("/r/forged/renew", data={"csrf_token": csrf_value}).status_code == 403
