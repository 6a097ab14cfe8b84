"""One Stripe fake for the suite: Stripe's documented objects served with `responses`.

localstripe (the real fake server the card tests use) lacks konbini, bank
transfer, Prices, modern subscriptions and anything one wants to make fail.
The builders here return plain dicts shaped like Stripe's API reference (API
version 2025-03-31 and later: invoices carry parent.subscription_details and
payments[]); `FakeStripe` keeps intents, charges, refunds and disputes and
answers the gateway's reads from them on the app's base URL (the `fake`
fixture), and the `online` fixture switches the app to real-mode settings with
https://api.stripe.com intercepted, for tests that add answers with `add_json`.
"""
import json
import re
import time
from urllib.parse import parse_qs, urlparse

import responses

NOW = 1_780_000_000
API = "https://api.stripe.com/v1"


def intent(pi_id, amount, *, status="succeeded", charge=None, latest_charge=None,
           payment_id=None, donation_id=None, methods=("card",), customer="cus_fake",
           next_action=None, last_payment_error=None, created=NOW):
    return {
        "id": pi_id, "object": "payment_intent", "amount": amount,
        "amount_received": amount if status == "succeeded" else 0, "currency": "jpy",
        "status": status, "customer": customer, "latest_charge": charge or latest_charge,
        "client_secret": f"{pi_id}_secret_test", "last_payment_error": last_payment_error,
        "next_action": next_action, "payment_method_types": list(methods),
        "created": created, "livemode": False, "metadata": _metadata(payment_id, donation_id),
    }


def _metadata(payment_id, donation_id=None):
    """What our code puts on an intent for this payment (see payments.intent_metadata)."""
    if not payment_id:
        return {}
    metadata = {"payment_id": str(payment_id)}
    if donation_id is not None:
        metadata["donation_id"] = str(donation_id)
    if str(payment_id).isdigit():
        from fund.core.extensions import db
        from fund.payments.models import Payment
        payment = db.session.get(Payment, int(payment_id))
        if payment is not None:  # built before the row exists: only the ids are known
            metadata.update(donation_id=str(payment.donation_id),
                            donation=payment.donation.public_id)
    return metadata


def charge(ch_id, amount, *, payment_intent=None, fee=None, available_on=NOW + 86400 * 4):
    fee = round(amount * 0.036) if fee is None else fee
    return {
        "id": ch_id, "object": "charge", "amount": amount, "currency": "jpy",
        "payment_intent": payment_intent, "status": "succeeded", "paid": True,
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


def balance_transaction(txn_id, amount, *, fee=0, type_="charge", category=None, source=None,
                        created=NOW, available_on=None):
    """A BalanceTransaction as GET /v1/balance_transactions lists it (JPY: whole yen)."""
    return {
        "id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
        "net": amount - fee, "currency": "jpy", "type": type_,
        "reporting_category": category or type_, "source": source, "created": created,
        "available_on": available_on or created + 86400 * 4, "status": "available",
        "description": None, "fee_details": [{"amount": fee, "currency": "jpy",
                                              "type": "stripe_fee"}] if fee else [],
    }


def payout(po_id, amount, *, status="paid", arrival_date=NOW + 86400 * 5, created=NOW,
           automatic=True):
    return {
        "id": po_id, "object": "payout", "amount": amount, "currency": "jpy", "status": status,
        "automatic": automatic, "arrival_date": arrival_date, "created": created,
        "balance_transaction": f"txn_{po_id}", "method": "standard", "type": "bank_account",
        "livemode": False,
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
        # Reconciliation: payouts, and balance transactions by payout or since a date.
        self.payouts, self.balance_transactions, self.settled_by = {}, {}, {}
        mock.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/v1/payouts(\?.*)?$"),
                          callback=self._list_payouts)
        mock.add_callback(responses.GET,
                          re.compile(re.escape(self.base) + r"/v1/balance_transactions(\?.*)?$"),
                          callback=self._list_balance_transactions)

    def add_payout(self, obj, settled):
        """A payout and the balance transactions it settled (each also listed by date)."""
        self.payouts[obj["id"]] = obj
        self.settled_by[obj["id"]] = [txn["id"] for txn in settled]
        for txn in settled:
            self.balance_transactions[txn["id"]] = txn

    def _list_payouts(self, request):
        query = parse_qs(urlparse(request.url).query)
        rows = sorted(self.payouts.values(), key=lambda p: -p["created"])
        if "created[gte]" in query:
            rows = [r for r in rows if r["created"] >= int(query["created[gte]"][0])]
        return 200, {}, json.dumps(_paged(rows, query))

    def _list_balance_transactions(self, request):
        query = parse_qs(urlparse(request.url).query)
        rows = sorted(self.balance_transactions.values(), key=lambda t: (-t["created"], t["id"]))
        if "payout" in query:
            ids = self.settled_by.get(query["payout"][0], [])
            rows = [r for r in rows if r["id"] in ids]
        if "created[gte]" in query:
            rows = [r for r in rows if r["created"] >= int(query["created[gte]"][0])]
        return 200, {}, json.dumps(_paged(rows, query))

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


def _paged(rows, query):
    """One page of a list, as Stripe pages it: `limit`, `starting_after`, `has_more`."""
    limit = int(query.get("limit", ["10"])[0])
    if "starting_after" in query:
        ids = [r["id"] for r in rows]
        rows = rows[ids.index(query["starting_after"][0]) + 1:]
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit,
            "url": "/v1/list"}


