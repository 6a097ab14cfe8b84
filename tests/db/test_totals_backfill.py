"""The migration that introduced kept totals filled them from the gifts already paid."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fund.core.extensions import db
from fund.giving import totals
from fund.giving.models import ScopeSupporter, ScopeTotal


def _snapshot():
    db.session.expire_all()
    return ({(t.scope, t.scope_id): (t.raised, t.supporters) for t in db.session.query(ScopeTotal)},
            {(s.scope, s.scope_id, s.donor_id): (s.net, s.published, s.published_since)
             for s in db.session.query(ScopeSupporter)})


def _insert(table, **values):
    """Insert into `table` as the schema is at this revision (today's models may have more)."""
    row = sa.Table(table, sa.MetaData(), autoload_with=db.session.connection())
    model = db.metadata.tables[table]
    for column in row.columns:
        default = model.c[column.name].default if column.name in model.c else None
        if column.name not in values and default is not None:
            values[column.name] = default.arg(None) if default.is_callable else default.arg
    return db.session.execute(row.insert().values(**values)).inserted_primary_key[0]


def _gift(donor_id, amount, *, campaign_id=None, publish_name=False, n):
    at = datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)
    donation = _insert("donation", public_id=f"gift-{n}", donor_id=donor_id, amount=amount,
                       currency="JPY", designation="campaign" if campaign_id else "general",
                       campaign_id=campaign_id, wants_receipt=False, publish_name=publish_name,
                       message="", locale="ja", created_at=at)
    payment = _insert("payment", donation_id=donation, amount=amount, currency="JPY",
                      method="card", state="succeeded", succeeded_at=at, created_at=at,
                      stripe_payment_intent_id=f"pi_backfill_{n}")
    return payment


def test_backfill_matches_a_rebuild(app, ctx):
    db.session.remove()
    downgrade(revision="0005")
    try:
        now = datetime(2026, 5, 1, tzinfo=timezone.utc)
        campaign_id = _insert("campaign", slug="c", title_ja="c", title_en="c", description_ja="",
                              description_en="", goal_amount=100000, currency="JPY",
                              starts_at=now, ends_at=now + timedelta(days=90), created_at=now)
        donors = [_insert("donor", kind="individual", name=f"d{n}", name_kana="", email=f"d{n}@x.jp",
                          postal_code="", address="", locale="ja", publish_name=False,
                          receipt_preference="per_gift", created_at=now) for n in range(3)]
        kept = _gift(donors[0], 5000, campaign_id=campaign_id, publish_name=True, n=1)
        refunded = _gift(donors[1], 3000, campaign_id=campaign_id, n=2)
        disputed = _gift(donors[2], 7000, publish_name=True, n=3)
        for n, (payment, amount) in enumerate(((refunded, 3000), (kept, 1000))):
            _insert("refund", payment_id=payment, amount=amount, currency="JPY", reason="r",
                    state="succeeded", stripe_refund_id=f"re_backfill_{n}", created_at=now)
        _insert("dispute", payment_id=disputed, amount=7000, currency="JPY", state="lost",
                stripe_dispute_id="dp_backfill", created_at=now)
        db.session.commit()
        db.session.remove()
    finally:
        upgrade()
    backfilled = _snapshot()
    assert backfilled[0][("campaign", campaign_id)] == (4000, 1)
    assert backfilled[0][("fund", 0)] == (4000, 1)
    totals.rebuild()
    assert _snapshot() == backfilled
