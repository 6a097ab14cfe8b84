"""Stripe's documented objects served with `responses`, for what localstripe lacks.

`FakeStripe` keeps PaymentIntents, charges, refunds and disputes as plain
dicts shaped like Stripe's API reference and answers the gateway's reads
from them, on the base URL the app is configured with. Tests change the
dicts to say what Stripe now knows, then deliver events.
"""
import json
import re
import time
from urllib.parse import parse_qs, urlparse

import responses

NOW = 1_780_000_000


def intent(pi_id, amount, *, status="succeeded", charge=None, payment_id=None, created=NOW):
    return {
        "id": pi_id, "object": "payment_intent", "amount": amount, "currency": "jpy",
        "status": status, "customer": "cus_fake", "latest_charge": charge,
        "client_secret": f"{pi_id}_secret_x", "last_payment_error": None,
        "next_action": None, "created": created, "livemode": False,
        "metadata": _metadata(payment_id),
    }


def _metadata(payment_id):
    """What our code puts on an intent for this payment (see payments.intent_metadata)."""
    if not payment_id:
        return {}
    from fund.core.extensions import db
    from fund.payments.models import Payment
    payment = db.session.get(Payment, int(payment_id))
    if payment is None:  # built before the row exists: only the id is known
        return {"payment_id": str(payment_id)}
    return {"payment_id": str(payment_id), "donation_id": str(payment.donation_id),
            "donation": payment.donation.public_id}


def charge(ch_id, pi_id, amount, *, fee=None, available_on=NOW + 86400 * 4):
    fee = round(amount * 0.036) if fee is None else fee
    return {
        "id": ch_id, "object": "charge", "amount": amount, "currency": "jpy",
        "payment_intent": pi_id, "status": "succeeded", "paid": True,
        "amount_refunded": 0, "refunded": False, "disputed": False,
        "balance_transaction": {
            "id": f"txn_{ch_id}", "object": "balance_transaction", "amount": amount,
            "fee": fee, "net": amount - fee, "currency": "jpy", "available_on": available_on,
            "status": "pending", "type": "charge"},
    }


def refund(re_id, ch_id, pi_id, amount, *, status="succeeded", metadata=None, created=NOW):
    return {
        "id": re_id, "object": "refund", "amount": amount, "currency": "jpy",
        "charge": ch_id, "payment_intent": pi_id, "status": status,
        "reason": "requested_by_customer", "failure_reason": None,
        "metadata": metadata or {}, "created": created,
    }


def dispute(dp_id, ch_id, pi_id, amount, *, status="needs_response", reason="fraudulent"):
    return {
        "id": dp_id, "object": "dispute", "amount": amount, "currency": "jpy",
        "charge": ch_id, "payment_intent": pi_id, "status": status, "reason": reason,
        "evidence_details": {"due_by": NOW + 86400 * 7, "has_evidence": False},
        "is_charge_refundable": False, "created": NOW, "livemode": False,
    }


class FakeStripe:
    """Register on a `responses.RequestsMock`; `calls` records what the app asked."""

    def __init__(self, mock, base):
        self.base = base.rstrip("/")
        self.intents, self.charges, self.refunds, self.disputes = {}, {}, {}, {}
        self.created_refunds = []
        for name in ("payment_intents", "charges", "refunds", "disputes"):
            mock.add_callback(responses.GET, re.compile(
                re.escape(self.base) + rf"/v1/{name}/[A-Za-z0-9_]+(\?.*)?$"),
                callback=self._retrieve(name))
        mock.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/v1/refunds(\?.*)?$"),
                          callback=self._list_refunds)
        mock.add_callback(responses.GET,
                          re.compile(re.escape(self.base) + r"/v1/payment_intents(\?.*)?$"),
                          callback=self._list_intents)
        mock.add_callback(responses.POST, self.base + "/v1/refunds", callback=self._create_refund)

    def _table(self, name):
        return {"payment_intents": self.intents, "charges": self.charges,
                "refunds": self.refunds, "disputes": self.disputes}[name]

    def _retrieve(self, name):
        def answer(request):
            obj_id = urlparse(request.url).path.rsplit("/", 1)[1]
            obj = self._table(name).get(obj_id)
            if obj is None:
                return 404, {}, json.dumps({"error": {
                    "type": "invalid_request_error", "code": "resource_missing",
                    "message": f"No such {name[:-1]}: '{obj_id}'"}})
            return 200, {}, json.dumps(obj)
        return answer

    def _list_refunds(self, request):
        query = parse_qs(urlparse(request.url).query)
        rows = list(self.refunds.values())
        if "charge" in query:
            rows = [r for r in rows if r["charge"] == query["charge"][0]]
        if "created[gte]" in query:
            rows = [r for r in rows if r["created"] >= int(query["created[gte]"][0])]
        return 200, {}, json.dumps(_page(rows))

    def _list_intents(self, request):
        query = parse_qs(urlparse(request.url).query)
        rows = list(self.intents.values())
        if "created[gte]" in query:
            rows = [r for r in rows if r["created"] >= int(query["created[gte]"][0])]
        return 200, {}, json.dumps(_page(rows))

    def _create_refund(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        pi_id = form["payment_intent"][0]
        ch_id = self.intents[pi_id]["latest_charge"]
        metadata = {k[9:-1]: v[0] for k, v in form.items() if k.startswith("metadata[")}
        obj = refund(f"re_{len(self.refunds) + 1:04d}", ch_id, pi_id, int(form["amount"][0]),
                     metadata=metadata, created=int(time.time()))
        self.refunds[obj["id"]] = obj
        self.created_refunds.append(request.headers.get("Idempotency-Key"))
        return 200, {}, json.dumps(obj)


def _page(rows):
    return {"object": "list", "data": rows, "has_more": False, "url": "/v1/list"}
