"""The office's kept facts, monthly and donor totals agree with the payments, whatever happens."""
from datetime import date, datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fund.core.extensions import db
from fund.giving.models import Donation
from fund.core import audit
from fund.office import donor_merge, facts
from fund.donors.models import Donor
from fund.office.models import GiftFact, MonthTotal
from tests.factories import (CampaignFactory, DisputeFactory, DonationFactory, DonorFactory,
                             PaymentFactory, RefundFactory, paid_gift)
from tests.support.tables import empty_tables


def _facts():
    db.session.expire_all()
    return {f.donation_id: f for f in db.session.query(GiftFact)}


def _totals():
    db.session.expire_all()
    return {(t.month, t.scope, t.scope_id, t.method): (t.gifts, t.received, t.refunded, t.lost,
                                                       t.fees)
            for t in db.session.query(MonthTotal) if t.gifts or t.received}


def _donor_totals():
    """The donors' kept gift totals (those with a gift): (count, paid, refunded, lost, fee, net)."""
    db.session.expire_all()
    return {d.id: (d.gift_count, d.gift_paid, d.gift_refunded, d.gift_lost, d.gift_fee,
                   d.gift_net) for d in db.session.query(Donor) if d.gift_count}


def _summed_by_donor():
    """The same, summed from the gifts themselves (Donation's own properties, not GiftFact)."""
    db.session.expire_all()
    sums = {}
    for gift in db.session.query(Donation):
        row = sums.setdefault(gift.donor_id, [0] * 6)
        for i, value in enumerate((1, gift.paid_amount, gift.refunded_amount,
                                   gift.disputed_lost_amount,
                                   sum(p.fee or 0 for p in gift.payments
                                       if p.state == "succeeded"), gift.net_amount)):
            row[i] += value
    return {donor_id: tuple(row) for donor_id, row in sums.items()}


def _agrees(gift, fact):
    assert (fact.status, fact.paid, fact.refunded, fact.lost, fact.net) == (
        gift.status, gift.paid_amount, gift.refunded_amount, gift.disputed_lost_amount,
        gift.net_amount), gift
    assert fact.received_at == gift.received_at


def test_each_shape_of_gift_is_listed_as_the_donation_says(ctx):
    shapes = []
    shapes.append(paid_gift(amount=5000))
    partly = paid_gift(amount=8000)
    RefundFactory(payment=partly.payments[0], amount=3000)
    whole = paid_gift(amount=2000)
    RefundFactory(payment=whole.payments[0], amount=2000)
    open_dispute = paid_gift(amount=4000)
    DisputeFactory(payment=open_dispute.payments[0], amount=4000)
    lost = paid_gift(amount=6000)
    DisputeFactory(payment=lost.payments[0], amount=6000, state="lost")
    pending = DonationFactory(amount=3000)
    PaymentFactory(donation=pending, state="requires_action", succeeded_at=None)
    failed = DonationFactory(amount=3000)
    PaymentFactory(donation=failed, state="failed", succeeded_at=None, method="konbini")
    retried = DonationFactory(amount=3000)
    PaymentFactory(donation=retried, state="failed", succeeded_at=None)
    PaymentFactory(donation=retried, state="succeeded",
                   succeeded_at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    shapes += [partly, whole, open_dispute, lost, pending, failed, retried]
    db.session.commit()
    kept = _facts()
    for gift in shapes:
        gift = db.session.get(Donation, gift.id)
        _agrees(gift, kept[gift.id])
    assert {kept[g.id].status for g in shapes} == {
        "paid", "partially_refunded", "refunded", "disputed", "pending", "failed"}
    assert kept[failed.id].method == "konbini" and kept[failed.id].month is None
    before = _totals()
    facts.rebuild()
    assert _totals() == before


def test_a_gift_just_after_midnight_on_1_april_in_japan_counts_in_april(ctx):
    gift = paid_gift(amount=5000, at=datetime(2027, 3, 31, 15, 30, tzinfo=timezone.utc))
    late = paid_gift(amount=7000, at=datetime(2027, 3, 31, 14, 59, tzinfo=timezone.utc))
    db.session.commit()
    kept = _facts()
    assert kept[gift.id].month == date(2027, 4, 1) and kept[late.id].month == date(2027, 3, 1)


def test_a_later_refund_moves_the_month_it_belongs_to(ctx):
    campaign = CampaignFactory()
    gift = paid_gift(amount=10000, designation="campaign", campaign=campaign)
    db.session.commit()
    key = (date(2026, 5, 1), "campaign", campaign.id, "card")
    assert _totals()[key] == (1, 10000, 0, 0, 0)
    RefundFactory(payment=gift.payments[0], amount=2500)
    db.session.commit()
    assert _totals()[key] == (1, 10000, 2500, 0, 0)
    assert _facts()[gift.id].status == "partially_refunded"


def test_moving_a_gift_to_another_donor_moves_its_fact(ctx):
    gift = paid_gift(amount=1000)
    db.session.commit()
    other = DonorFactory()
    gift.donor = other
    db.session.commit()
    assert _facts()[gift.id].donor_id == other.id


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(1, 9), st.sampled_from(["card", "konbini"]),
                                st.sampled_from(["general", "campaign"]),
                                st.integers(0, 28), st.sampled_from(
                                    ["none", "refund", "refund_all", "dispute", "lost"])),
                      min_size=1, max_size=6))
