"""A worker killed (SIGKILL) during the January run of annual summaries: started again,
the run continues where its last commit left it, and no receipt number is used twice or
skipped; every donor gets exactly one summary and one mail.

The run is `flask fund receipts january` in a process of its own, one donor per
transaction, as cron or a Celery worker runs it; it is killed twice while it works
(most of a batch's time is rendering, inside the transaction that holds the number).
"""
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts.models import Receipt, ReceiptSeries
from fund.receipts.run_models import ReceiptRun
from tests.conftest import WEBHOOK_SECRET
from tests.factories import DonorFactory, paid_gift
from tests.support.services import ROOT

pytestmark = pytest.mark.pg_only

YEAR = 2025  # finished in Japan whenever the suite runs
DONORS = 24


def _env(database_url, smtp_port):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STRIPE_", "CELERY_", "RATELIMIT_", "MAIL_", "RECEIPT_"))}
    env.update({"FUND_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
                "DATABASE_URL": database_url, "STRIPE_SECRET_KEY": "sk_test_faults",
                "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                "RECEIPT_ISSUER_CORPORATE_NUMBER": "7000012050002",
                "RECEIPT_JANUARY_BATCH": "1", "RECEIPT_WORKERS": "1", "LOG_LEVEL": "WARNING"})
    return env


def _command():
    return [sys.executable, "-m", "flask", "--app", "wsgi", "fund", "receipts", "january",
            "--year", str(YEAR)]


def _progress():
    db.session.rollback()
    row = db.session.execute(db.select(ReceiptRun).filter_by(kind="january", year=YEAR)
                             ).scalar_one_or_none()
    return (row.done, row.total, row.state) if row else (0, 0, None)


def _kill_when_done(env, at_least, log):
    """Start the run and SIGKILL it half-way through the batch after `at_least` donors,
    while that batch's transaction holds its number (timed from the batches before it)."""
    process = subprocess.Popen(_command(), cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    seen = {}
    while True:
        done = _progress()[0]
        seen.setdefault(done, time.monotonic())
        if done >= at_least and len(seen) >= 3:
            break
        assert process.poll() is None, "the run ended before it could be killed: " + _log(log)
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.005)
    times = sorted(seen.values())
    per_batch = (times[-1] - times[1]) / (len(times) - 2)
    time.sleep(per_batch / 2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_january_run_killed_twice_resumes_gapless(app, ctx, database_url, smtp_server, tmp_path):
    donors = []
    for i in range(DONORS):
        person = DonorFactory(receipt_preference="annual")
        paid_gift(person, amount=3000 + i, at=datetime(YEAR, 2, 1 + i % 28, 1, tzinfo=timezone.utc))
        paid_gift(person, amount=1000, at=datetime(YEAR, 11, 3, 1, tzinfo=timezone.utc))
        donors.append(person.id)
    db.session.commit()
    env = _env(database_url, smtp_server.port)
    with open(tmp_path / "run.log", "wb") as log:
        _kill_when_done(env, 3, log)
        done, total, state = _progress()
        assert state == "running" and 3 <= done < total == DONORS
        _kill_when_done(env, done + 5, log)
        done, total, state = _progress()
        assert state == "running" and done < total
        finished = subprocess.run(_command(), cwd=ROOT, env=env, stdout=log, stderr=log,
                                  timeout=300)
    assert finished.returncode == 0, (tmp_path / "run.log").read_text()
    assert _progress() == (DONORS, DONORS, "done")

    summaries = db.session.execute(db.select(Receipt).order_by(Receipt.sequence)).scalars().all()
    # Unique and gapless: the numbers the killed transactions held went back to the series.
    assert [s.sequence for s in summaries] == list(range(1, DONORS + 1))
    assert len({s.number for s in summaries}) == DONORS
    assert db.session.get(ReceiptSeries, YEAR).last_number == DONORS
    # Every donor exactly one summary, valid, with its PDF's hash, and exactly one mail.
    assert sorted(s.donor_id for s in summaries) == donors
    assert all(s.kind == "annual" and s.status == "valid" and s.revision == 1 and s.sha256
               for s in summaries)
    mails = db.session.execute(db.select(OutboundEmail).filter_by(kind="receipt")).scalars().all()
    assert sorted(m.receipt_id for m in mails) == [s.id for s in summaries]
    assert db.session.execute(db.select(ReceiptRun.resumed)).scalar_one() == 2


def _log(log):
    log.flush()
    with open(log.name, "rb") as fh:
        return fh.read()[-3000:].decode(errors="replace")
