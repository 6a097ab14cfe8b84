"""A Stripe API on a real loopback socket, for the app running in gunicorn.

The `responses` fake (tests/support/stripe_fake.py) only works inside the test
process; a gunicorn worker is another process and needs a server. This one
keeps customers, intents and charges in memory, replays a repeated
idempotency key as Stripe does (the same answer, no second charge), and can be
told to misbehave on a route: answer 500 or 429, hang past the client's
timeout, or close the connection without a word, and to call a hook before it
answers (e.g. to cut the caller's database connection at that moment).
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.support import stripe_fake
from tests.support.services import free_port

ERRORS = {
    500: {"error": {"type": "api_error", "message": "An unknown error occurred"}},
    429: {"error": {"type": "invalid_request_error", "code": "rate_limit",
                    "message": "Too many requests"}},
}


class StripeServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.reset()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._serve(self, "GET")

            def do_POST(self):
                server._serve(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.intents, self.charges, self.customers = {}, {}, {}
            self.replies = {}       # idempotency key -> (params, body)
            self.faults = {}        # "POST /v1/payment_intents" -> [500, "hang", ...]
            self.hooks = {}         # "GET /v1/payment_intents" -> callable(path)
            self.requests = []      # (method, route, idempotency key)
            self.charges_made = 0

    def misbehave(self, route, *answers):
        """The next requests on `route` get these answers: 500, 429, 'hang', 'close'."""
        with self.lock:
            self.faults[route] = list(answers)

    def paid_intent(self, intent_id, amount, payment_id):
        """Stripe's record of a succeeded card payment (what a re-read returns)."""
        charge_id = "ch_" + intent_id[3:]
        with self.lock:
            self.intents[intent_id] = stripe_fake.intent(intent_id, amount, charge=charge_id)
            self.intents[intent_id]["metadata"] = {"payment_id": str(payment_id)}
            self.charges[charge_id] = stripe_fake.charge(charge_id, amount,
                                                         payment_intent=intent_id)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- serving ---------------------------------------------------------------

    def _serve(self, handler, method):
        path = urlparse(handler.path).path
        parts = path.strip("/").split("/")          # v1, payment_intents[, id]
        route = f"{method} /{'/'.join(parts[:2])}"
        length = int(handler.headers.get("Content-Length") or 0)
        params = parse_qs(handler.rfile.read(length).decode()) if length else {}
        key = handler.headers.get("Idempotency-Key")
        with self.lock:
            self.requests.append((method, route, key))
            hook = self.hooks.get(route)
            fault = self.faults.get(route, [None]).pop(0) if self.faults.get(route) else None
        if hook is not None:
            hook(path)
        if method == "POST":
            status, body = self._write(parts[1], params, key)
        else:
            status, body = self._read(parts[1], parts[2] if len(parts) > 2 else None)
        if fault == "close":
            handler.close_connection = True
            return  # no status line at all: the client sees the connection drop
        if fault == "hang":
            time.sleep(3)  # past the app's STRIPE_TIMEOUT_SECONDS
        if fault in ERRORS:
            status, body = fault, ERRORS[fault]
        payload = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): Stripe did the work all the same

    def _write(self, kind, params, key):
        with self.lock:
            if key in self.replies:
                first, body = self.replies[key]
                if first != params:
                    return 400, {"error": {"type": "idempotency_error",
                                           "message": "Keys for idempotent requests can only "
                                                      "be used with the same parameters."}}
                return 200, body
            body = self._create(kind, params)
            if key:
                self.replies[key] = (params, body)
            return 200, body

    def _create(self, kind, params):
        n = len(self.customers) + len(self.intents) + 1
        if kind == "customers":
            customer = stripe_fake.customer(f"cus_f{n}", default_source=f"card_f{n}")
            self.customers[customer["id"]] = customer
            return customer
        if kind == "payment_intents":
            self.charges_made += 1
            intent_id, charge_id = f"pi_f{n}", f"ch_f{n}"
            metadata = {k[9:-1]: v[0] for k, v in params.items() if k.startswith("metadata[")}
            amount = int(params["amount"][0])
            intent = stripe_fake.intent(intent_id, amount, charge=charge_id,
                                        created=int(time.time()))
            intent["metadata"] = metadata
            intent["customer"] = params.get("customer", [None])[0]
            self.intents[intent_id] = intent
            self.charges[charge_id] = stripe_fake.charge(charge_id, amount,
                                                         payment_intent=intent_id)
            return intent
        return {"error": {"type": "invalid_request_error", "message": f"no {kind} here"}}

    def _read(self, kind, obj_id):
        with self.lock:
            table = {"payment_intents": self.intents, "charges": self.charges,
                     "customers": self.customers}.get(kind)
            if table is None and kind == "refunds":
                return 200, {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}
            if table is None:
                return 404, {"error": {"type": "invalid_request_error", "message": kind}}
            if obj_id is None:
                return 200, {"object": "list", "data": list(table.values()), "has_more": False,
                             "url": f"/v1/{kind}"}
            if obj_id not in table:
                return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                       "message": f"No such object: '{obj_id}'"}}
            return 200, table[obj_id]
