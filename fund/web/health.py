"""/healthz for the load balancer: can this instance reach its database and its broker?"""
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
    healthy = all(checks.values())
    return jsonify(status="ok" if healthy else "unavailable",
                   checks={name: "ok" if fine else "unreachable"
                           for name, fine in checks.items()}), (200 if healthy else 503)


def _database():
    try:
        db.session.execute(db.text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy", never a 500
        log.warning("health: database unreachable", exc_info=True)
        db.session.rollback()
        return False
