"""Rows as the card flow leaves them, for tests that drive Stripe with `responses`."""
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Payment


def pending_gift(amount=5000, *, intent_id="pi_fake_1", state="requires_action",
                 wants_receipt=True):
    """A donor, donation and payment waiting for Stripe (e.g. 3-D Secure)."""
    donor = Donor(kind="individual", name="量子 太郎", name_kana="リョウシ タロウ",
                  email="taro@example.jp", postal_code="263-8555",
                  address="千葉県千葉市稲毛区穴川4-9-1")
    donation = Donation(donor=donor, amount=amount, designation="general",
                        wants_receipt=wants_receipt)
    payment = Payment(donation=donation, amount=amount, state=state,
                      stripe_payment_intent_id=intent_id, stripe_customer_id="cus_fake")
    db.session.add_all([donor, donation, payment])
    db.session.commit()
    return payment
