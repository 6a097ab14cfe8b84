"""Redis down: gifts are still taken, limits still hold, jobs still run; when Redis
returns, jobs queue on it again for the worker. A Redis server of this test's own is
stopped and started again, so nothing else that uses Redis on this machine is touched."""
import shutil
import subprocess
import time
from datetime import datetime, timezone

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from fund.core import jobs
from fund.core.extensions import db
from fund.payments.models import Payment
from fund.receipts import bulk as receipt_jobs
from fund.receipts.models import Receipt, ReceiptJob
from tests.factories import paid_gift
from tests.support.forms import post_donation
from tests.support.services import free_port, wait_for_port

pytestmark = pytest.mark.pg_only


class OwnRedis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def url(self, db_number):
        return f"redis://127.0.0.1:{self.port}/{db_number}"


@pytest.fixture
def own_redis(app):
    server = OwnRedis()
    server.start()
    keys = ("CELERY_BROKER_URL", "RATELIMIT_STORAGE_URL", "DONATION_RATE_LIMIT")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(CELERY_BROKER_URL=server.url(0), RATELIMIT_STORAGE_URL=server.url(1),
                      DONATION_RATE_LIMIT="3/600")
    yield server
    app.config.update(saved)
    for name in ("fund.celery", "fund.ratelimit", "fund.ratelimit.fallback"):
        app.extensions.pop(name, None)
    if server.process.poll() is None:
        server.stop()


def _wait_for_job(job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(ReceiptJob, job_id)
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} still {job.state}")


def test_redis_down_and_back(app, client, seeded, ctx, card_token, own_redis, smtp_server):
    paid_gift(amount=3000, at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    db.session.commit()
    own_redis.stop()

    # A donor gives: paid, receipted, thanked, as with Redis up.
    response = post_donation(client, token=card_token())
    assert response.status_code == 302 and "/thanks/" in response.headers["Location"]
    assert db.session.query(Payment).filter_by(state="succeeded").count() == 2
    smtp_server.wait_for(1)
    # The limit on payment attempts still holds, counted in this process meanwhile.
    codes = [post_donation(client, token=card_token()).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    # The instance stays in the load balancer, and says what is wrong.
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["checks"]["broker"] == "unreachable"
    # A job asked for now runs in this process instead of waiting for the broker.
    receipts = db.session.query(Receipt).count()  # the donors' gifts above got theirs at once
    job = receipt_jobs.start(kind="issue_year", params={"year": 2026}, staff=None)
    done = _wait_for_job(job.id)
    assert (done.state, done.total) == ("done", 1)
    assert db.session.query(Receipt).count() == receipts + 1

    # Redis is back: jobs queue on it again, and the worker runs them.
    own_redis.start()
    paid_gift(amount=4000, at=datetime(2026, 6, 2, tzinfo=timezone.utc))
    db.session.commit()
    queued = receipt_jobs.start(kind="issue_year", params={"year": 2026}, staff=None)
    assert redis.Redis.from_url(own_redis.url(0)).llen("celery") == 1
    db.session.expire_all()
    assert db.session.get(ReceiptJob, queued.id).state not in ("running", "done")
    with start_worker(jobs.celery_for(app), pool="solo", perform_ping_check=False,
                      shutdown_timeout=10):
        done = _wait_for_job(queued.id)
    assert (done.state, done.total) == ("done", 1)
    assert db.session.query(Receipt).count() == receipts + 2
