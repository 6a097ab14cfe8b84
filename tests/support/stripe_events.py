"""Stripe-shaped webhook deliveries, signed the way Stripe signs them."""
import hashlib
import hmac
import json
import time


def sign(payload: bytes, secret: str, timestamp=None):
    timestamp = int(timestamp or time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_id, event_type, obj, created=None):
    return {
        "id": event_id, "object": "event", "api_version": "2024-06-20",
        "created": int(created or time.time()), "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": event_type,
        "data": {"object": obj},
    }


def deliver(client, body, secret, signature=None):
    payload = json.dumps(body).encode()
    return client.post("/webhooks/stripe", data=payload, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": signature or sign(payload, secret)})
