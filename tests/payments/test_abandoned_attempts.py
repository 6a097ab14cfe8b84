"""Card attempts that never reached Stripe stop looking pending after a day."""
from datetime import timedelta

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.payments.models import Payment
from fund.core import clock
from fund.payments import services as payments
from fund.payments import sync as stripe_sync
from tests.factories import pending_gift


def _attempt(age):
    payment = pending_gift(intent_id=None, state="created")
    payment.created_at = clock.now() - age
    db.session.commit()
    return payment


def test_sync_cancels_day_old_attempts_without_an_intent(ctx, localstripe):
    old = _attempt(timedelta(days=2))
    fresh = _attempt(timedelta(hours=1))
    outside = _attempt(timedelta(days=10))  # before the window: not listed, not touched
    since = clock.now() - timedelta(days=3)
    first = stripe_sync.sync(since=since)
    second = stripe_sync.sync(since=since)
    assert first.repaired == [f"payment {old.id}: created -> canceled (never reached Stripe)"]
    assert second.repaired == []
    db.session.expire_all()
    assert (old.state, old.failure_code) == ("canceled", "abandoned")
    assert old.donation.status == "failed"
    assert fresh.state == "created" and outside.state == "created"
    entry = db.session.query(AuditEntry).filter_by(action="payment.canceled").one()
    assert (entry.actor_type, entry.actor_id) == ("system", "stripe-sync")


def _intent_at_stripe(stripe_client, card_token, metadata):
    customer = stripe_client.v1.customers.create(params={"source": card_token()})
    return stripe_client.v1.payment_intents.create(params={
        "amount": 5000, "currency": "jpy", "customer": customer["id"],
        "payment_method": customer["default_source"], "confirm": True, "metadata": metadata})


def test_attempt_stripe_did_make_is_settled_not_abandoned(ctx, localstripe, stripe_client, card_token):
    """The intent exists at Stripe (our answer was lost): sync finds it by metadata."""
    payment = _attempt(timedelta(days=2))
    _intent_at_stripe(stripe_client, card_token, payments.intent_metadata(payment))
    stripe_sync.sync(since=clock.now() - timedelta(days=3))
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).state == "succeeded"


def test_intent_of_another_database_with_the_same_ids_is_not_claimed(
        ctx, localstripe, stripe_client, card_token):
    """Staging and production may share a Stripe account, and ids restart per database."""
    payment = _attempt(timedelta(days=2))
    foreign = dict(payments.intent_metadata(payment), donation="someone-elses-public-id")
    _intent_at_stripe(stripe_client, card_token, foreign)
    stripe_sync.sync(since=clock.now() - timedelta(days=3))
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.state == "canceled" and payment.stripe_payment_intent_id is None
