"""Bulk-issued receipt mail survives a killed worker (issue 10, item 3).

Before, `issue_year` issued and committed the receipts, stored their files, and only
then queued their mails in a later transaction: a worker killed in between left issued
receipts that were never mailed, and running it again found nothing to do. Now each
receipt's mail is committed with its stored file, and a run started again renders,
stores and mails what a killed run left unrendered. The kill is played as in
tests/receipts/test_january_run.py: KeyboardInterrupt right after a commit.
"""
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts import bulk, storage
from fund.receipts.models import Receipt
from tests.receipts.helpers import ACTOR, donor, paid_gift

pytestmark = pytest.mark.usefixtures("after_year_end")


def _gifts():
    for i in range(5):
        paid_gift(donor(), amount=1000 + i, at=datetime(2026, 3, 1 + i, 3, tzinfo=timezone.utc))
    for i in range(2):
        supporter = donor(receipt_preference="annual")
        paid_gift(supporter, amount=2000, at=datetime(2026, 4, 1, 3, tzinfo=timezone.utc))
        paid_gift(supporter, amount=3000 + i, at=datetime(2026, 9, 1, 3, tzinfo=timezone.utc))
    db.session.commit()


def _assert_each_receipt_stored_and_mailed_once():
    db.session.expire_all()
    rows = db.session.execute(db.select(Receipt).order_by(Receipt.id)).scalars().all()
    assert len(rows) == 7 and all(r.status == "valid" and r.sha256 for r in rows)
    assert all(storage.stored(r).sha256 == r.sha256 for r in rows)
    mails = db.session.execute(db.select(OutboundEmail).filter_by(kind="receipt")).scalars()
    assert sorted(m.receipt_id for m in mails) == [r.id for r in rows]  # each once
    assert sorted(r.sequence for r in rows) == list(range(1, 8))


def test_killed_after_the_files_are_stored_every_receipt_still_has_its_mail(ctx, monkeypatch):
    _gifts()
    real = bulk.fill_hashes

    def stored_then_killed(*args, **kwargs):
        real(*args, **kwargs)  # files stored and committed …
        raise KeyboardInterrupt  # … and the worker dies before anything else

    monkeypatch.setattr(bulk, "fill_hashes", stored_then_killed)
    with pytest.raises(KeyboardInterrupt):
        bulk.issue_year(year=2026, actor=ACTOR)
    db.session.rollback()
    monkeypatch.setattr(bulk, "fill_hashes", real)
    assert bulk.issue_year(year=2026, actor=ACTOR) == {"single": 0, "annual": 0}
    _assert_each_receipt_stored_and_mailed_once()


def test_killed_after_the_issuing_commit_the_next_run_stores_and_mails_them(ctx, monkeypatch):
    _gifts()
    real = bulk.fill_hashes

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # numbers committed, nothing rendered yet

    monkeypatch.setattr(bulk, "fill_hashes", killed)
    with pytest.raises(KeyboardInterrupt):
        bulk.issue_year(year=2026, actor=ACTOR)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 7
    monkeypatch.setattr(bulk, "fill_hashes", real)
    bulk.issue_year(year=2026, actor=ACTOR)
    _assert_each_receipt_stored_and_mailed_once()
    bulk.issue_year(year=2026, actor=ACTOR)  # and a third run sends nothing again
    _assert_each_receipt_stored_and_mailed_once()


def test_killed_between_two_batches_of_files(ctx, monkeypatch):
    _gifts()
    monkeypatch.setattr(bulk, "COMMIT_EVERY", 3)
    real = storage.keep
    kept = []

    def keep(receipt, data, kind=None):
        if len(kept) == 4:  # the first batch of three is committed, the second is not
            raise KeyboardInterrupt
        kept.append(receipt.id)
        return real(receipt, data, kind)

    monkeypatch.setattr(storage, "keep", keep)
    with pytest.raises(KeyboardInterrupt):
        bulk.issue_year(year=2026, actor=ACTOR)
    db.session.rollback()
    committed = db.session.scalar(db.select(db.func.count(OutboundEmail.id)))
    assert committed == 3  # the committed batch's mails, with their files
    monkeypatch.setattr(storage, "keep", real)
    bulk.issue_year(year=2026, actor=ACTOR)
    _assert_each_receipt_stored_and_mailed_once()


def test_store_files_mails_a_bulk_receipt_whose_render_never_came(ctx, app, monkeypatch):
    _gifts()
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bulk, "fill_hashes", killed)
    with pytest.raises(KeyboardInterrupt):
        bulk.issue_year(year=2026, actor=ACTOR)
    db.session.rollback()
    stored, refused = bulk.store_files()
    assert (stored, refused) == (7, [])
    _assert_each_receipt_stored_and_mailed_once()