def test_kept_totals_equal_a_rebuild(ctx, steps):
    empty_tables()
    campaign = CampaignFactory()
    for thousands, method, where, day, after in steps:
        fields = {"designation": "campaign", "campaign": campaign} if where == "campaign" else {}
        gift = DonationFactory(amount=thousands * 1000, **fields)
        payment = PaymentFactory(donation=gift, method=method,
                                 succeeded_at=datetime(2026, 3, 3 + day, tzinfo=timezone.utc))
        db.session.commit()
        if after in ("refund", "refund_all"):
            RefundFactory(payment=payment, amount=1000 if after == "refund" else payment.amount)
        elif after in ("dispute", "lost"):
            DisputeFactory(payment=payment, state="lost" if after == "lost" else "needs_response")
        db.session.commit()
    kept = _totals()
    for gift in db.session.query(Donation):
        _agrees(gift, _facts()[gift.id])
    by_donor = _donor_totals()
    assert by_donor == _summed_by_donor()
    facts.rebuild()
    assert _totals() == kept
    assert _donor_totals() == by_donor


def test_donor_totals_follow_pay_refund_dispute_merge_and_rebuild(ctx):
    first, second = DonorFactory(), DonorFactory()
    a = paid_gift(first, amount=5000)
    b = paid_gift(second, amount=8000)
    pending = DonationFactory(amount=3000, donor=second)
    PaymentFactory(donation=pending, state="requires_action", succeeded_at=None)
    db.session.commit()
    assert _donor_totals()[first.id][:3] == (1, 5000, 0)
    assert _donor_totals()[second.id][:3] == (2, 8000, 0)
    RefundFactory(payment=a.payments[0], amount=1500)
    DisputeFactory(payment=b.payments[0], amount=8000, state="lost")
    db.session.commit()
    assert _donor_totals() == _summed_by_donor()
    assert _donor_totals()[first.id][:3] == (1, 5000, 1500)
    assert _donor_totals()[second.id][3] == 8000
    later = DonationFactory(amount=2000, donor=second)
    PaymentFactory(donation=later, succeeded_at=datetime(2026, 7, 1, tzinfo=timezone.utc))
    db.session.commit()
    assert _donor_totals() == _summed_by_donor()

    donor_merge.merge(kept=db.session.get(type(first), first.id),
                      merged=db.session.get(type(second), second.id),
                      actor=audit.SYSTEM, lang="en")
    kept = _donor_totals()
    assert second.id not in kept and kept[first.id][0] == 4
    assert kept == _summed_by_donor()
    db.session.execute(db.update(Donor).values(gift_count=0, gift_paid=0))  # lost, then rebuilt
    db.session.commit()
    assert _donor_totals() == {}
    facts.rebuild()
    assert _donor_totals() == kept
