"""The migration that introduced kept totals filled them from the gifts already paid."""
from flask_migrate import downgrade, upgrade

from fund.campaigns.models import Campaign
from fund.campaigns.seed import seed_demo
from fund.core.extensions import db
from fund.giving import totals
from fund.giving.models import ScopeSupporter, ScopeTotal
from tests.factories import DisputeFactory, RefundFactory
from tests.receipts.helpers import donor, paid_gift


def _snapshot():
    db.session.expire_all()
    return ({(t.scope, t.scope_id): (t.raised, t.supporters) for t in db.session.query(ScopeTotal)},
            {(s.scope, s.scope_id, s.donor_id): (s.net, s.published, s.published_since)
             for s in db.session.query(ScopeSupporter)})


def test_backfill_matches_a_rebuild(app, ctx):
    # The gifts are made at the head schema (the models' shape), then the schema goes back
    # before kept totals and forward again, so the backfill of 0008 runs over them.
    seed_demo()
    campaign = db.session.query(Campaign).one()
    campaign_id = campaign.id
    kept = paid_gift(donor(), 5000, designation="campaign", campaign=campaign,
                     publish_name=True)
    refunded = paid_gift(donor(), 3000, designation="campaign", campaign=campaign)
    disputed = paid_gift(donor(), 7000, publish_name=True)
    RefundFactory(payment=refunded.payments[0], amount=3000)
    RefundFactory(payment=kept.payments[0], amount=1000)
    DisputeFactory(payment=disputed.payments[0], amount=7000, state="lost")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0005")
    upgrade()
    backfilled = _snapshot()
    assert backfilled[0][("campaign", campaign_id)] == (4000, 1)
    assert backfilled[0][("fund", 0)] == (4000, 1)
    totals.rebuild()
    assert _snapshot() == backfilled
