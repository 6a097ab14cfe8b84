"""factory_boy factories: the rows tests need, built the way the app builds them.

Rows are flushed, not committed: a test commits when it wants the app (or a
request) to see them. `paid_gift` and `pending_gift` are the two shapes most
tests start from.
"""
import itertools
from datetime import datetime, timezone

import factory
from factory.alchemy import SQLAlchemyModelFactory

from fund.campaigns.models import Campaign, Project
from fund.core import clock
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Dispute, Payment, Refund
from fund.staff.models import StaffUser

_ids = itertools.count(1)


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the app's scoped session)
        sqlalchemy_session_persistence = "flush"


class DonorFactory(_Factory):
    class Meta:
        model = Donor

    kind = "individual"
    name = factory.Sequence(lambda n: f"山田 太郎{n}")
    name_kana = "ヤマダ タロウ"
    email = factory.Sequence(lambda n: f"donor{n}@example.jp")
    postal_code = "263-8555"
    address = "千葉県千葉市稲毛区穴川4-9-1"
    locale = "ja"
    receipt_preference = "per_gift"


class DonationFactory(_Factory):
    class Meta:
        model = Donation

    donor = factory.SubFactory(DonorFactory)
    amount = 5000
    designation = "general"
    locale = factory.LazyAttribute(lambda gift: gift.donor.locale)


class PaymentFactory(_Factory):
    class Meta:
        model = Payment

    donation = factory.SubFactory(DonationFactory)
    amount = factory.LazyAttribute(lambda payment: payment.donation.amount)
    method = "card"
    state = "succeeded"
    succeeded_at = factory.LazyFunction(clock.now)
    stripe_payment_intent_id = factory.LazyFunction(lambda: f"pi_test_{next(_ids)}")


class RefundFactory(_Factory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = factory.LazyAttribute(lambda refund: refund.payment.amount)
    state = "succeeded"
    reason = "寄附者からの依頼 / donor asked"
    stripe_refund_id = factory.LazyFunction(lambda: f"re_test_{next(_ids)}")


class DisputeFactory(_Factory):
    class Meta:
        model = Dispute

    payment = factory.SubFactory(PaymentFactory)
    amount = factory.LazyAttribute(lambda dispute: dispute.payment.amount)
    state = "needs_response"
    stripe_dispute_id = factory.LazyFunction(lambda: f"dp_test_{next(_ids)}")


class ProjectFactory(_Factory):
    class Meta:
        model = Project

    slug = factory.Sequence(lambda n: f"project-{n}")
    title_ja = factory.Sequence(lambda n: f"プロジェクト{n}")
    title_en = factory.Sequence(lambda n: f"Project {n}")


class CampaignFactory(_Factory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title_ja = factory.Sequence(lambda n: f"クラウドファンディング{n}")
    title_en = factory.Sequence(lambda n: f"Campaign {n}")
    goal_amount = 1_000_000
    status = "published"
    starts_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ends_at = datetime(2027, 1, 1, tzinfo=timezone.utc)


class StaffFactory(_Factory):
    class Meta:
        model = StaffUser

    email = factory.Sequence(lambda n: f"staff{n}@qst.example")
    name = factory.Sequence(lambda n: f"Staff {n}")
    role = "office"
    password_hash = factory.PostGenerationMethodCall("set_password", "pw-for-tests")


def paid_gift(donor_row=None, amount=5000, at=None, **fields):
    """A donation with one succeeded card payment (succeeded_at = `at`, UTC); flushed."""
    at = at or datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)
    gift = DonationFactory(donor=donor_row or DonorFactory(), amount=amount, **fields)
    PaymentFactory(donation=gift, amount=amount, succeeded_at=at)
    return gift


def pending_gift(amount=5000, *, intent_id="pi_fake_1", state="requires_action",
                 wants_receipt=True):
    """Rows as the card flow leaves them while Stripe decides (e.g. 3-D Secure); committed."""
    donor = DonorFactory(name="量子 太郎", name_kana="リョウシ タロウ", email="taro@example.jp")
    gift = DonationFactory(donor=donor, amount=amount, wants_receipt=wants_receipt)
    payment = PaymentFactory(donation=gift, state=state, succeeded_at=None,
                             stripe_payment_intent_id=intent_id, stripe_customer_id="cus_fake")
    db.session.commit()
    return payment


def refund(gift, amount):
    """A refund Stripe reported as succeeded, on the gift's first payment; flushed."""
    row = RefundFactory(payment=gift.payments[0], amount=amount)
    db.session.expire(gift.payments[0], ["refunds"])
    return row
