"""The deadline job closes each campaign exactly once and does what its funding model says."""
from datetime import timedelta

import pytest

from fund.campaigns.models import Campaign
from fund.core import clock
from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.giving import totals
from fund.office import deadlines
from fund.payments.models import Refund
from tests.factories import CampaignFactory, DonorFactory, paid_gift
from tests.support import stripe_fake


def _campaign(model, goal=100_000):
    now = clock.now()
    return CampaignFactory(funding_model=model, goal_amount=goal, title_ja="期限付き",
                           title_en="With a deadline", starts_at=now - timedelta(days=30),
                           ends_at=now - timedelta(minutes=1))


def _card_gift(fake, campaign, amount, n, locale="ja"):
    gift = paid_gift(DonorFactory(email=f"s{n}@example.jp", locale=locale), amount,
                     designation="campaign", campaign=campaign)
    payment = gift.payments[0]
    payment.stripe_payment_intent_id, payment.stripe_charge_id = f"pi_dl_{n}", f"ch_dl_{n}"
    fake.intents[f"pi_dl_{n}"] = stripe_fake.intent(f"pi_dl_{n}", amount, charge=f"ch_dl_{n}")
    fake.charges[f"ch_dl_{n}"] = stripe_fake.charge(f"ch_dl_{n}", amount,
                                                    payment_intent=f"pi_dl_{n}")
    return gift


def test_an_all_or_nothing_campaign_that_missed_its_goal_refunds_its_card_gifts(
        ctx, fake, smtp_server):
    campaign = _campaign("all_or_nothing")
    first = _card_gift(fake, campaign, 5000, 1)
    second = _card_gift(fake, campaign, 7000, 2, locale="en")
    konbini = paid_gift(DonorFactory(email="k@example.jp"), 3000, designation="campaign",
                        campaign=campaign)
    konbini.payments[0].method = "konbini"
    open_one = CampaignFactory(goal_amount=1, ends_at=clock.now() + timedelta(days=1))
    db.session.commit()
    totals.rebuild()

    result = deadlines.run()
    assert result == {"closed": {str(campaign.id): "failed"}, "refunds": 2}
    db.session.expire_all()
    assert campaign.status == "failed" and campaign.closed_at is not None
    assert open_one.status == "published"
    assert sorted((r.amount, r.state) for r in db.session.query(Refund)) == [
        (5000, "succeeded"), (7000, "succeeded")]
    assert first.status == "refunded" and second.status == "refunded"
    assert konbini.status == "paid"  # returned by hand: listed for the office
    assert [fact.donation_id for fact, _donor in deadlines.returned_by_hand(campaign)] == [konbini.id]
    results = {m.to_address: m for m in db.session.query(OutboundEmail).filter_by(kind="campaign_result")}
    assert set(results) == {"s1@example.jp", "s2@example.jp", "k@example.jp"}
    assert "目標金額に届きませんでした" in results["s1@example.jp"].subject
    assert "did not reach its goal" in results["s2@example.jp"].subject
    assert "bank account" not in results["s2@example.jp"].body
    assert "銀行口座へお返しします" in results["k@example.jp"].body

    again = deadlines.run()  # exactly once: nothing closes or refunds twice
    assert again == {"closed": {}, "refunds": 0}
    assert db.session.query(Refund).count() == 2
    assert db.session.query(OutboundEmail).filter_by(kind="campaign_result").count() == 3
    assert db.session.query(AuditEntry).filter_by(action="campaign.failed").count() == 1


@pytest.mark.parametrize("model, goal", [("all_or_nothing", 10_000), ("all_in", 1_000_000)])
def test_a_campaign_that_reached_its_goal_or_keeps_all_succeeds(ctx, fake, smtp_server, model, goal):
    campaign = _campaign(model, goal=goal)
    _card_gift(fake, campaign, 12_000, 1)
    db.session.commit()
    totals.rebuild()
    assert deadlines.close(campaign.id) == "succeeded"
    assert deadlines.close(campaign.id) is None
    db.session.expire_all()
    assert db.session.query(Refund).count() == 0
    [message] = smtp_server.wait_for(1)
    assert "終了のご報告とお礼" in message["Subject"]


def test_a_campaign_stripe_cannot_refund_yet_is_finished_by_the_next_run(ctx, fake, monkeypatch):
    from fund.core.errors import PaymentUnavailable
    from fund.payments.stripe import api as gateway
    campaign = _campaign("all_or_nothing")
    _card_gift(fake, campaign, 5000, 1)
    _card_gift(fake, campaign, 6000, 2)
    db.session.commit()
    totals.rebuild()
    real = gateway.create_refund

    def down(**kwargs):
        raise PaymentUnavailable("Stripe could not be reached")
    monkeypatch.setattr(gateway, "create_refund", down)
    assert deadlines.run()["refunds"] == 0
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "failed"
    monkeypatch.setattr(gateway, "create_refund", real)
    deadlines.run()
    db.session.expire_all()
    # The first gift's refund, left 'created' by the outage, waits for stripe-sync; the
    # second is refunded now; nothing is refunded twice.
    assert sorted(r.amount for r in db.session.query(Refund)) == [5000, 6000]
