"""Disputes arrive by webhook; Stripe's re-read decides (served with `responses`)."""
import pytest

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.payments.models import Dispute
from tests.support import stripe_fake
from tests.payments.conftest import post_refund
from tests.payments.helpers import paid_gift, send


def test_dispute_opened_then_won_restores_the_gift(client, ctx, fake, office):
    payment = paid_gift(client, fake)
    gift = payment.donation
    fake.disputes["dp_1"] = stripe_fake.dispute("dp_1", "ch_fake_1", None, 5000)
    assert send(client, "evt_dp_1", "charge.dispute.created",
                {"id": "dp_1", "object": "dispute", "status": "won"}) == "processed"
    db.session.expire_all()
    dispute = db.session.query(Dispute).one()
    assert (dispute.state, dispute.amount, dispute.reason) == ("needs_response", 5000, "fraudulent")
    assert gift.status == "disputed" and gift.net_amount == 5000  # the body's "won" is not trusted

    page = client.get("/office/disputes").get_data(as_text=True)
    assert "dp_1" in page and 'class="dispute-needs_response"' in page
    detail = client.get(f"/office/donations/{gift.id}?lang=en").get_data(as_text=True)
    assert "An open dispute blocks refunds" in detail
    assert post_refund(client, gift.id, 1000).status_code == 409

    fake.disputes["dp_1"]["status"] = "won"
    assert send(client, "evt_dp_2", "charge.dispute.closed",
                {"id": "dp_1", "object": "dispute"}) == "processed"
    db.session.expire_all()
    assert dispute.state == "won" and gift.status == "paid" and gift.net_amount == 5000
    actions = [(a.action, a.actor_id) for a in db.session.query(AuditEntry)
               .filter_by(subject_type="dispute").order_by(AuditEntry.id)]
    assert actions == [("dispute.opened", "evt_dp_1"), ("dispute.won", "evt_dp_2")]


@pytest.mark.parametrize("amount,status,net", [(5000, "refunded", 0),
                                               (2000, "partially_refunded", 3000)])
def test_lost_dispute_takes_the_money(client, ctx, fake, amount, status, net):
    payment = paid_gift(client, fake)
    gift = payment.donation
    fake.disputes["dp_2"] = stripe_fake.dispute("dp_2", "ch_fake_1", "pi_fake_1", amount,
                                                status="under_review")
    send(client, "evt_a", "charge.dispute.created", {"id": "dp_2", "object": "dispute"})
    fake.disputes["dp_2"]["status"] = "lost"
    send(client, "evt_b", "charge.dispute.closed", {"id": "dp_2", "object": "dispute"})
    send(client, "evt_b", "charge.dispute.closed", {"id": "dp_2", "object": "dispute"})
    send(client, "evt_c", "charge.dispute.updated", {"id": "dp_2", "object": "dispute"})
    db.session.expire_all()
    assert db.session.query(Dispute).one().state == "lost"
    assert gift.disputed_lost_amount == amount and gift.net_amount == net
    assert gift.status == status
    assert db.session.query(AuditEntry).filter_by(action="dispute.lost").count() == 1


def test_dispute_for_a_charge_we_never_saw_is_acknowledged(client, ctx, fake):
    fake.charges["ch_other"] = stripe_fake.charge("ch_other", 1000, payment_intent="pi_other")
    fake.intents["pi_other"] = stripe_fake.intent("pi_other", 1000, charge="ch_other")
    fake.disputes["dp_x"] = stripe_fake.dispute("dp_x", "ch_other", None, 1000)
    assert send(client, "evt_x", "charge.dispute.created",
                {"id": "dp_x", "object": "dispute"}) == "unknown_object"
    assert send(client, "evt_y", "charge.dispute.created",
                {"id": "dp_missing", "object": "dispute"}) == "unknown_object"
    assert db.session.query(Dispute).count() == 0


def test_fee_net_and_settlement_date_are_stored_and_shown(client, ctx, fake, office):
    payment = paid_gift(client, fake)
    assert (payment.fee, payment.net) == (180, 4820)
    assert payment.available_on.timestamp() == stripe_fake.NOW + 86400 * 4
    page = client.get(f"/office/donations/{payment.donation_id}").get_data(as_text=True)
    assert 'class="num fee">¥180<' in page and 'class="num net">¥4,820<' in page
    assert 'class="settles">2026-06-02<' in page  # 1780000000 + 4 days, in JST


def test_a_chargeback_voids_the_receipt_through_the_webhook_and_won_reissues_it(client, ctx,
                                                                                 fake):
    from fund.receipts import issuing
    from fund.receipts.models import Receipt

    gift = paid_gift(client, fake).donation
    receipt = issuing.covering_receipt(gift)
    assert receipt is not None and receipt.status == "valid"
    fake.disputes["dp_r"] = stripe_fake.dispute("dp_r", "ch_fake_1", "pi_fake_1", 5000)
    send(client, "evt_r1", "charge.dispute.created", {"id": "dp_r", "object": "dispute"})
    db.session.expire_all()
    assert receipt.status == "void" and receipt.void_reason == issuing.DISPUTE_REASON
    assert issuing.covering_receipt(gift) is None
    fake.disputes["dp_r"]["status"] = "won"
    send(client, "evt_r2", "charge.dispute.closed", {"id": "dp_r", "object": "dispute"})
    send(client, "evt_r3", "charge.dispute.closed", {"id": "dp_r", "object": "dispute"})
    db.session.expire_all()
    new = issuing.covering_receipt(gift)
    assert new.number == receipt.number + "-2" and new.replaces_id == receipt.id
    assert db.session.query(Receipt).count() == 2
