"""Migration 0111 books the entries of gifts paid before the ledger; `ledger check` then passes."""
from datetime import date, datetime, timezone

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from fund.core.extensions import db
from fund.giving.models import OfflineGift
from fund.ledger import backfill, check
from fund.ledger.models import Entry
from tests.factories import DisputeFactory, PaymentFactory, ProjectFactory, RefundFactory, paid_gift

AT = datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)


def old_gifts():
    """Gifts as the payments table had them before the ledger: no entry for any."""
    project = ProjectFactory(slug="camp")
    kept = paid_gift(amount=10_000, at=AT).payments[0]
    kept.fee = 360
    to_project = paid_gift(amount=5_000, at=AT, designation="project", project=project).payments[0]
    to_project.fee = 180
    refunded = paid_gift(amount=3_000, at=AT).payments[0]
    RefundFactory(payment=refunded, amount=3_000)
    RefundFactory(payment=kept, amount=1_000, state="failed")  # never took money
    lost = paid_gift(amount=7_000, at=AT).payments[0]
    DisputeFactory(payment=lost, state="lost", stripe_status="lost")
    won = paid_gift(amount=4_000, at=AT).payments[0]
    DisputeFactory(payment=won, state="won", stripe_status="won")
    inquiry = paid_gift(amount=2_000, at=AT).payments[0]
    DisputeFactory(payment=inquiry, state="needs_response", stripe_status="warning_needs_response")
    PaymentFactory(donation=paid_gift(amount=1_500, at=AT).payments[0].donation, state="failed",
                   succeeded_at=None, amount=1_500)
    transfer = paid_gift(amount=20_000, at=AT).payments[0]
    transfer.provider, transfer.method, transfer.stripe_payment_intent_id = "office", "direct_transfer", None
    db.session.add(OfflineGift(payment=transfer, method="direct_transfer", money_account="bank:main",
                               received_on=date(2026, 5, 10)))
    db.session.commit()
    assert db.session.query(Entry).count() == 0


def test_the_migration_books_every_gift_and_the_check_passes(app, ctx):
    old_gifts()
    before = check.run()
    assert not before.ok and "gift" in before.kinds()
    db.session.remove()
    # Back to just before the backfill, and up through it and everything after it: it
    # runs today's ORM models, so a schema change placed after it fails here.
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    downgrade(revision=script.get_revision("0111_ledger_backfill").down_revision)
    upgrade()
    report = check.run()
    assert report.ok, report.problems
    keys = {key for key, in db.session.execute(db.select(Entry.key))}
    assert sum(key.startswith("gift:") for key in keys) == 8
    assert sum(key.startswith("fee:") for key in keys) == 2
    assert sum(key.startswith("refund:") for key in keys) == 1
    assert sum(key.startswith("dispute:") for key in keys) == 2  # the inquiry took nothing
    assert sum(key.startswith("dispute_won:") for key in keys) == 1
    transfer = db.session.execute(db.select(Entry).join(OfflineGift, OfflineGift.payment_id ==
                                                        Entry.source_id)
                                  .where(Entry.category == "gift")).scalar_one()
    assert {line.account.code for line in transfer.lines} == {"bank:main", "fund:general"}
    count = len(keys)
    again = backfill.run()
    assert again.total == 0 and db.session.query(Entry).count() == count
    assert check.run().ok


def test_the_command_books_what_is_missing_once(app, ctx):
    old_gifts()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["fund", "ledger", "backfill"])
    assert first.exit_code == 0
    assert "8 gifts, 2 fees, 1 refunds, 2 chargebacks booked" in first.output
    second = runner.invoke(args=["fund", "ledger", "backfill"])
    assert "0 gifts, 0 fees, 0 refunds, 0 chargebacks booked" in second.output
    assert runner.invoke(args=["fund", "ledger", "check"]).exit_code == 0
