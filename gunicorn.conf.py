"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the repo root.

Every value can be overridden from the environment (GUNICORN_CMD_ARGS or the
variables below). The app keeps no state in the process (sessions are signed
cookies, jobs go to Celery, rate limits to Redis), so instances can sit side
by side behind a load balancer that checks /healthz.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", 2))
# A request that takes longer than this is a bug or an outage: the worker is restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Client address as the proxy reports it (TRUSTED_PROXIES configures ProxyFix in the app);
# no query strings in the access log: links may carry signed tokens.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
