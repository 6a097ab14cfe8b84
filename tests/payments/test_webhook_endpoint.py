"""The webhook endpoint: signatures, repeats and events it does not need."""
from fund.core.extensions import db
from fund.payments.models import Payment, StripeEvent
from fund.receipts.models import Receipt
from tests.conftest import WEBHOOK_SECRET
from tests.support.forms import post_donation
from tests.support.stripe_events import deliver, event, sign


def _three_d_secure_gift(client, card_token, localstripe):
    """A gift left in requires_action, then authenticated at Stripe only.

    Our database still says requires_action: only the webhook can tell us.
    """
    post_donation(client, token=card_token("4000002500003155"))
    payment = db.session.query(Payment).one()
    intent_id = payment.stripe_payment_intent_id
    from fund.payments.stripe import api as gateway
    localstripe.authenticate(intent_id, gateway.retrieve_intent(intent_id).client_secret)
    return payment, intent_id


def test_bad_signature_is_refused_and_changes_nothing(client, seeded, ctx, card_token, localstripe):
    payment, intent_id = _three_d_secure_gift(client, card_token, localstripe)
    body = event("evt_bad_sig", "payment_intent.succeeded", {"id": intent_id, "object": "payment_intent"})
    response = deliver(client, body, WEBHOOK_SECRET, signature=sign(b"{}", WEBHOOK_SECRET))
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_signature"
    response = deliver(client, body, "whsec_someone_else")
    assert response.status_code == 400
    response = client.post("/webhooks/stripe", data=b"{}")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.query(StripeEvent).count() == 0
    assert payment.state == "requires_action"
    assert db.session.query(Receipt).count() == 0


def test_same_event_twice_gives_one_payment_and_one_receipt(
        client, seeded, ctx, card_token, localstripe, smtp_server):
    payment, intent_id = _three_d_secure_gift(client, card_token, localstripe)
    # The body claims nothing we trust: the handler re-reads the intent.
    body = event("evt_success_1", "payment_intent.succeeded", {"id": intent_id, "object": "payment_intent"})
    first = deliver(client, body, WEBHOOK_SECRET)
    second = deliver(client, body, WEBHOOK_SECRET)
    assert first.status_code == 200 and first.get_json()["outcome"] == "processed"
    assert second.status_code == 200 and second.get_json()["outcome"] == "duplicate"
    db.session.expire_all()
    assert payment.state == "succeeded"
    assert db.session.query(Receipt).count() == 1
    assert db.session.query(StripeEvent).count() == 1
    smtp_server.wait_for(1)
    # A different event about the same success changes nothing either.
    third = deliver(client, event("evt_success_2", "payment_intent.succeeded",
                                  {"id": intent_id, "object": "payment_intent"}), WEBHOOK_SECRET)
    assert third.status_code == 200
    assert db.session.query(Receipt).count() == 1
    assert len(smtp_server.messages) == 1


def test_event_body_cannot_fake_a_success(client, seeded, ctx, card_token):
    post_donation(client, token=card_token("4000002500003155"))
    payment = db.session.query(Payment).one()
    body = event("evt_forged", "payment_intent.succeeded",
                 {"id": payment.stripe_payment_intent_id, "object": "payment_intent",
                  "status": "succeeded"})
    assert deliver(client, body, WEBHOOK_SECRET).status_code == 200
    db.session.expire_all()
    assert payment.state == "requires_action"  # Stripe still says requires_action
    assert db.session.query(Receipt).count() == 0


def test_unknown_types_and_objects_are_acknowledged(client, ctx):
    ignored = deliver(client, event("evt_x1", "customer.created", {"id": "cus_1", "object": "customer"}),
                      WEBHOOK_SECRET)
    assert ignored.status_code == 200 and ignored.get_json()["outcome"] == "ignored"
    unknown = deliver(client, event("evt_x2", "payment_intent.succeeded",
                                    {"id": "pi_never_seen", "object": "payment_intent"}), WEBHOOK_SECRET)
    assert unknown.status_code == 200 and unknown.get_json()["outcome"] == "unknown_object"
    assert db.session.query(StripeEvent).count() == 2
    db.session.expire_all()
    assert {e.stripe_event_id: e.outcome for e in db.session.query(StripeEvent)} == {
        "evt_x1": "ignored", "evt_x2": "unknown_object"}
    again = deliver(client, event("evt_x2", "payment_intent.succeeded",
                                  {"id": "pi_never_seen", "object": "payment_intent"}), WEBHOOK_SECRET)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
