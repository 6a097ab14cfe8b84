"""The migration that introduced kept totals filled them from the gifts already paid."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

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
    db.session.remove()
    downgrade(revision="0005")
    try:
        # Columns as they were at 0005: the ORM models describe today's schema.
        campaign_id = db.session.execute(sa.text(
            "INSERT INTO campaign (slug, title_ja, title_en, description_ja, description_en,"
            " goal_amount, currency, starts_at, ends_at, created_at) VALUES ('cf', 'CF', 'CF',"
            " '', '', 100000, 'JPY', :start, :end, :start) RETURNING id"),
            {"start": datetime(2026, 1, 1, tzinfo=timezone.utc),
             "end": datetime(2027, 1, 1, tzinfo=timezone.utc)}).scalar_one()
        kept = paid_gift(donor(), 5000, designation="campaign", campaign_id=campaign_id,
                         publish_name=True)
        refunded = paid_gift(donor(), 3000, designation="campaign", campaign_id=campaign_id)
        disputed = paid_gift(donor(), 7000, publish_name=True)
        RefundFactory(payment=refunded.payments[0], amount=3000)
        RefundFactory(payment=kept.payments[0], amount=1000)
        DisputeFactory(payment=disputed.payments[0], amount=7000, state="lost")
        db.session.commit()
        db.session.remove()
    finally:
        upgrade()
    backfilled = _snapshot()
    assert backfilled[0][("campaign", campaign_id)] == (4000, 1)
    assert backfilled[0][("fund", 0)] == (4000, 1)
    totals.rebuild()
    assert _snapshot() == backfilled
