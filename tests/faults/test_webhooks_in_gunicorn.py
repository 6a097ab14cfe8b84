"""Webhooks against gunicorn's worker processes: delivered at once, or cut off halfway."""
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.giving.models import ScopeTotal
from fund.payments.models import Payment, StripeEvent
from fund.receipts.models import Receipt
from tests.conftest import WEBHOOK_SECRET
from tests.factories import pending_gift
from tests.faults.conftest import APP_NAME
from tests.support.stripe_events import event, sign

pytestmark = pytest.mark.pg_only


def _delivery(event_id, intent_id):
    body = json.dumps(event(event_id, "payment_intent.succeeded",
                            {"id": intent_id, "object": "payment_intent"})).encode()
    return body, {"Content-Type": "application/json", "Stripe-Signature": sign(body, WEBHOOK_SECRET)}


def _post(gunicorn, body, headers):
    return requests.post(f"{gunicorn.url}/webhooks/stripe", data=body, headers=headers,
                         timeout=30)


def _one_effect(payment_id, smtp_server, amount):
    """What a donor, the office and the books see of one paid gift, counted once."""
    db.session.expire_all()
    assert db.session.get(Payment, payment_id).state == "succeeded"
    assert db.session.query(StripeEvent).count() == 1
    assert db.session.query(Receipt).count() == 1
    assert db.session.query(AuditEntry).filter_by(action="payment.succeeded").count() == 1
    assert db.session.query(OutboundEmail).count() == 1
    assert db.session.get(ScopeTotal, ("fund", 0)).raised == amount
    assert len(smtp_server.wait_for(1)) == 1


def test_one_event_delivered_twenty_times_at_once_has_one_effect(gunicorn, stripe, ctx,
                                                                 smtp_server):
    payment = pending_gift(5000, intent_id="pi_twenty")
    stripe.paid_intent("pi_twenty", 5000, payment.id)
    body, headers = _delivery("evt_twenty", "pi_twenty")
    start = threading.Barrier(20)

    def deliver(_):
        start.wait()
        return _post(gunicorn, body, headers)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(deliver, range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    assert Counter(a.json()["outcome"] for a in answers) == {"processed": 1, "duplicate": 19}
    _one_effect(payment.id, smtp_server, 5000)


def test_a_connection_cut_mid_webhook_is_finished_by_stripes_retry(gunicorn, stripe, ctx,
                                                                   database_url, smtp_server):
    payment = pending_gift(7000, intent_id="pi_cut")
    stripe.paid_intent("pi_cut", 7000, payment.id)
    cut = []

    def cut_the_app_off(path):
        # The worker has stored the event (not yet committed) and asks Stripe for the
        # intent: now its database connection dies, as in a failover or a network cut.
        with psycopg.connect(database_url, autocommit=True) as conn:
            pids = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                "AND state = 'idle in transaction'", (APP_NAME,)).fetchall()
            for (pid,) in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        cut.extend(pids)
        stripe.hooks.clear()

    stripe.hooks["GET /v1/payment_intents"] = cut_the_app_off
    body, headers = _delivery("evt_cut", "pi_cut")
    first = _post(gunicorn, body, headers)
    assert len(cut) == 1 and first.status_code == 500  # Stripe will deliver it again
    db.session.expire_all()
    assert db.session.query(StripeEvent).count() == 0
    assert db.session.get(Payment, payment.id).state == "requires_action"

    retry = _post(gunicorn, body, headers)
    assert retry.status_code == 200 and retry.json()["outcome"] == "processed"
    again = _post(gunicorn, body, headers)
    assert again.json()["outcome"] == "duplicate"
    _one_effect(payment.id, smtp_server, 7000)
