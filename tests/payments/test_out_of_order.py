"""Events late, early, repeated or about objects we never saw: 2xx, one effect."""
from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.payments.models import Payment, Refund, StripeEvent
from fund.receipts.models import Receipt
from tests.support import stripe_fake
from tests.payments.helpers import gift_known_to_stripe, paid_gift, send
from tests.conftest import WEBHOOK_SECRET
from tests.support.stripe_events import deliver, event


def test_refund_event_before_the_success_event(client, ctx, fake):
    payment = gift_known_to_stripe(fake)
    fake.refunds["re_early"] = stripe_fake.refund("re_early", "ch_fake_1", "pi_fake_1", 2000)
    charge = dict(fake.charges["ch_fake_1"], amount_refunded=2000)
    assert send(client, "evt_refund_first", "charge.refunded", charge) == "processed"
    assert send(client, "evt_success_late", "payment_intent.succeeded",
                {"id": "pi_fake_1", "object": "payment_intent"}) == "processed"
    db.session.expire_all()
    assert payment.state == "succeeded" and payment.fee is not None
    refund = db.session.query(Refund).one()
    assert (refund.stripe_refund_id, refund.amount, refund.state) == ("re_early", 2000, "succeeded")
    gift = payment.donation
    assert gift.status == "partially_refunded" and gift.net_amount == 3000
    succeeded = db.session.query(AuditEntry).filter_by(action="payment.succeeded").one()
    assert succeeded.actor_id == "evt_refund_first"  # the refund event caught the payment up
    assert db.session.query(OutboundEmail).filter_by(kind="thanks").count() == 1
    assert db.session.query(Receipt).filter_by(status="valid").count() <= 1


def test_dashboard_refund_is_read_from_stripe_not_from_the_event(client, ctx, fake):
    payment = paid_gift(client, fake)
    fake.refunds["re_dash"] = stripe_fake.refund("re_dash", "ch_fake_1", "pi_fake_1", 1500)
    forged = dict(fake.charges["ch_fake_1"], amount_refunded=5000, refunded=True, refunds={
        "object": "list", "data": [stripe_fake.refund("re_dash", "ch_fake_1", "pi_fake_1", 5000)]})
    send(client, "evt_r1", "charge.refunded", forged)
    send(client, "evt_r2", "refund.created", fake.refunds["re_dash"])
    send(client, "evt_r1", "charge.refunded", forged)
    db.session.expire_all()
    refund = db.session.query(Refund).one()
    assert (refund.amount, refund.state) == (1500, "succeeded")
    assert payment.donation.net_amount == 3500

    # The bank rejects the refund later: the money is the fund's again.
    fake.refunds["re_dash"].update(status="failed", failure_reason="expired_or_canceled_card")
    send(client, "evt_r3", "refund.updated", fake.refunds["re_dash"])
    db.session.expire_all()
    assert refund.state == "failed" and refund.failure_reason == "expired_or_canceled_card"
    assert payment.donation.status == "paid" and payment.donation.net_amount == 5000


def test_unknown_types_and_objects_are_acknowledged_without_effect(client, ctx, fake):
    assert send(client, "evt_u1", "charge.refund.created_in_2030",
                {"id": "x", "object": "thing"}) == "ignored"
    assert send(client, "evt_u2", "refund.updated",
                {"id": "re_nobody", "object": "refund"}) == "unknown_object"
    fake.refunds["re_other"] = stripe_fake.refund("re_other", "ch_other", "pi_other", 100)
    fake.intents["pi_other"] = stripe_fake.intent("pi_other", 1000, charge="ch_other")
    assert send(client, "evt_u3", "refund.created", fake.refunds["re_other"]) == "unknown_object"
    assert send(client, "evt_u4", "charge.refunded",
                {"id": "ch_other", "object": "charge"}) == "unknown_object"
    assert db.session.query(Refund).count() == 0 and db.session.query(Payment).count() == 0
    assert db.session.query(StripeEvent).count() == 4


def test_stripe_unreachable_during_a_webhook_means_retry_later(client, ctx, fake):
    payment = paid_gift(client, fake)
    body = event("evt_later", "refund.created", {"id": "re_unreachable", "object": "refund"})
    # Nothing registered for re_unreachable at first: a 404 is "not ours"; make
    # the re-read fail instead by pointing it at a dead base for one delivery.
    saved = client.application.config["STRIPE_API_BASE"]
    client.application.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    try:
        answer = deliver(client, body, WEBHOOK_SECRET)
    finally:
        client.application.config["STRIPE_API_BASE"] = saved
    assert answer.status_code == 503
    db.session.rollback()  # what the request's teardown does; the test shares its session
    assert db.session.query(StripeEvent).filter_by(stripe_event_id="evt_later").count() == 0
    fake.refunds["re_unreachable"] = stripe_fake.refund("re_unreachable", "ch_fake_1",
                                                        "pi_fake_1", 500)
    assert deliver(client, body, WEBHOOK_SECRET).status_code == 200  # Stripe's redelivery
    db.session.expire_all()
    assert payment.donation.refunded_amount == 500
