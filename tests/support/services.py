"""Real peers for the tests: localstripe, an SMTP sink, and the app on a live port."""
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from email import message_from_bytes, policy
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=20.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


class LocalStripe:
    """localstripe in a subprocess on loopback, state in memory only."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.localstripe_server", "--port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, process=self.process)

    def register_webhook(self, url, secret):
        requests.post(f"{self.url}/_config/webhooks/fund",
                      data={"url": url, "secret": secret}, timeout=5).raise_for_status()

    def unregister_webhook(self):
        # localstripe has no delete: point the hook at a closed port. Pending
        # deliveries read the URL after their one-second delay, so they go there too.
        self.register_webhook(f"http://127.0.0.1:{free_port()}/gone", "whsec_gone")

    def flush(self):
        requests.delete(f"{self.url}/_config/data", timeout=5).raise_for_status()

    def authenticate(self, intent_id, client_secret, success=True):
        """What the fake Stripe.js does when the donor clicks through 3-D Secure."""
        requests.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": "pk_test_fund_suite", "client_secret": client_secret}, timeout=5,
        ).raise_for_status()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _Sink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on loopback collecting every message."""

    def __init__(self):
        self.port = free_port()
        self.sink = _Sink()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self):
        with self.sink.lock:
            return list(self.sink.messages)

    def clear(self):
        with self.sink.lock:
            self.sink.messages.clear()

    def wait_for(self, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} mail(s), got {len(self.messages)}")

    def stop(self):
        self.controller.stop()


class LiveServer:
    """The Flask app served on a real port in a thread (webhooks, the browser)."""

    def __init__(self, app, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def postgres_admin_url():
    return os.environ.get("FUND_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1/postgres")
