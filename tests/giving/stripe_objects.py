"""Stripe API objects and a few request helpers, shaped like Stripe's API reference.

Only the fields our code reads plus enough context to be recognisable; the
shapes follow the documented PaymentIntent (next_action.konbini_display_details,
next_action.display_bank_transfer_instructions), Invoice (parent.subscription_details,
payments[]), Subscription and Charge objects of API version 2025-03-31 and later.
"""
import json
import time
from urllib.parse import parse_qs


API = "https://api.stripe.com/v1"


def intent(pid, *, amount, status, methods, payment_id, donation_id, customer=None,
           next_action=None, latest_charge=None, last_payment_error=None):
    return {
        "id": pid, "object": "payment_intent", "amount": amount, "amount_received":
        amount if status == "succeeded" else 0, "currency": "jpy", "status": status,
        "customer": customer, "client_secret": f"{pid}_secret_test", "livemode": False,
        "latest_charge": latest_charge, "last_payment_error": last_payment_error,
        "metadata": _metadata(payment_id, donation_id),
        "next_action": next_action, "payment_method_types": methods,
        "created": int(time.time()),
    }


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


def charge(charge_id, amount, fee):
    return {"id": charge_id, "object": "charge", "amount": amount, "currency": "jpy",
            "balance_transaction": {"id": f"txn_{charge_id}", "object": "balance_transaction",
                                    "amount": amount, "fee": fee, "net": amount - fee,
                                    "available_on": int(time.time()) + 4 * 86400}}


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


def _metadata(payment_id, donation_id):
    """As our code sets it: ids plus the donation's public id when the row exists."""
    metadata = {"payment_id": str(payment_id), "donation_id": str(donation_id)}
    if str(payment_id).isdigit():
        from fund.core.extensions import db
        from fund.payments.models import Payment
        payment = db.session.get(Payment, int(payment_id))
        if payment is not None:
            metadata["donation"] = payment.donation.public_id
    return metadata
