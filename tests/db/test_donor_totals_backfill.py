"""The migration that keeps each donor's gift totals filled them from the gifts already listed."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fund.core.extensions import db
from fund.donors.models import Donor
from tests.factories import DisputeFactory, DonorFactory, RefundFactory, paid_gift


def _kept():
    db.session.expire_all()
    return {d.id: (d.gift_count, d.gift_paid, d.gift_refunded, d.gift_lost, d.gift_fee,
                   d.gift_net) for d in db.session.query(Donor)}


def test_existing_gifts_fill_the_donor_totals(app, ctx):
    first, second = DonorFactory(), DonorFactory()
    gift = paid_gift(first, 5000)
    paid_gift(first, 3000)
    RefundFactory(payment=gift.payments[0], amount=2000)
    lost = paid_gift(second, 7000)
    DisputeFactory(payment=lost.payments[0], amount=7000, state="lost")
    db.session.commit()
    before = _kept()
    assert before[first.id][:3] == (2, 8000, 2000) and before[second.id][3] == 7000
    db.session.remove()
    downgrade(revision="0610_public_page_reads")
    try:
        columns = {c["name"] for c in sa.inspect(db.session.connection()).get_columns("donor")}
        assert "gift_count" not in columns
        db.session.remove()
    finally:
        upgrade()
    assert _kept() == before
