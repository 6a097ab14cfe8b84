"""CSV files built like Stripe's itemized payout reconciliation report.

Column names and order as the Dashboard's "Itemized" download of the Payout
reconciliation section gives them (payout_reconciliation.itemized.5, default
columns plus charge_id and payment_intent_id). Amounts are major units as
decimals, which for JPY are whole yen ("5000.00"); times are UTC.
"""
import csv
import io

COLUMNS = ("automatic_payout_id", "automatic_payout_effective_at_utc", "balance_transaction_id",
           "created_utc", "available_on_utc", "currency", "gross", "fee", "net",
           "reporting_category", "source_id", "description", "customer_facing_amount",
           "customer_facing_currency", "charge_id", "payment_intent_id")


def row(txn_id, gross, *, fee=0, category="charge", source="", payout="po_report_1",
        effective="2026-05-15 00:00:00", created="2026-05-10 03:00:00",
        available="2026-05-14 00:00:00", currency="jpy", charge_id="", intent_id=""):
    return {"automatic_payout_id": payout, "automatic_payout_effective_at_utc": effective,
            "balance_transaction_id": txn_id, "created_utc": created,
            "available_on_utc": available, "currency": currency, "gross": f"{gross}.00",
            "fee": f"{fee}.00", "net": f"{gross - fee}.00", "reporting_category": category,
            "source_id": source, "description": "", "customer_facing_amount": f"{abs(gross)}.00",
            "customer_facing_currency": currency, "charge_id": charge_id,
            "payment_intent_id": intent_id}


def report(rows, columns=COLUMNS):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for item in rows:
        writer.writerow(item)
    return out.getvalue().encode("utf-8")