def _page(rows):
    return {"object": "list", "data": rows, "has_more": False, "url": "/v1/list"}


def konbini_action(expires_at):
    stores = {
        "familymart": {"confirmation_number": "01234567890", "payment_code": "123456"},
        "lawson": {"confirmation_number": "01234567890", "payment_code": "123456"},
        "ministop": {"confirmation_number": "01234567890", "payment_code": "123456"},
        "seicomart": {"confirmation_number": "01234567890", "payment_code": "123456"},
    }
    return {"type": "konbini_display_details", "konbini_display_details": {
        "expires_at": int(expires_at),
        "hosted_voucher_url": "https://payments.stripe.com/konbini/voucher/test_YWNjdF8x",
        "stores": stores}}


def bank_action(amount):
    return {"type": "display_bank_transfer_instructions", "display_bank_transfer_instructions": {
        "amount_remaining": amount, "currency": "jpy", "type": "jp_bank_transfer",
        "reference": None,
        "hosted_instructions_url": "https://payments.stripe.com/bank_transfers/instructions/test_1",
        "financial_addresses": [{
            "type": "zengin", "supported_networks": ["zengin"],
            "zengin": {"account_holder_name": "ストライプジャパン（カ", "account_number": "1234567",
                       "account_type": "futsu", "bank_code": "0009", "bank_name": "三井住友銀行",
                       "branch_code": "950", "branch_name": "カエデ支店"}}]}}


def customer(customer_id, default_source=None):
    return {"id": customer_id, "object": "customer", "default_source": default_source,
            "email": "hanako@example.jp", "livemode": False}


def subscription(sub_id, *, status, customer_id, latest_invoice, pledge_id):
    return {"id": sub_id, "object": "subscription", "status": status, "customer": customer_id,
            "latest_invoice": latest_invoice, "metadata": {"pledge_id": str(pledge_id)},
            "collection_method": "charge_automatically", "livemode": False}


def invoice(invoice_id, *, sub_id, pledge_id, amount, status="paid", intent_id=None,
            billing_reason="subscription_cycle", customer_id="cus_monthly_1"):
    paid = status == "paid"
    payments = [{"id": f"inpay_{invoice_id}", "object": "invoice_payment",
                 "amount_paid": amount if paid else None, "amount_requested": amount,
                 "is_default": True, "status": "paid" if paid else "open",
                 "payment": {"type": "payment_intent", "payment_intent": intent_id}}] \
        if intent_id else []
    return {
        "id": invoice_id, "object": "invoice", "status": status, "currency": "jpy",
        "customer": customer_id, "amount_due": amount, "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount, "billing_reason": billing_reason,
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"subscription": sub_id,
                                            "metadata": {"pledge_id": str(pledge_id)}}},
        "payments": {"object": "list", "data": payments, "has_more": False},
        "status_transitions": {"paid_at": int(time.time()) if paid else None,
                               "finalized_at": int(time.time())},
        "livemode": False,
    }


def form_of(call):
    """The form-encoded body Stripe's library sent, as {key: value}."""
    body = call.request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return {key: values[0] for key, values in parse_qs(body).items()}


def calls_to(mock, method, path):
    return [c for c in mock.calls if c.request.method == method
            and c.request.url.split("?")[0] == f"{API}{path}"]


def error(status, type_, code, message):
    return {"status": status, "body": json.dumps({"error": {"type": type_, "code": code,
                                                            "message": message}})}


def add_json(mock, method, path, body, status=200):
    mock.add(method, f"{API}{path}", json=body, status=status)
