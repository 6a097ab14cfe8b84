"""Background jobs on Celery with Redis, the same task code as the inline path.

Without CELERY_BROKER_URL (`make run`, tests) nothing here is used: jobs run
in a thread of the web process and periodic work is run by cron through the
`flask fund …` commands. With a broker, the web process only enqueues, and

    celery -A fund.worker worker --beat

runs the jobs and the periodic repairs (lost webhooks, mail retries, expired
konbini / bank-transfer requests).
"""
from datetime import timedelta

from celery import Celery, Task

RECEIPT_JOB = "fund.receipt_job"
BEAT = {
    "stripe-sync": {"task": "fund.stripe_sync", "schedule": timedelta(hours=1)},
    "mail-retry": {"task": "fund.mail_retry", "schedule": timedelta(minutes=10)},
    "expire-payments": {"task": "fund.expire_payments", "schedule": timedelta(hours=1)},
}
SYNC_WINDOW = timedelta(days=3)


def _receipt_job(job_id):
    from fund.receipts import bulk as receipt_jobs
    receipt_jobs.run(job_id)


def _stripe_sync():
    from fund.core import clock
    from fund.payments import sync as stripe_sync
    report = stripe_sync.sync(since=clock.now() - SYNC_WINDOW)
    return {"repaired": len(report.repaired), "problems": len(report.problems)}


def _mail_retry():
    from fund.core import mail
    sent, failed = mail.deliver()
    return {"sent": sent, "failed": failed}


def _expire_payments():
    from fund.giving import async_methods as async_payments
    expired, settled, errors = async_payments.expire_overdue()
    return {"expired": expired, "settled": settled, "errors": errors}


TASKS = {
    RECEIPT_JOB: _receipt_job,
    "fund.stripe_sync": _stripe_sync,
    "fund.mail_retry": _mail_retry,
    "fund.expire_payments": _expire_payments,
}


def celery_for(app):
    """The Celery app bound to this Flask app's broker (made once per broker URL)."""
    broker = app.config.get("CELERY_BROKER_URL")
    cached = app.extensions.get("fund.celery")
    if cached is not None and cached.conf.broker_url == broker:
        return cached

    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, broker=broker, task_cls=AppTask)
    celery.conf.update(
        task_ignore_result=True,
        # A job is acknowledged when it has finished: a worker that dies mid-job
        # leaves it to be run again (the jobs are idempotent).
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT,
        timezone="Asia/Tokyo",
    )
    for name, fn in TASKS.items():
        celery.task(name=name)(fn)
    app.extensions["fund.celery"] = celery
    return celery


def enqueue(app, name, *args):
    celery_for(app).send_task(name, args=list(args))
