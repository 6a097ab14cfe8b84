"""The only module that imports stripe.

It hides the Stripe library behind a few verbs that return plain dataclasses,
maps Stripe's errors onto FundError subclasses, and makes every outgoing write
carry an idempotency key derived from our own row id, so a retry after a
timeout can never charge twice.
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import stripe
from flask import current_app

from fund.core.errors import FundError, NotFound, PaymentDeclined, PaymentUnavailable
from fund.payments.stripe import signature as webhook_signature
from fund.payments.stripe.signature import BadSignature  # noqa: F401  (callers catch it here)

log = logging.getLogger(__name__)

# 429 is not retried by the library unless Stripe says so, and timeouts and
# 5xx only when STRIPE_MAX_NETWORK_RETRIES > 0: we retry all three ourselves,
# re-sending the very same request (same idempotency key), so Stripe replays
# its first answer instead of acting twice.
RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    currency: str
    customer: str | None
    latest_charge: str | None
    client_secret: str | None
    error_code: str | None = None
    error_message: str | None = None
    next_action: dict | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Settlement:
    charge_id: str
    fee: int
    net: int
    available_on: datetime | None


def client():
    """A StripeClient for the current app's configuration."""
    cfg = current_app.config
    cached = current_app.extensions.get("fund.stripe")
    key = (cfg["STRIPE_SECRET_KEY"], cfg["STRIPE_API_BASE"])
    if cached and cached[0] == key:
        return cached[1]
    base = {"api": cfg["STRIPE_API_BASE"]} if cfg["STRIPE_API_BASE"] else None
    new = stripe.StripeClient(
        cfg["STRIPE_SECRET_KEY"],
        base_addresses=base,
        max_network_retries=cfg["STRIPE_MAX_NETWORK_RETRIES"],
        http_client=stripe.RequestsClient(timeout=cfg["STRIPE_TIMEOUT_SECONDS"]),
    )
    current_app.extensions["fund.stripe"] = (key, new)
    return new


def is_offline():
    """True when talking to localstripe (no Checkout, konbini or bank transfer)."""
    return bool(current_app.config["STRIPE_API_BASE"])


def js_url():
    base = current_app.config["STRIPE_API_BASE"]
    return f"{base}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"


def _should_retry(err):
    """Stripe may tell us a retry is pointless (Stripe-Should-Retry: false)."""
    headers = getattr(err, "headers", None) or {}
    flag = next((v for k, v in headers.items() if k.lower() == "stripe-should-retry"), None)
    return flag != "false"


def call(fn, *args, **kwargs):
    """Run one Stripe call, retrying 429s, timeouts and 5xx, and translate its errors.

    `fn` is called again with the same arguments, so a write carries the same
    idempotency key on every attempt.
    """
    backoff = current_app.config.get("STRIPE_RETRY_BACKOFF_SECONDS", 0.5)
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            result = fn(*args, **kwargs)
            # Plain dicts from here on: StripeObject is not a dict in stripe>=13.
            return result.to_dict() if hasattr(result, "to_dict") else result
        except stripe.CardError as err:
            code = getattr(err, "code", None) or "card_declined"
            raise PaymentDeclined(err.user_message or "card declined", code=code) from err
        except (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError) as err:
            log.warning("Stripe unavailable (attempt %s): %s", attempt + 1, err)
            if attempt == RATE_LIMIT_RETRIES or not _should_retry(err):
                raise PaymentUnavailable("Stripe could not be reached") from err
            time.sleep(backoff * (2 ** attempt))
        except stripe.InvalidRequestError as err:
            if err.http_status == 404:
                raise NotFound("Stripe has no such object.", code="stripe_not_found") from err
            log.error("Stripe refused a request: %s", err)
            raise FundError("The payment service refused the request.", status=502,
                            code="stripe_error",
                            errors={"stripe": err.user_message or str(err)}) from err
        except stripe.StripeError as err:
            log.error("Stripe refused a request: %s", err)
            raise FundError("The payment service refused the request.", status=502,
                            code="stripe_error") from err


def to_intent(obj):
    err = obj.get("last_payment_error") or {}
    charge = obj.get("latest_charge")
    if isinstance(charge, dict):
        charge = charge["id"]
    return Intent(
        id=obj["id"], status=obj["status"], amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(), customer=obj.get("customer"),
        latest_charge=charge, client_secret=obj.get("client_secret"),
        error_code=err.get("code"), error_message=err.get("message"),
        next_action=obj.get("next_action") or None,
        metadata=dict(obj.get("metadata") or {}),
    )


