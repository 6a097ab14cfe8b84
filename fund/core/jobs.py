"""Background jobs: Celery with Redis when configured, the same task code inline otherwise.

Packages register their tasks here (`@jobs.task(name, every=...)`); this module
knows none of them. Without CELERY_BROKER_URL (`make run`, tests) a job runs in
a thread of the web process, or in the caller when asked to run inline, and
periodic work is run by cron through the `flask fund …` commands. With a broker
the web process only enqueues (and, should the broker be down, runs the job in a
thread of its own rather than lose or delay it), and

    celery -A fund.worker worker --beat

runs the jobs and the periodic tasks (lost webhooks, mail retries, expired
konbini / bank-transfer requests).
"""
import logging
import threading

from celery import Celery, Task
from flask import current_app

TASKS = {}
BEAT = {}
log = logging.getLogger(__name__)


def task(name, every=None):
    """Register `fn` as the task `name`, run every `every` (a timedelta) by beat if given."""
    def register(fn):
        if name in TASKS and TASKS[name] is not fn:
            raise RuntimeError(f"two tasks named {name}")
        TASKS[name] = fn
        if every is not None:
            # Beat entries are named after the task: "fund.mail_retry" -> "mail-retry".
            BEAT[name.removeprefix("fund.").replace("_", "-")] = {"task": name, "schedule": every}
        return fn
    return register


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
        # With Redis down, a web request learns it within about a second and runs the
        # job itself (see start), instead of hanging on reconnects.
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0.2,
                                   "interval_step": 0.2, "interval_max": 0.5},
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2},
        beat_schedule=dict(BEAT),
        timezone="Asia/Tokyo",
    )
    for name, fn in TASKS.items():
        celery.task(name=name)(fn)
    app.extensions["fund.celery"] = celery
    return celery


def enqueue(app, name, *args):
    celery_for(app).send_task(name, args=list(args))


def start(name, *args, inline=False):
    """Run the task `name` now (inline), on the Celery worker, or in a background thread."""
    app = current_app._get_current_object()
    if inline:
        return TASKS[name](*args)
    if app.config.get("CELERY_BROKER_URL"):
        try:
            enqueue(app, name, *args)
            return None
        except Exception:  # broker down: the job must not wait for Redis to come back
            log.warning("job %s: broker unreachable, running it in this process", name,
                        exc_info=True)
    threading.Thread(target=_thread_main, args=(app, name, args), daemon=True,
                     name=f"job-{name}").start()
    return None


def _thread_main(app, name, args):
    from fund.core.extensions import db
    with app.app_context():
        try:
            TASKS[name](*args)
        finally:
            db.session.remove()


def broker_reachable(url, timeout=1.0):
    """True when the broker answers (health checks); never raises."""
    try:
        with Celery(broker=url).connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
        return True
    except Exception:  # unreachable, refused, misconfigured: all "not healthy"
        return False
