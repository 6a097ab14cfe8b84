"""The app as if configured for real Stripe test mode, with api.stripe.com intercepted.

localstripe has no konbini, bank transfer, Prices or modern subscriptions, so
these tests switch the session app to "online" (a sk_test_ key and no
STRIPE_API_BASE) for one test and answer Stripe's API with `responses`,
using objects shaped like Stripe's documented ones (tests/giving/stripe_objects.py).
"""
import pytest
import responses


@pytest.fixture
def online(app):
    """Real-mode configuration plus a RequestsMock for https://api.stripe.com."""
    saved = {key: app.config[key] for key in ("STRIPE_API_BASE", "STRIPE_SECRET_KEY",
                                              "STRIPE_PUBLISHABLE_KEY")}
    app.config.update(STRIPE_API_BASE=None, STRIPE_SECRET_KEY="sk_test_giving_suite",
                      STRIPE_PUBLISHABLE_KEY="pk_test_giving_suite")
    # The gateway caches its client by (key, base); the new pair builds a new one.
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            yield mock
    finally:
        app.config.update(saved)
        app.extensions.pop("fund.stripe", None)
