"""Stripe calls for konbini, bank transfer and monthly giving.

Kept beside fund/payments/stripe/api.py and built on its client and error
translation (this module never imports stripe itself). These objects exist
only on real Stripe (test or live mode), not on localstripe; the tests
intercept them with `responses` fixtures shaped like Stripe's documented
payloads.
"""
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fund.core.errors import FundError
from fund.payments.stripe.api import call, client, to_intent

# One Product carries every monthly gift; each subscription prices it inline.
MONTHLY_PRODUCT_ID = "qst-fund-monthly"
MONTHLY_PRODUCT_NAME = "QST未来基金 マンスリーサポーター (QST Future Fund monthly support)"


def timestamp(value):
    return datetime.fromtimestamp(int(value), timezone.utc) if value else None


# --- konbini and bank transfer ---------------------------------------------

def create_contact_customer(*, idempotency_key, email, name, metadata):
    """A Customer without a card: bank transfers need one for the virtual account."""
    customer = call(client().v1.customers.create, params={
        "email": email, "name": name, "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return customer["id"]


def create_konbini_intent(*, idempotency_key, amount, name, email, expires_after_days,
                          metadata):
    """Create and confirm a konbini PaymentIntent; it comes back requires_action
    with next_action.konbini_display_details (codes per store, expiry)."""
    obj = call(client().v1.payment_intents.create, params={
        "amount": amount, "currency": "jpy", "payment_method_types": ["konbini"],
        "payment_method_data": {"type": "konbini",
                                "billing_details": {"name": name, "email": email}},
        "payment_method_options": {"konbini": {"expires_after_days": expires_after_days}},
        "confirm": True, "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return to_intent(obj)


def create_bank_transfer_intent(*, idempotency_key, amount, customer, metadata):
    """Create and confirm a jp_bank_transfer PaymentIntent funded from the customer's
    balance; it comes back requires_action with display_bank_transfer_instructions."""
    obj = call(client().v1.payment_intents.create, params={
        "amount": amount, "currency": "jpy", "customer": customer,
        "payment_method_types": ["customer_balance"],
        "payment_method_data": {"type": "customer_balance"},
        "payment_method_options": {"customer_balance": {
            "funding_type": "bank_transfer",
            "bank_transfer": {"type": "jp_bank_transfer"},
        }},
        "confirm": True, "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return to_intent(obj)


def cancel_intent(intent_id, *, idempotency_key):
    """Cancel an unpaid intent (its instructions expired)."""
    obj = call(client().v1.payment_intents.cancel, intent_id,
                params={"cancellation_reason": "abandoned"},
                options={"idempotency_key": idempotency_key})
    return to_intent(obj)


# --- monthly giving ----------------------------------------------------------

@dataclass(frozen=True)
class Subscription:
    id: str
    status: str
    customer: str | None
    latest_invoice: str | None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Invoice:
    id: str
    status: str
    amount_paid: int
    currency: str
    customer: str | None
    subscription: str | None
    subscription_metadata: dict
    billing_reason: str | None
    paid_at: datetime | None
    payment_intent: str | None


def _subscription(obj):
    invoice = obj.get("latest_invoice")
    if isinstance(invoice, dict):
        invoice = invoice.get("id")
    return Subscription(id=obj["id"], status=obj["status"], customer=obj.get("customer"),
                        latest_invoice=invoice, metadata=dict(obj.get("metadata") or {}))


def _invoice(obj):
    # Since API 2025-03-31 the subscription sits under parent.subscription_details
    # and the PaymentIntent under payments[]; older versions had both at the top.
    details = ((obj.get("parent") or {}).get("subscription_details") or {})
    subscription = details.get("subscription") or obj.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    intent = obj.get("payment_intent")
    for entry in ((obj.get("payments") or {}).get("data") or []):
        payment = entry.get("payment") or {}
        if entry.get("status") == "paid" and payment.get("payment_intent"):
            intent = payment["payment_intent"]
    if isinstance(intent, dict):
        intent = intent.get("id")
    paid_at = (obj.get("status_transitions") or {}).get("paid_at")
    return Invoice(
        id=obj["id"], status=obj.get("status") or "", amount_paid=int(obj.get("amount_paid") or 0),
        currency=str(obj.get("currency") or "jpy").upper(), customer=obj.get("customer"),
        subscription=subscription, subscription_metadata=dict(details.get("metadata") or {}),
        billing_reason=obj.get("billing_reason"), paid_at=timestamp(paid_at), payment_intent=intent)


def ensure_monthly_product():
    """The Product monthly prices hang off, created under a fixed id the first time."""
    try:
        return call(client().v1.products.retrieve, MONTHLY_PRODUCT_ID)["id"]
    except FundError as err:
        if getattr(err.__cause__, "http_status", None) != 404:
            raise
    product = call(client().v1.products.create, params={
        "id": MONTHLY_PRODUCT_ID, "name": MONTHLY_PRODUCT_NAME,
    }, options={"idempotency_key": f"fund-product-{MONTHLY_PRODUCT_ID}"})
    return product["id"]


def create_subscription(*, idempotency_key, customer, card, amount, product, metadata):
    """A monthly subscription charging `card` now and every month.

    error_if_incomplete: a first payment that is declined or would need 3-D
    Secure fails the request (PaymentDeclined) instead of leaving a half-made
    subscription behind.
    """
    obj = call(client().v1.subscriptions.create, params={
        "customer": customer,
        "items": [{"price_data": {"currency": "jpy", "product": product, "unit_amount": amount,
                                  "recurring": {"interval": "month"}}}],
        "default_payment_method": card,
        "payment_behavior": "error_if_incomplete",
        "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return _subscription(obj)


def retrieve_subscription(subscription_id):
    return _subscription(call(client().v1.subscriptions.retrieve, subscription_id))


def cancel_subscription(subscription_id):
    # DELETE is idempotent by definition: Stripe ignores idempotency keys on it,
    # and cancelling twice answers with the canceled subscription or an error we map.
    return _subscription(call(client().v1.subscriptions.cancel, subscription_id))


def retrieve_invoice(invoice_id):
    return _invoice(call(client().v1.invoices.retrieve, invoice_id,
                          params={"expand": ["payments"]}))


def change_subscription_amount(subscription_id, *, amount, product, idempotency_key):
    """Charge `amount` yen a month from the next invoice on (no proration, nothing charged now)."""
    current = call(client().v1.subscriptions.retrieve, subscription_id)
    items = (current.get("items") or {}).get("data") or []
    if len(items) != 1:
        raise FundError("This monthly gift cannot be changed here; please contact the office.",
                        status=409, code="subscription_items")
    obj = call(client().v1.subscriptions.update, subscription_id, params={
        "items": [{"id": items[0]["id"],
                   "price_data": {"currency": "jpy", "product": product, "unit_amount": amount,
                                  "recurring": {"interval": "month"}}}],
        "proration_behavior": "none",
    }, options={"idempotency_key": idempotency_key})
    return _subscription(obj)


def card_update_url(*, customer, return_url):
    """A Stripe customer-portal page where the donor replaces the card of a monthly gift."""
    session = call(client().v1.billing_portal.sessions.create,
                   params={"customer": customer, "return_url": return_url})
    return session["url"]
