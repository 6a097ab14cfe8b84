"""Opt-in: a card gift and a refund against real Stripe test mode.

Runs only with STRIPE_SECRET_KEY=sk_test_… and no STRIPE_API_BASE
(`.venv/bin/pytest -m real_stripe tests/payments`); skipped otherwise.
"""
import os
import secrets

import pytest

from fund.core.extensions import db
from fund.payments.models import Payment, Refund
from tests.factories import pending_gift
from tests.payments.conftest import post_refund
from tests.support.forms import post_donation


@pytest.fixture
def real_stripe(app):
    saved = {key: app.config[key] for key in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE")}
    app.config.update(STRIPE_SECRET_KEY=os.environ["STRIPE_SECRET_KEY"], STRIPE_API_BASE=None)
    _fresh_row_ids()
    yield
    app.config.update(saved)


def _fresh_row_ids():
    """Start row ids at a random height: Stripe remembers idempotency keys (made
    from our ids) for 24 hours, and every test database starts again at 1."""
    start = secrets.randbelow(10**9) + 10**6
    if db.engine.dialect.name == "postgresql":
        for table in ("payment", "refund"):
            db.session.execute(db.text(f"SELECT setval('{table}_id_seq', {start})"))
        db.session.commit()
        return
    placeholder = pending_gift(100, intent_id=None, state="failed", wants_receipt=False)
    placeholder.id = start
    db.session.add(Refund(payment=placeholder, amount=1, state="failed", id=start))
    db.session.commit()


@pytest.mark.real_stripe
def test_card_gift_and_partial_refund_in_test_mode(real_stripe, client, seeded, ctx, office):
    from fund.payments.stripe import api as gateway
    response = post_donation(client, token="tok_visa", amount_choice="other", amount_other="1200")
    assert response.status_code == 302, response.get_data(as_text=True)
    payment = db.session.query(Payment).filter(Payment.stripe_charge_id.is_not(None)).one()
    assert payment.state == "succeeded" and payment.stripe_charge_id.startswith("ch_")
    assert payment.fee is not None and payment.net == 1200 - payment.fee
    assert post_refund(client, payment.donation_id, 500).status_code == 302
    db.session.expire_all()
    refund = db.session.query(Refund).filter(Refund.stripe_refund_id.is_not(None)).one()
    assert refund.state in ("succeeded", "pending") and refund.stripe_refund_id.startswith("re_")
    at_stripe = gateway.retrieve_refund(refund.stripe_refund_id)
    assert at_stripe.amount == 500 and at_stripe.metadata["refund_id"] == str(refund.id)
