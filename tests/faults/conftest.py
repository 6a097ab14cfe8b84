"""The app as production runs it: gunicorn (the repo's gunicorn.conf.py, two workers)
on the suite's PostgreSQL database, Stripe played by a server on loopback.

One gunicorn serves every test in tests/faults (package scope): starting it
costs a few seconds. The suite's `clean` fixture empties the tables between
tests as usual; the workers' connections hold no locks while idle.
"""
import os
import re
import secrets
import signal
import subprocess
import sys

import pytest
import requests

from tests.conftest import BACKEND, WEBHOOK_SECRET
from tests.faults.stripe_server import StripeServer
from tests.support.services import ROOT, free_port, wait_for_port

# Every connection of the gunicorn workers says who it is, so a test can find (and cut) it.
APP_NAME = "fund-gunicorn"



@pytest.fixture(scope="package")
def stripe_server():
    server = StripeServer()
    yield server
    server.stop()


class Gunicorn:
    def __init__(self, database_url, stripe_url, smtp_port, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("STRIPE_", "CELERY_", "RATELIMIT_", "MAIL_"))}
        env.update({
            # Production settings, as a deployment sets them (nothing of development).
            "FUND_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "RECEIPT_ISSUER_CORPORATE_NUMBER": "7000012050002",
            "DATABASE_URL": f"{database_url}?application_name={APP_NAME}",
            "STRIPE_SECRET_KEY": "sk_test_faults",
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_TIMEOUT_SECONDS": "1",
            "STRIPE_RETRY_BACKOFF_SECONDS": "0",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
            "PUBLIC_BASE_URL": self.url,
            "TRUSTED_PROXIES": "1",  # the tests play the TLS-terminating proxy
            "DONATION_RATE_LIMIT": "0/60", "LOGIN_RATE_LIMIT": "0/60",
            "STAFF_PASSWORD_HASH": "t=1,m=1024,p=1",
            "BIND": f"127.0.0.1:{self.port}", "WEB_WORKERS": "2", "WEB_THREADS": "4",
            "LOG_LEVEL": "WARNING",
        })
        self.env = env
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout=30, process=self.process)
        # Both workers answer before a test starts (the first request imports nothing new).
        for _ in range(4):
            requests.get(f"{self.url}/healthz", timeout=10).raise_for_status()

    def flask(self, *args):
        """A `flask` command in the same environment as the web workers (cron, or beat)."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)

    def stop(self):
        # SIGINT is gunicorn's quick shutdown: no waiting out idle keep-alive connections.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="package")
def gunicorn(app, database_url, stripe_server, smtp_server, tmp_path_factory):
    if BACKEND != "postgresql":
        pytest.skip("faults run on PostgreSQL only")
    server = Gunicorn(database_url, stripe_server.url, smtp_server.port,
                      tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()


@pytest.fixture
def stripe(stripe_server):
    stripe_server.reset()
    yield stripe_server
    stripe_server.reset()


class Browser:
    """A donor's browser behind the TLS-terminating proxy: the session cookie is
    Secure (production), so it is kept here and sent as the proxy would pass it on."""

    def __init__(self, server):
        self.server = server
        self.cookie = None

    def request(self, method, path, **kwargs):
        origin = f"https://127.0.0.1:{self.server.port}"
        headers = {"X-Forwarded-Proto": "https", "Referer": origin + path}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        response = requests.request(method, self.server.url + path, headers=headers,
                                    allow_redirects=False, timeout=60, **kwargs)
        found = re.search(r"session=([^;]*);", response.headers.get("Set-Cookie", ""))
        if found:
            self.cookie = found.group(1)
        return response


@pytest.fixture
def browser(gunicorn):
    return Browser(gunicorn)
