"""/healthz for the load balancer: can this instance reach its database and its broker?

Only the database decides whether the instance takes traffic (503 without it).
A broker outage is reported ("degraded", 200): the app still takes gifts then,
runs jobs in-process and counts rate limits in-process (see fund.core.jobs and
fund.core.ratelimit), and a load balancer that took every instance out over
Redis would stop the donations that need no Redis at all.
"""
import logging

from flask import Blueprint, current_app, jsonify

from fund.core import jobs
from fund.core.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": _database()}
    if current_app.config.get("CELERY_BROKER_URL"):
        checks["broker"] = jobs.broker_reachable(current_app.config["CELERY_BROKER_URL"])
    status = ("ok" if all(checks.values()) else "degraded" if checks["database"]
              else "unavailable")
    return jsonify(status=status,
                   checks={name: "ok" if fine else "unreachable"
                           for name, fine in checks.items()}), (200 if checks["database"] else 503)


def _database():
    try:
        db.session.execute(db.text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy", never a 500
        log.warning("health: database unreachable", exc_info=True)
        db.session.rollback()
        return False
