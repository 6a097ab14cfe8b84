"""Celery entry point: `celery -A fund.worker worker --beat` (needs CELERY_BROKER_URL)."""
from fund import create_app
from fund.core.jobs import celery_for

flask_app = create_app()
celery = celery_for(flask_app)
