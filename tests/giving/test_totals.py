"""Money raised is kept as it moves: net of refunds and lost disputes, never summed per request."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fund.campaigns.models import Campaign
from fund.campaigns.seed import seed_demo
from fund.core import audit, signals
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import gifts, totals
from fund.giving.models import ScopeSupporter, ScopeTotal
from fund.payments import services as payments
from fund.payments.models import Dispute, Refund
from tests.support.tables import empty_tables

ACTOR = audit.SYSTEM


def _donor(n):
    donor = Donor(kind="individual", name=f"支援 {n}", email=f"s{n}@example.jp",
                  postal_code="263-8555", address="千葉県千葉市稲毛区穴川4-9-1")
    db.session.add(donor)
    db.session.flush()
    return donor


def _pay(donor, amount, campaign=None, publish=False):
    """A gift paid through the payment service, as a webhook would settle it."""
    payment = gifts.create_gift(donor=donor, amount=amount, method="card", locale="ja",
                                actor=ACTOR, campaign=campaign, publish_name=publish,
                                wants_receipt=False)
    payments.mark_succeeded(payment, ACTOR)
    db.session.commit()
    return payment


def _take_back(payment, amount, how):
    """What fund.payments.refunds / disputes do when Stripe reports money going back."""
    if how == "refund":
        db.session.add(Refund(payment=payment, amount=amount, state="succeeded", reason="test"))
    else:
        db.session.add(Dispute(payment=payment, amount=amount, state="lost",
                               stripe_dispute_id=f"dp_{payment.id}_{amount}"))
    db.session.flush()
    db.session.expire(payment.donation)
    signals.net_amount_changed.send(payment.donation, actor=ACTOR)
    db.session.commit()


def _snapshot():
    db.session.expire_all()
    kept = {(t.scope, t.scope_id): (t.raised, t.supporters, t.named)
            for t in db.session.query(ScopeTotal) if t.raised or t.supporters}
    # The 芳名録's named count is kept too: it equals the supporters the listing names.
    for (scope, scope_id), (_, _, named) in kept.items():
        assert named == db.session.query(ScopeSupporter).filter(
            ScopeSupporter.scope == scope, ScopeSupporter.scope_id == scope_id,
            ScopeSupporter.published.is_(True), ScopeSupporter.net > 0).count()
    return (kept,
            {(s.scope, s.scope_id, s.donor_id): (s.net, s.published)
             for s in db.session.query(ScopeSupporter) if s.net > 0})


def test_refunds_and_lost_disputes_come_off_the_campaign_total(client, ctx):
    seed_demo()
    campaign = db.session.query(Campaign).one()
    first = _pay(_donor(1), 5000, campaign, publish=True)
    _pay(_donor(2), 3000, campaign)
    home = client.get("/").get_data(as_text=True)
    assert 'class="raised">¥8,000' in home and 'class="supporters">2' in home

    _take_back(first, 2000, "refund")
    home = client.get("/").get_data(as_text=True)
    assert 'class="raised">¥6,000' in home and 'class="supporters">2' in home

    _take_back(first, 3000, "dispute")  # nothing of the first gift is left
    home = client.get("/").get_data(as_text=True)
    assert 'class="raised">¥3,000' in home and 'class="supporters">1' in home
    donors = client.get(f"/donors?campaign={campaign.slug}").get_data(as_text=True)
    assert "支援 1" not in donors and "ほか匿名の方 1名" in donors


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["campaign", "general"]),
                                st.integers(1, 5), st.booleans(),
                                st.sampled_from(["none", "refund", "dispute"])),
                      min_size=1, max_size=8))
def test_kept_totals_equal_a_rebuild_from_the_payments(ctx, steps):
    empty_tables()
    seed_demo()
    campaign = db.session.query(Campaign).one()
    donors = [db.session.query(Donor).filter_by(email=f"s{n}@example.jp").one_or_none()
              or _donor(n) for n in range(4)]
    for who, where, thousands, publish, back in steps:
        payment = _pay(donors[who], thousands * 1000, campaign if where == "campaign" else None,
                       publish)
        if back != "none":
            _take_back(payment, 1000, back)
    kept = _snapshot()
    totals.rebuild()
    assert _snapshot() == kept
