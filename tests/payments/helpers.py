"""Driving the app with Stripe served by `responses` (tests/support/stripe_fake.py)."""
from fund.core.extensions import db
from tests.conftest import WEBHOOK_SECRET
from tests.support import stripe_fake
from tests.factories import pending_gift
from tests.support.stripe_events import deliver, event


def send(client, event_id, event_type, obj):
    response = deliver(client, event(event_id, event_type, obj), WEBHOOK_SECRET)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


def gift_known_to_stripe(fake, amount=5000, *, intent_id="pi_fake_1", charge_id="ch_fake_1",
                         wants_receipt=True):
    """Our rows waiting on 3-D Secure, and Stripe already knowing the charge succeeded."""
    payment = pending_gift(amount, intent_id=intent_id, wants_receipt=wants_receipt)
    fake.intents[intent_id] = stripe_fake.intent(intent_id, amount, charge=charge_id,
                                                 payment_id=payment.id)
    fake.charges[charge_id] = stripe_fake.charge(charge_id, amount, payment_intent=intent_id)
    return payment


def paid_gift(client, fake, amount=5000, **kwargs):
    payment = gift_known_to_stripe(fake, amount, **kwargs)
    send(client, "evt_paid", "payment_intent.succeeded",
         {"id": payment.stripe_payment_intent_id, "object": "payment_intent"})
    db.session.expire_all()
    assert payment.state == "succeeded"
    return payment
