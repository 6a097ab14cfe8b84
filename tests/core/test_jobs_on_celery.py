"""With CELERY_BROKER_URL the web process only enqueues; a Celery worker on Redis runs it."""
import time
import uuid
from datetime import datetime, timezone

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from fund.core import jobs as tasks
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts.models import Receipt, ReceiptJob
from fund.core import mail
from fund.receipts import bulk as receipt_jobs
from tests.receipts.helpers import paid_gift

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def celery_app(app):
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    saved = app.config.get("CELERY_BROKER_URL")
    # A queue of this test's own, so a stray worker elsewhere never takes its jobs.
    app.config["CELERY_BROKER_URL"] = REDIS
    celery = tasks.celery_for(app)
    queue = f"fund-test-{uuid.uuid4().hex[:8]}"
    celery.conf.task_default_queue = queue
    yield celery
    app.config["CELERY_BROKER_URL"] = saved
    app.extensions.pop("fund.celery", None)
    redis.Redis.from_url(REDIS).delete(queue)


def test_receipt_job_is_queued_and_run_by_the_worker(app, ctx, celery_app):
    for day in (1, 2):
        paid_gift(amount=3000, at=datetime(2026, 6, day, tzinfo=timezone.utc))
    db.session.commit()
    job = receipt_jobs.start(kind="issue_year", params={"year": 2026}, staff=None)
    job_id = job.id
    # Only queued so far: nothing has run in this process.
    db.session.expire_all()
    assert db.session.get(ReceiptJob, job_id).state != "done"
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(ReceiptJob, job_id).state in ("done", "failed"):
                break
            time.sleep(0.2)
    db.session.expire_all()
    finished = db.session.get(ReceiptJob, job_id)
    assert finished.state == "done", finished.message
    assert finished.done == finished.total == 2
    assert db.session.query(Receipt).count() == 2


def test_periodic_mail_retry_runs_on_the_worker(app, ctx, celery_app, smtp_server):
    message = mail.queue(to="later@example.jp", subject="件名", body="本文", kind="test")
    db.session.commit()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.enqueue(app, "fund.mail_retry")
        smtp_server.wait_for(1, timeout=30)
    db.session.expire_all()
    assert db.session.get(OutboundEmail, message.id).status == "sent"
    assert set(celery_app.conf.beat_schedule) == {"stripe-sync", "mail-retry", "expire-payments",
                                                 "campaign-deadlines", "receipt-january",
                                                 "receipt-reminder"}
