"""Stripe's webhook signature, checked with hmac alone.

Stripe signs each delivery with the endpoint's secret: the header
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=…][,v0=…]`
(several v1 entries while a secret is being rolled). We accept the body when
one v1 entry matches (compared in constant time) and the timestamp is no older
than the tolerance, as stripe.Webhook.construct_event does, and then read the
body with json.loads: building StripeObjects for an event we mostly only store
cost more than the rest of the request (bench/load.py, webhook ingestion).
"""
import hashlib
import hmac
import json
import time

# Stripe's own default: a captured delivery cannot be replayed after five minutes.
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


def _parse_header(header):
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        key, sep, value = item.partition("=")
        if not sep:
            continue
        if key == "t":
            if timestamp is not None or not (value.isascii() and value.isdigit()):
                raise BadSignature("Unable to extract timestamp and signatures from header")
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature("Unable to extract timestamp and signatures from header")
    return timestamp, signatures


def verify(payload: bytes, header: str, secret: str, *, tolerance=TOLERANCE_SECONDS, now=None):
    """Raise BadSignature unless `header` signs `payload` with `secret`, recently enough."""
    if not secret:
        raise BadSignature("No webhook signing secret is configured")
    timestamp, signatures = _parse_header(header)
    expected = hmac.new(secret.encode(), b"%d." % timestamp + payload,
                        hashlib.sha256).hexdigest().encode()
    # Every entry is compared (no early exit), each in constant time; as bytes, since
    # compare_digest refuses a str with characters outside ASCII.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise BadSignature("No signatures found matching the expected signature for payload")
    if tolerance and timestamp < (time.time() if now is None else now) - tolerance:
        raise BadSignature("Timestamp outside the tolerance zone")


def parse_event(payload: bytes, header: str, secret: str, *, tolerance=TOLERANCE_SECONDS,
                now=None):
    """Verify, then return (event id, type, object dict) of the signed event."""
    verify(payload, header, secret, tolerance=tolerance, now=now)
    try:
        event = json.loads(payload)
        obj = event["data"]["object"]
        event_id, event_type = event["id"], event["type"]
    except (ValueError, TypeError, KeyError) as err:
        raise BadSignature(f"Invalid payload: {err}") from err
    if not (isinstance(obj, dict) and isinstance(event_id, str) and isinstance(event_type, str)):
        raise BadSignature("Invalid payload: not a Stripe event")
    return event_id, event_type, obj
