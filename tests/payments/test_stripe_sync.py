"""stripe-sync repairs what lost webhooks left behind, against localstripe, idempotently."""
from fund.core.errors import PaymentUnavailable
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.core.models import AuditEntry, OutboundEmail
from fund.payments.models import Payment, Refund
from fund.receipts.models import Receipt
from fund.core import clock
from tests.payments.conftest import post_refund
from tests.support.forms import post_donation


def run_sync(app):
    since = clock.today_jst().isoformat()
    return app.test_cli_runner().invoke(args=["fund", "stripe-sync", "--since", since])


def test_three_d_secure_payment_without_webhook_is_found(
        app, client, seeded, ctx, card_token, localstripe, smtp_server):
    response = post_donation(client, token=card_token("4000002500003155"))
    assert "/authenticate" in response.headers["Location"]
    payment = db.session.query(Payment).one()
    intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    # The donor authenticates at Stripe, then closes the tab: no return, no webhook.
    localstripe.authenticate(intent.id, intent.client_secret, success=True)
    db.session.expire_all()
    assert payment.state == "requires_action"

    first = run_sync(app)
    assert first.exit_code == 0, first.output
    assert f"repaired: payment {payment.id} ({intent.id}): requires_action -> succeeded" in first.output
    db.session.expire_all()
    assert payment.state == "succeeded" and payment.fee is not None
    assert db.session.query(Receipt).count() == 1
    smtp_server.wait_for(1)
    sync_audit = db.session.query(AuditEntry).filter_by(action="payment.succeeded").one()
    assert (sync_audit.actor_type, sync_audit.actor_id) == ("system", "stripe-sync")

    second = run_sync(app)
    assert second.exit_code == 0, second.output
    assert "repaired:" not in second.output and ", 0 repaired, 0 problems" in second.output
    db.session.expire_all()
    assert db.session.query(Receipt).count() == 1
    assert db.session.query(OutboundEmail).filter_by(kind="thanks").count() == 1


def test_dashboard_refund_without_webhook_is_recorded_once(
        app, client, seeded, ctx, card_token, stripe_client):
    post_donation(client, token=card_token())
    payment = db.session.query(Payment).one()
    made = stripe_client.v1.refunds.create(params={"charge": payment.stripe_charge_id,
                                                   "amount": 1200})
    first = run_sync(app)
    assert f"repaired: refund {made['id']}: recorded (succeeded, 1200 JPY)" in first.output
    assert "repaired:" not in run_sync(app).output
    db.session.expire_all()
    assert [(r.amount, r.state) for r in db.session.query(Refund)] == [(1200, "succeeded")]
    assert payment.donation.net_amount == 3800


def test_refund_stuck_by_an_outage_is_sent_again_with_the_same_key(
        app, client, seeded, ctx, card_token, office, stripe_client, monkeypatch):
    post_donation(client, token=card_token())
    payment = db.session.query(Payment).one()
    real_create, keys = gateway.create_refund, []

    def unreachable(**kwargs):
        keys.append(kwargs["idempotency_key"])
        raise PaymentUnavailable("Stripe could not be reached")
    monkeypatch.setattr(gateway, "create_refund", unreachable)
    response = post_refund(client, payment.donation_id, 5000)
    assert response.status_code == 503
    assert "sent again with the same idempotency key" in response.get_data(as_text=True)
    db.session.expire_all()
    refund = db.session.query(Refund).one()
    assert refund.state == "created" and refund.stripe_refund_id is None
    # The refund in flight counts: a second one cannot over-refund meanwhile.
    assert post_refund(client, payment.donation_id, 1).status_code == 409

    monkeypatch.setattr(gateway, "create_refund",
                        lambda **kw: keys.append(kw["idempotency_key"]) or real_create(**kw))
    result = run_sync(app)
    assert f"repaired: refund {refund.id}: sent to Stripe again -> succeeded" in result.output
    assert keys == [f"fund-refund-{refund.id}"] * 2
    assert "repaired:" not in run_sync(app).output
    db.session.expire_all()
    assert refund.state == "succeeded" and payment.donation.status == "refunded"
    refunds_at_stripe = stripe_client.v1.refunds.list(params={"charge": payment.stripe_charge_id})
    assert len(refunds_at_stripe["data"]) == 1


def test_bad_since_is_refused(app):
    result = app.test_cli_runner().invoke(args=["fund", "stripe-sync", "--since", "2026/04/01"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
