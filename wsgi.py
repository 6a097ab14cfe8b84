"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi run` in development."""
from fund import create_app

app = create_app()
