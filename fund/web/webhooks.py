"""Stripe webhooks: verify, store once, act from a fresh read of Stripe."""
import logging

from flask import Blueprint, jsonify, request

from fund.core.errors import PaymentUnavailable
from fund.payments.stripe import api as gateway
from fund.payments import webhooks

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


@bp.post("/stripe")
def stripe_webhook():
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event_id, event_type, obj = gateway.parse_webhook(payload, signature)
    except gateway.BadSignature:
        log.warning("webhook with a bad signature refused")
        return jsonify(code="bad_signature", status=400,
                       message="The Stripe signature did not verify.", errors={}), 400
    try:
        outcome = webhooks.handle_event(event_id, event_type, obj)
    except PaymentUnavailable:
        # Nothing was stored; Stripe delivers the event again later.
        return jsonify(code="payment_unavailable", status=503,
                       message="Stripe could not be reached to re-read the object.",
                       errors={}), 503
    return jsonify(received=True, outcome=outcome)
