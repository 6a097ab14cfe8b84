"""What the accountant's desk adds up, and its CSV: one row per gift.

Totals count valid receipts only; void receipts are counted and summed apart
(they stay on file, but the fund did not certify that money). A fiscal year
(April–March) counts a receipt's gifts by their own date received, so an
annual summary of 2025 puts its January–March gifts in FY2024 and the rest in
FY2025. The CSV has one row per gift so that it reconciles with Stripe's
payouts: the payment id, method, fee and payout are those of the gift's
succeeded payment.
"""
import csv
import io

from fund.accounting.models import StripePayout, StripeTxn
from fund.core import csvsafe
from fund.core.extensions import db
from fund.payments.models import Payment
from fund.receipts.models import Receipt, ReceiptLine, ReceiptStatus

CSV_FIELDS = (
    "number", "kind", "status", "issued_on", "year", "replaces", "donor", "donor_kind",
    "representative", "postal_code", "address", "gift_received_on", "gift_amount",
    "receipt_amount", "currency", "designation", "purpose", "method", "stripe_payment_id",
    "fee", "payout", "payout_arrival_on", "void_reason", "sha256")
# Written with csvsafe.text(): identifiers a spreadsheet would read as dates or numbers.
TEXT_FIELDS = frozenset(CSV_FIELDS.index(f) for f in (
    "number", "replaces", "postal_code", "stripe_payment_id", "payout"))


def _line_window(query, start, end):
    """Receipt lines of `query`'s receipts, received within [start, end] when given."""
    ids = query.order_by(None).with_only_columns(Receipt.id).scalar_subquery()
    lines = db.select(ReceiptLine).join(Receipt).where(ReceiptLine.receipt_id.in_(ids))
    if start is not None:
        lines = lines.where(ReceiptLine.received_on >= start, ReceiptLine.received_on <= end)
    return lines


def totals(query, *, window=None):
    """{"valid": (count, amount), "void": (count, amount)} of the receipts of `query`.

    With `window` (first day, last day), amounts are the gifts received in it,
    so a receipt that spans two fiscal years counts in each only for its part.
    """
    start, end = window or (None, None)
    lines = _line_window(query, start, end).subquery()
    rows = db.session.execute(
        db.select(Receipt.status, db.func.count(db.distinct(Receipt.id)),
                  db.func.coalesce(db.func.sum(lines.c.amount), 0))
        .join(lines, lines.c.receipt_id == Receipt.id)
        .group_by(Receipt.status)).all()
    found = {status: (count, int(amount)) for status, count, amount in rows}
    return {"valid": found.get(ReceiptStatus.VALID.value, (0, 0)),
            "void": found.get(ReceiptStatus.VOID.value, (0, 0))}


def _payments(donation_ids):
    """The succeeded payment of each gift, with its payout (if reconciled)."""
    if not donation_ids:
        return {}
    found = {}
    rows = db.session.execute(
        db.select(Payment, StripePayout)
        .outerjoin(StripeTxn, StripeTxn.payment_id == Payment.id)
        .outerjoin(StripePayout, StripePayout.id == StripeTxn.payout_id)
        .where(Payment.donation_id.in_(donation_ids), Payment.succeeded_at.is_not(None))
        .order_by(Payment.succeeded_at)).all()
    for payment, payout in rows:
        found.setdefault(payment.donation_id, (payment, payout))
    return found


def csv_rows(query, *, window=None, file_name=None):
    """The CSV rows (header first) of the receipts of `query`, one per gift.

    `file_name(receipt)`, when given, adds a last column "file" (the ZIP export's index).
    """
    start, end = window or (None, None)
    yield CSV_FIELDS + (("file",) if file_name else ())
    receipts = db.session.execute(query).scalars().all()
    numbers = dict(db.session.execute(db.select(Receipt.id, Receipt.number).where(
        Receipt.id.in_([r.replaces_id for r in receipts if r.replaces_id]))).all()) \
        if any(r.replaces_id for r in receipts) else {}
    lines_of = {}
    for line in db.session.execute(_line_window(query, start, end)
                                   .order_by(ReceiptLine.received_on, ReceiptLine.id)).scalars():
        lines_of.setdefault(line.receipt_id, []).append(line)
    payments = _payments([line.donation_id for lines in lines_of.values() for line in lines])
    for receipt in receipts:
        for line in lines_of.get(receipt.id, ()):
            payment, payout = payments.get(line.donation_id, (None, None))
            yield csvsafe.row((
                receipt.number, receipt.kind, receipt.status, receipt.issued_on, receipt.year,
                numbers.get(receipt.replaces_id), receipt.donor_name, receipt.donor_kind,
                receipt.donor_representative, receipt.donor_postal_code, receipt.donor_address,
                line.received_on, line.amount, receipt.amount, receipt.currency,
                line.donation.designation, line.purpose,
                payment.method if payment else None,
                payment.stripe_payment_intent_id if payment else None,
                payment.fee if payment else None,
                payout.stripe_payout_id if payout else None,
                payout.arrival_on if payout else None,
                receipt.void_reason, receipt.current_sha256,
                *((file_name(receipt),) if file_name else ())), identifiers=TEXT_FIELDS)


def csv_text(query, *, window=None):
    """The whole CSV as text, UTF-8 BOM first so that spreadsheets read Japanese names."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(query, window=window):
        writer.writerow(row)
    return "\ufeff" + out.getvalue()