def create_customer(*, idempotency_key, email, name, card_token, metadata):
    """Create a Customer holding the tokenised card as its default source."""
    customer = call(client().v1.customers.create, params={
        "email": email, "name": name, "source": card_token, "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return customer["id"], customer.get("default_source")


def create_card_intent(*, idempotency_key, amount, currency, customer, card, metadata,
                       return_url):
    """Create and confirm a PaymentIntent for the customer's card.

    A decline raises PaymentDeclined; a card that needs 3-D Secure comes back
    as `requires_action` for the browser to finish with confirmCardPayment.
    """
    params = {
        "amount": amount, "currency": currency.lower(), "customer": customer,
        "payment_method": card, "confirm": True, "metadata": metadata,
    }
    if not is_offline():
        # Real Stripe needs to know where a redirect-based authentication returns.
        params["return_url"] = return_url
    obj = call(client().v1.payment_intents.create, params=params,
                options={"idempotency_key": idempotency_key})
    return to_intent(obj)


def retrieve_intent(intent_id):
    return to_intent(call(client().v1.payment_intents.retrieve, intent_id))


def retrieve_settlement(charge_id):
    """Fee, net and availability date from the charge's balance transaction."""
    charge = call(client().v1.charges.retrieve, charge_id,
                   params={"expand": ["balance_transaction"]})
    txn = charge.get("balance_transaction")
    if not txn or isinstance(txn, str):
        return None
    available = txn.get("available_on")
    return Settlement(
        charge_id=charge_id, fee=int(txn.get("fee") or 0), net=int(txn["net"]),
        available_on=datetime.fromtimestamp(available, timezone.utc) if available else None,
    )


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str
    amount: int
    currency: str
    charge: str | None
    payment_intent: str | None
    reason: str | None
    failure_reason: str | None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DisputeInfo:
    id: str
    status: str
    amount: int
    currency: str
    charge: str | None
    payment_intent: str | None
    reason: str | None
    evidence_due_by: datetime | None


def _id_of(value):
    return value["id"] if isinstance(value, dict) else value


def _refund(obj):
    return RefundInfo(
        id=obj["id"], status=obj.get("status") or "pending", amount=int(obj["amount"]),
        currency=str(obj.get("currency") or "jpy").upper(), charge=_id_of(obj.get("charge")),
        payment_intent=_id_of(obj.get("payment_intent")), reason=obj.get("reason"),
        failure_reason=obj.get("failure_reason"), metadata=dict(obj.get("metadata") or {}),
    )


def _dispute(obj):
    due = (obj.get("evidence_details") or {}).get("due_by")
    return DisputeInfo(
        id=obj["id"], status=obj["status"], amount=int(obj["amount"]),
        currency=str(obj.get("currency") or "jpy").upper(), charge=_id_of(obj.get("charge")),
        payment_intent=_id_of(obj.get("payment_intent")), reason=obj.get("reason"),
        evidence_due_by=datetime.fromtimestamp(due, timezone.utc) if due else None,
    )


def create_refund(*, idempotency_key, payment_intent, amount, metadata):
    """Refund part or all of a PaymentIntent's charge; our row id is in the key and metadata."""
    params = {"payment_intent": payment_intent, "amount": amount, "metadata": metadata}
    if not is_offline():
        # localstripe rejects `reason`; real Stripe shows it in the dashboard.
        params["reason"] = "requested_by_customer"
    obj = call(client().v1.refunds.create, params=params,
                options={"idempotency_key": idempotency_key})
    return _refund(obj)


def retrieve_refund(refund_id):
    return _refund(call(client().v1.refunds.retrieve, refund_id))


def list_refunds(*, charge_id=None, since=None):
    """Every refund of one charge, or every refund created at or after `since`."""
    if charge_id:
        return [_refund(obj) for obj in _list(client().v1.refunds.list, {"charge": charge_id})]
    stamp = int(since.timestamp())
    if is_offline():
        # localstripe cannot filter lists by `created`: filter here instead.
        rows = _list(client().v1.refunds.list, {})
        return [_refund(obj) for obj in rows if int(obj.get("created") or 0) >= stamp]
    return [_refund(obj) for obj in _list(client().v1.refunds.list,
                                          {"created": {"gte": stamp}})]


def retrieve_charge_intent(charge_id):
    """The PaymentIntent id a charge belongs to (to find our payment from a charge)."""
    return _id_of(call(client().v1.charges.retrieve, charge_id).get("payment_intent"))


def retrieve_dispute(dispute_id):
    return _dispute(call(client().v1.disputes.retrieve, dispute_id))


def list_intents(since):
    """PaymentIntents created at or after `since` (an aware datetime), newest first."""
    stamp = int(since.timestamp())
    if is_offline():
        # localstripe cannot filter lists by `created`: filter here instead.
        rows = _list(client().v1.payment_intents.list, {})
        return [to_intent(obj) for obj in rows if int(obj.get("created") or 0) >= stamp]
    rows = _list(client().v1.payment_intents.list, {"created": {"gte": stamp}})
    return [to_intent(obj) for obj in rows]


def _list(method, params, page_size=100, max_pages=100):
    """Follow `starting_after` through a Stripe list (bounded, for safety)."""
    items, after = [], None
    for _ in range(max_pages):
        page = call(method, params={**params, "limit": page_size,
                                     **({"starting_after": after} if after else {})})
        data = page.get("data") or []
        items.extend(data)
        if not page.get("has_more") or not data:
            break
        after = data[-1]["id"]
    return items


@dataclass(frozen=True)
class BalanceTxn:
    """One movement of the Stripe balance (GET /v1/balance_transactions), amounts in yen."""

    id: str
    type: str
    reporting_category: str
    amount: int
    fee: int
    net: int
    currency: str
    created: datetime
    available_on: datetime | None
    source: str | None
    payout: str | None = None  # the automatic payout that settled it, when listed by payout
    description: str = ""


@dataclass(frozen=True)
class PayoutInfo:
    """A payout of the Stripe balance to the bank (GET /v1/payouts)."""

    id: str
    amount: int
    currency: str
    status: str
    automatic: bool
    created: datetime
    arrival_date: datetime | None
    balance_transaction: str | None


def _stamp(value):
    return datetime.fromtimestamp(int(value), timezone.utc) if value else None


def _balance_txn(obj, payout=None):
    return BalanceTxn(
        id=obj["id"], type=obj.get("type") or "", amount=int(obj["amount"]),
        reporting_category=obj.get("reporting_category") or obj.get("type") or "",
        fee=int(obj.get("fee") or 0), net=int(obj["net"]),
        currency=str(obj.get("currency") or "").upper(), created=_stamp(obj.get("created")),
        available_on=_stamp(obj.get("available_on")), source=_id_of(obj.get("source")),
        payout=payout, description=obj.get("description") or "")


def _payout(obj):
    return PayoutInfo(
        id=obj["id"], amount=int(obj["amount"]), currency=str(obj.get("currency") or "").upper(),
        status=obj.get("status") or "", automatic=bool(obj.get("automatic")),
        created=_stamp(obj.get("created")), arrival_date=_stamp(obj.get("arrival_date")),
        balance_transaction=_id_of(obj.get("balance_transaction")))


# Reconciliation reads whole months of balance transactions: up to 2,000 pages of 100.
RECONCILIATION_PAGES = 2000


def list_balance_transactions(*, since=None, payout=None):
    """Balance transactions created at or after `since`, or those one payout settled."""
    if payout:
        rows = _list(client().v1.balance_transactions.list, {"payout": payout},
                     max_pages=RECONCILIATION_PAGES)
        return [_balance_txn(obj, payout=payout) for obj in rows]
    return [_balance_txn(obj) for obj in _since(client().v1.balance_transactions.list, since)]


def list_payouts(since):
    """Payouts created at or after `since` (an aware datetime), newest first."""
    return [_payout(obj) for obj in _since(client().v1.payouts.list, since)]


def _since(method, since):
    stamp = int(since.timestamp())
    if is_offline():
        # localstripe cannot filter lists by `created`: filter here instead.
        rows = _list(method, {}, max_pages=RECONCILIATION_PAGES)
        return [obj for obj in rows if int(obj.get("created") or 0) >= stamp]
    return _list(method, {"created": {"gte": stamp}}, max_pages=RECONCILIATION_PAGES)


def retrieve_payout(payout_id):
    return _payout(call(client().v1.payouts.retrieve, payout_id))


def parse_webhook(payload, signature):
    """Verify a webhook's signature and return (event id, type, object dict).

    Checked with hmac by fund.payments.stripe.signature (what
    stripe.Webhook.construct_event checks, without building StripeObjects).
    """
    return webhook_signature.parse_event(payload, signature,
                                         current_app.config["STRIPE_WEBHOOK_SECRET"])
