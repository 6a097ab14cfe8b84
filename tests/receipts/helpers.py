"""Receipt test data built directly with the models (no Stripe needed)."""
import io
import itertools
from datetime import datetime, timezone

from pypdf import PdfReader

from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Payment, Refund
from fund.core import audit

ACTOR = audit.Actor("staff", "1")
_counter = itertools.count(1)


def donor(**fields):
    n = next(_counter)
    values = dict(kind="individual", name=f"山田 太郎{n}", email=f"donor{n}@example.jp",
                  postal_code="263-8555", address="千葉県千葉市稲毛区穴川4-9-1", locale="ja",
                  receipt_preference="per_gift")
    values.update(fields)
    row = Donor(**values)
    db.session.add(row)
    db.session.flush()
    return row


def paid_gift(donor_row=None, amount=5000, at=None, **fields):
    """A donation with one succeeded card payment (succeeded_at = `at`, UTC)."""
    donor_row = donor_row or donor()
    at = at or datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)
    gift = Donation(donor=donor_row, amount=amount, locale=donor_row.locale, **fields)
    gift.payments.append(Payment(amount=amount, state="succeeded", succeeded_at=at,
                                 stripe_payment_intent_id=f"pi_test_{next(_counter)}"))
    db.session.add(gift)
    db.session.flush()
    return gift


def refund(gift, amount):
    """A refund Stripe reported as succeeded (what PAY records before on_refund)."""
    row = Refund(payment=gift.payments[0], amount=amount, state="succeeded",
                 stripe_refund_id=f"re_test_{next(_counter)}")
    db.session.add(row)
    db.session.flush()
    db.session.expire(gift.payments[0], ["refunds"])
    return row


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pages(data):
    return len(PdfReader(io.BytesIO(data)).pages)
