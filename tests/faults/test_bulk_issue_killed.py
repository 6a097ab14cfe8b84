"""A worker killed (SIGKILL) during "issue a year's missing receipts": started again, every
receipt is stored and mailed exactly once, and no number is used twice or skipped.

`flask fund receipts issue --year` in a process of its own, as cron or a Celery worker
runs it, killed once its receipts are numbered and committed but before their PDFs are
stored and their mails queued (the render is most of its time). Before, the mails were
queued after everything else, so the killed run's receipts were never mailed, and the
run started again found nothing left to do.
"""
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts.models import Receipt, ReceiptFile, ReceiptSeries
from tests.factories import DonorFactory, paid_gift
from tests.faults.test_bulk_worker_killed import YEAR, _env, _log
from tests.support.services import ROOT

pytestmark = pytest.mark.pg_only

PER_GIFT, ANNUAL = 30, 4


def _command():
    return [sys.executable, "-m", "flask", "--app", "wsgi", "fund", "receipts", "issue",
            "--year", str(YEAR)]


def _counts():
    db.session.rollback()
    receipts = db.session.scalar(db.select(db.func.count(Receipt.id)))
    files = db.session.scalar(db.select(db.func.count(ReceiptFile.id)))
    return receipts, files


def test_issue_year_killed_after_numbering_stores_and_mails_every_receipt_once(
        app, ctx, database_url, smtp_server, tmp_path):
    for i in range(PER_GIFT):
        paid_gift(DonorFactory(), amount=1000 + i,
                  at=datetime(YEAR, 1 + i % 12, 5, 1, tzinfo=timezone.utc))
    for i in range(ANNUAL):
        supporter = DonorFactory(receipt_preference="annual")
        paid_gift(supporter, amount=2000, at=datetime(YEAR, 3, 1, 1, tzinfo=timezone.utc))
        paid_gift(supporter, amount=3000 + i, at=datetime(YEAR, 10, 1, 1, tzinfo=timezone.utc))
    db.session.commit()
    total = PER_GIFT + ANNUAL
    env = _env(database_url, smtp_server.port)
    with open(tmp_path / "run.log", "wb") as log:
        process = subprocess.Popen(_command(), cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while _counts()[0] < total:  # numbered and committed, rendering now
            assert process.poll() is None, "the run ended before it could be killed: " + \
                _log(log)
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        receipts, files = _counts()
        assert receipts == total and files < total, "killed too late to test anything"
        finished = subprocess.run(_command(), cwd=ROOT, env=env, stdout=log, stderr=log,
                                  timeout=300)
    assert finished.returncode == 0, (tmp_path / "run.log").read_text()

    db.session.expire_all()
    rows = db.session.execute(db.select(Receipt).order_by(Receipt.sequence)).scalars().all()
    assert [r.sequence for r in rows] == list(range(1, total + 1))
    assert db.session.get(ReceiptSeries, YEAR).last_number == total
    assert all(r.status == "valid" and r.sha256 for r in rows)
    stored = db.session.execute(db.select(ReceiptFile.receipt_id, ReceiptFile.sha256)).all()
    assert sorted(stored) == sorted((r.id, r.sha256) for r in rows)
    mails = db.session.execute(db.select(OutboundEmail).filter_by(kind="receipt")).scalars().all()
    assert sorted(m.receipt_id for m in mails) == sorted(r.id for r in rows)  # each once
    assert all(m.status == "sent" for m in mails)
