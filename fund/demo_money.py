"""A year of demo money for `make run` (`flask fund seed --demo-staff`), through the real services.

About 60 card gifts over the last year to the general fund, the two projects and the
crowdfunding (each succeeded through `payments.mark_succeeded`, so the ledger's receiver
books it, and its card fee booked as the settlement signal books it), a bank transfer
recorded by the office (`giving.offline`), one Stripe payout to the bank
(`accounting.payouts`), one allocation from the general fund to the quantum-scalpel
project (`ledger.allocations`) and one spend on its equipment (`ledger.spends`).
Development only. Idempotent: the demo's payments carry `pi_demo_…` intent ids, and when
one exists nothing is added.
"""
import random
from datetime import date, datetime, time, timedelta

from fund.accounting import payouts
from fund.accounting.models import StripePayout
from fund.campaigns.models import Campaign, Project
from fund.core import audit, clock
from fund.core.extensions import db
from fund.donors import services as donors
from fund.giving import gifts, offline
from fund.ledger import allocations, bookings, spends
from fund.payments import services as payments
from fund.payments.models import Payment

ACTOR = audit.Actor("system", "demo")
FEE_RATE = 0.036  # Stripe's Japanese card rate
NAMES = [("量子 太郎", "リョウシ タロウ"), ("千葉 花子", "チバ ハナコ"), ("福島 次郎", "フクシマ ジロウ"),
         ("稲毛 三郎", "イナゲ サブロウ"), ("穴川 桜", "アナガワ サクラ"), ("光 五郎", "ヒカリ ゴロウ")]
AMOUNTS = (3000, 5000, 10000, 10000, 30000, 50000)


def present():
    return db.session.execute(db.select(Payment.id).where(
        Payment.stripe_payment_intent_id.like("pi_demo_%")).limit(1)).first() is not None


def _donors():
    return [donors.create(kind="individual", name=name, name_kana=kana_name,
                          email=f"demo{n}@example.jp", postal_code="263-8555",
                          address="千葉県千葉市稲毛区穴川4-9-1", locale="ja")
            for n, (name, kana_name) in enumerate(NAMES, 1)]


def seed(staff, *, today=None, gifts_count=60):
    """Add the demo money (commits); returns what was added, or [] when it is there."""
    if present():
        return []
    today = today or clock.today_jst()
    rng = random.Random(2026)
    projects = {p.slug: p for p in db.session.execute(db.select(Project)).scalars()}
    campaign = db.session.execute(
        db.select(Campaign).filter_by(slug="airborne-virus-laser-2026")).scalar_one_or_none()
    scalpel = projects["quantum-scalpel-magnet"]
    camp = projects.get("science-camp-fukushima-chiba")
    people = _donors()
    db.session.flush()
    stripe_total = 0
    for n in range(1, gifts_count + 1):
        day = today - timedelta(days=365 - n * 365 // (gifts_count + 1))
        at = datetime.combine(day, time(12, rng.randrange(60)), clock.JST)
        amount = rng.choice(AMOUNTS)
        where = n % 4
        destination = ({"project": scalpel} if where == 1 else {"project": camp} if where == 2
                       and camp else {"campaign": campaign} if where == 3 and campaign
                       and campaign.is_open(clock.now()) else {})
        donor = people[n % len(people)]
        payment = gifts.create_gift(donor=donor, amount=amount, method="card", locale="ja",
                                    actor=ACTOR, wants_receipt=False, **destination)
        payment.stripe_payment_intent_id = f"pi_demo_{n}"
        payments.mark_succeeded(payment, ACTOR, at=at)
        payment.fee = round(amount * FEE_RATE)
        payment.net = amount - payment.fee
        bookings.book_fee(payment, actor="stripe:settlement")
        stripe_total += payment.net
    db.session.commit()
    offline.record_offline_gift(
        amount=200_000, destination="project:quantum-scalpel-magnet", method="direct_transfer",
        received_on=today - timedelta(days=40), staff=staff, lang="ja",
        new_donor=offline.NewDonor(kind="corporation", name="株式会社量子技研",
                                   name_kana="カブシキガイシャリョウシギケン",
                                   company_name="株式会社量子技研", representative="代表取締役 量子 一郎",
                                   email="kifu@ryoshi-giken.example.jp", postal_code="263-8555",
                                   address="千葉県千葉市稲毛区穴川4-9-1", phone=""),
        money_account="bank:main", transfer_name="ｶ)ﾘﾖｳｼｷﾞｹﾝ", wants_receipt=False)
    paid = stripe_total // 2
    payout = StripePayout(stripe_payout_id="po_demo_1", amount=paid, stripe_status="paid",
                          arrival_on=today - timedelta(days=30))
    db.session.add(payout)
    db.session.flush()
    payouts.book(payout, ACTOR)
    db.session.commit()
    allocations.allocate(source="fund:general", project=scalpel, amount=100_000,
                         memo="磁場測定装置の購入に充当", staff=staff, lang="ja")
    spends.record_spend(project=scalpel, vendor="株式会社磁気計測", invoice_number="INV-2026-0042",
                        spent_on=today, amount=80_000, staff=staff,
                        memo="ホール素子プローブ 1式", fixed_asset=True, lang="ja")
    return [f"{gifts_count} card gifts", "a bank transfer", "a payout", "an allocation",
            "a spend"]
