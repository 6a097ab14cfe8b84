"""Load: the app in gunicorn (the repo's gunicorn.conf.py) on PostgreSQL, Stripe played
by localstripe, all on this machine. Not a test: it prints figures.

    .venv/bin/python bench/load.py [--clients 1,10,50] [--seconds 4] [--gifts 1000000]

For each of 1, 10 and 50 concurrent clients it prints requests/s and p50/p95/p99
(milliseconds) for the home page, a campaign's public page (/campaigns/<slug>,
or its 芳名録 /donors?campaign=<slug> where the app has no campaign page yet), a
donation from form post to PaymentIntent created, webhook ingestion, and two bare
endpoints of the same app and gunicorn settings (bench/bench_app.py: `SELECT 1`
and one INSERT) as ceilings. Then it adds 1,000,000 paid gifts to the campaign
with generate_series (timed), rebuilds the kept totals, and measures the public
pages again. After each phase it checks the database: no error, no lost and no
duplicated gift or event. It creates its own database and drops it at the end.

The load generator (Python, aiohttp) runs on the same 2 cores as gunicorn,
PostgreSQL and localstripe: the figures are what this machine gives with
everyone sharing it, not what the app would do alone.
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.services import free_port, wait_for_port  # noqa: E402

ADMIN = os.environ.get("FUND_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1/postgres")
WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(8)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHECKOUT = re.compile(r'name="checkout_key" value="([^"]+)"')
SESSION = re.compile(r"session=([^;]*);")


class Stack:
    """Database, localstripe and gunicorn, started and stopped together."""

    def __init__(self):
        self.db_name = f"fund_bench_{uuid.uuid4().hex[:8]}"
        self.db_url = ADMIN.rsplit("/", 1)[0] + "/" + self.db_name
        self.port, self.stripe_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stripe_url = f"http://127.0.0.1:{self.stripe_port}"
        self.processes = []
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("STRIPE_", "CELERY_", "RATELIMIT_", "MAIL_"))}
        self.env.update({
            "FUND_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
            "RECEIPT_ISSUER_CORPORATE_NUMBER": "7000012050002",  # a valid stand-in
            "DATABASE_URL": self.db_url, "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_API_BASE": self.stripe_url, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PUBLIC_BASE_URL": self.url, "TRUSTED_PROXIES": "1", "BIND": f"127.0.0.1:{self.port}",
            # The bench posts many gifts from one address; limits are tested elsewhere.
            "DONATION_RATE_LIMIT": "0/60", "LOG_LEVEL": "WARNING",
        })

    def start(self):
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.flask("db", "upgrade")
        self.flask("fund", "seed")
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, "
                         "at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)")
        (ROOT / "instance").mkdir(exist_ok=True)  # a fresh clone has none
        log = open(ROOT / "instance" / "bench-gunicorn.log", "wb")
        self.spawn([sys.executable, "-m", "tests.support.localstripe_server",
                    "--port", str(self.stripe_port)], subprocess.DEVNULL)
        wait_for_port(self.stripe_port)
        self.gunicorn = self.spawn([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                    "bench.bench_app:app"], log)
        wait_for_port(self.port, timeout=60, process=self.gunicorn)

    def spawn(self, args, out):
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def flask(self, *args):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def sql(self, query, *params):
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(query, params).fetchall()

    def stop(self):
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


# --- one measurement ------------------------------------------------------------------

class Result:
    def __init__(self, name, clients):
        self.name, self.clients = name, clients
        self.latencies, self.errors, self.ok = [], [], 0
        self.elapsed = 0.0

    def line(self):
        lat = sorted(self.latencies) or [0.0]

        def pct(p):
            return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000
        rate = len(self.latencies) / self.elapsed if self.elapsed else 0
        return (f"{self.name:<34} {self.clients:>3} clients {rate:>8.1f} req/s  "
                f"p50 {pct(50):>7.1f}  p95 {pct(95):>7.1f}  p99 {pct(99):>7.1f} ms  "
                f"errors {len(self.errors)}")

    def add(self, other):
        """Fold another run of the same measurement into this one (interleaved rounds)."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.ok += other.ok
        self.elapsed += other.elapsed
        return self

    @property
    def rate(self):
        return len(self.latencies) / self.elapsed if self.elapsed else 0

    def p95(self):
        lat = sorted(self.latencies)
        return lat[int(round(0.95 * (len(lat) - 1)))] * 1000 if lat else 0


async def run(name, clients, seconds, make_client, step, max_requests=None, every=None,
              show=True):
    """`clients` loops, each with its own state from make_client(), calling step(state)
    (which returns (ok, latency)) until `seconds` pass or `max_requests` are made.

    Without `every` each client sends its next request as soon as the last one is
    answered (a closed loop: the figures are the machine's saturation, and latency at
    50 clients is mostly queueing, 50 / rate on average). With `every`, each client
    starts one request per `every` seconds (a visitor who reads between clicks), at
    a random phase, so latency is the page's own time under that offered load."""
    result = Result(name, clients)
    deadline = time.perf_counter() + seconds
    budget = [max_requests]

    async def loop():
        state = await make_client()
        due = time.perf_counter() + (random.uniform(0, every) if every else 0)
        try:
            while time.perf_counter() < deadline:
                if every:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    due += every
                    if time.perf_counter() >= deadline:
                        break
                if budget[0] is not None:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                try:
                    ok, latency = await step(state)
                except (aiohttp.ClientError, asyncio.TimeoutError) as err:
                    result.errors.append(repr(err))
                    continue
                result.latencies.append(latency)
                if ok is True:
                    result.ok += 1
                else:
                    result.errors.append(ok)
        finally:
            await state["http"].close()

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    result.elapsed = time.perf_counter() - started
    if show:
        print(result.line(), flush=True)
    return result


def http_client():
    async def make():
        timeout = aiohttp.ClientTimeout(total=60)
        return {"http": aiohttp.ClientSession(timeout=timeout,
                                              connector=aiohttp.TCPConnector(limit=1))}
    return make


def get(stack, path):
    async def step(state):
        t = time.perf_counter()
        async with state["http"].get(stack.url + path, allow_redirects=False) as response:
            await response.read()
            return (response.status == 200 or f"{path}: {response.status}",
                    time.perf_counter() - t)
    return step


def bare_insert(stack):
    async def step(state):
        t = time.perf_counter()
        async with state["http"].post(stack.url + "/_bench/insert", data="row") as response:
            await response.read()
            return response.status == 200 or f"insert: {response.status}", time.perf_counter() - t
    return step


def webhook(stack, sent):
    """A signed event about a PaymentIntent we never made (verified, looked up, stored,
    answered 200 'unknown_object'): what every event costs before its own work."""
    async def step(state):
        event_id = f"evt_bench_{uuid.uuid4().hex}"
        body = json.dumps({"id": event_id, "object": "event", "type": "payment_intent.succeeded",
                           "created": int(time.time()), "livemode": False,
                           "data": {"object": {"id": f"pi_bench_{uuid.uuid4().hex[:16]}",
                                               "object": "payment_intent"}}}).encode()
        stamp = int(time.time())
        digest = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body,
                          hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={digest}"}
        t = time.perf_counter()
        async with state["http"].post(stack.url + "/webhooks/stripe", data=body,
                                      headers=headers) as response:
            await response.read()
            latency = time.perf_counter() - t
            if response.status == 200:
                sent.append(event_id)
                return True, latency
            return f"webhook: {response.status}", latency
    return step


def donation(stack, tokens, posted):
    """GET the form (not timed), then POST it with a card token: timed until the
    PaymentIntent is created and the thank-you redirect comes back."""
    origin = f"https://127.0.0.1:{stack.port}"

    async def step(state):
        headers = {"X-Forwarded-Proto": "https", "Referer": origin + "/donate"}
        if state.get("cookie"):
            headers["Cookie"] = f"session={state['cookie']}"
        async with state["http"].get(stack.url + "/donate", headers=headers) as response:
            page = await response.text()
            state["cookie"] = _session(response) or state.get("cookie")
        headers["Cookie"] = f"session={state['cookie']}"
        form = {"csrf_token": CSRF.search(page).group(1),
                "checkout_key": CHECKOUT.search(page).group(1), "card_token": tokens.pop(),
                "destination": "general", "amount_choice": "5000", "amount_other": "",
                "donor_kind": "individual", "name": "負荷 試験", "name_kana": "フカ シケン",
                "email": f"load-{uuid.uuid4().hex[:10]}@bench.example", "postal_code": "",
                "prefecture": "", "city": "", "street": "", "phone": "", "message": "",
                "agree_privacy": "y"}
        t = time.perf_counter()
        async with state["http"].post(stack.url + "/donate", data=form, headers=headers,
                                      allow_redirects=False) as response:
            await response.read()
            latency = time.perf_counter() - t
            if response.status == 302 and "/thanks/" in response.headers.get("Location", ""):
                posted.append(form["email"])
                return True, latency
            return f"donate: {response.status}", latency
    return step


def _session(response):
    for value in response.headers.getall("Set-Cookie", []):
        found = SESSION.search(value)
        if found:
            return found.group(1)
    return None


async def card_tokens(stack, count):
    async with aiohttp.ClientSession() as http:
        async def one():
            async with http.post(f"{stack.stripe_url}/v1/tokens", data={
                    "card[number]": "4242424242424242", "card[exp_month]": "12",
                    "card[exp_year]": "2034", "card[cvc]": "123"},
                    headers={"Authorization": "Bearer sk_test_bench"}) as response:
                return (await response.json())["id"]
        tokens = []
        for start in range(0, count, 50):
            tokens += await asyncio.gather(*(one() for _ in range(min(50, count - start))))
        return tokens


# --- the run --------------------------------------------------------------------------

def million_gifts(stack, gifts, slug):
    """`gifts` paid card gifts to the campaign from gifts/10 donors (10% named, about 1% of
    gifts with a message), in SQL."""
    t = time.perf_counter()
    with psycopg.connect(stack.db_url) as conn:
        campaign = conn.execute("SELECT id FROM campaign WHERE slug = %s", (slug,)).fetchone()[0]
        donors = max(1, gifts // 10)
        conn.execute("""
            INSERT INTO donor (kind, name, name_kana, email, postal_code, address, prefecture,
                               city, street, building, locale, publish_name,
                               receipt_preference, receipt_delivery, created_at, search_grams)
            SELECT 'individual', '寄附者' || g, 'キフシャ', 'bulk' || g || '@bench.example',
                   '263-8555', '千葉県千葉市稲毛区穴川4-9-1', '千葉県', '千葉市稲毛区', '穴川4-9-1', '',
                   'ja', g %% 10 = 0, 'none', 'email', now(), '{}'::text[]
            FROM generate_series(1, %s) g""", (donors,))
        first = conn.execute("SELECT min(id) FROM donor WHERE email LIKE %s",
                             ("bulk%",)).fetchone()[0]
        conn.execute("""
            INSERT INTO donation (public_id, reference, donor_id, amount, currency, designation,
                                  campaign_id, wants_receipt, publish_name, message, locale,
                                  created_at)
            SELECT md5('bench' || g), 'QB' || lpad(g::text, 10, '0'), %s + g %% %s,
                   1000 + (g %% 50) * 100, 'JPY', 'campaign', %s, false, (g %% %s) %% 10 = 0,
                   CASE WHEN g %% 97 = 0 THEN '応援しています ' || g ELSE '' END, 'ja',
                   now() - (g || ' seconds')::interval
            FROM generate_series(1, %s) g""", (first, donors, campaign, donors, gifts))
        conn.execute("""
            INSERT INTO payment (donation_id, provider, method, state, amount, currency,
                                 succeeded_at, created_at, updated_at)
            SELECT id, 'stripe', 'card', 'succeeded', amount, 'JPY', created_at, created_at, now()
            FROM donation WHERE donor_id >= %s""", (first,))
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        # As an operator would after a bulk load: otherwise autovacuum's pass over the
        # new million rows runs during the measurement and takes the CPU from it.
        conn.execute("VACUUM (ANALYZE) donor, donation, payment")
    generated = time.perf_counter() - t
    t = time.perf_counter()
    stack.flask("fund", "totals", "rebuild")
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) scope_total, scope_supporter")
        # The load wrote gigabytes of pages that the next checkpoint must flush: flush
        # them now, so that writing does not land in the middle of a measurement.
        conn.execute("CHECKPOINT")
    return generated, time.perf_counter() - t


def check_million(stack, slug, gifts):
    """After the million stage: every bulk gift is there once with one paid payment, and
    the kept total, its supporters and the page's figure equal what the rows add up to."""
    import urllib.request
    bulk, payments, paid = stack.sql("""
        SELECT count(DISTINCT d.id), count(p.id), count(DISTINCT p.donation_id)
        FROM donation d JOIN donor o ON o.id = d.donor_id
        LEFT JOIN payment p ON p.donation_id = d.id AND p.state = 'succeeded'
        WHERE o.email LIKE 'bulk%%@bench.example'""")[0]
    # Net per gift as the app defines it (paid, less refunds and lost disputes), summed
    # here over every gift: the check may do what the page must never do.
    summed, givers = stack.sql("""
        WITH g AS (
            SELECT d.donor_id,
                   (SELECT coalesce(sum(p.amount), 0) FROM payment p
                    WHERE p.donation_id = d.id AND p.state = 'succeeded')
                 - (SELECT coalesce(sum(r.amount), 0) FROM refund r
                    JOIN payment p ON p.id = r.payment_id
                    WHERE p.donation_id = d.id AND r.state = 'succeeded')
                 - (SELECT coalesce(sum(x.amount), 0) FROM dispute x
                    JOIN payment p ON p.id = x.payment_id
                    WHERE p.donation_id = d.id AND x.state = 'lost') AS net
            FROM donation d JOIN campaign c ON c.id = d.campaign_id AND c.slug = %s
            WHERE d.designation = 'campaign')
        SELECT coalesce(sum(net), 0)::bigint,
               (SELECT count(*) FROM (SELECT donor_id FROM g GROUP BY donor_id
                                      HAVING sum(net) > 0) s)
        FROM g""", slug)[0]
    kept = stack.sql("""SELECT t.raised, t.supporters FROM scope_total t
                        JOIN campaign c ON t.scope = 'campaign' AND t.scope_id = c.id
                        WHERE c.slug = %s""", slug)[0]
    with urllib.request.urlopen(f"{stack.url}/campaigns/{slug}", timeout=30) as answer:
        page = answer.read().decode()
    shown = f"¥{kept[0]:,}" in page
    print(f"check: bulk gifts {bulk:,} (paid payments {payments:,} on {paid:,} gifts) for "
          f"{gifts:,} generated; campaign summed over its payments ¥{summed:,} from {givers:,} "
          f"donors, kept ¥{kept[0]:,} from {kept[1]:,}; page shows the kept total: {shown}",
          flush=True)
    problems = []
    if not bulk == payments == paid == gifts:
        problems.append("bulk gifts lost or doubled")
    if (summed, givers) != tuple(kept):
        problems.append("kept campaign total differs from its payments")
    if not shown:
        problems.append("campaign page does not show the kept total")
    return problems


def campaign_path(stack, slug):
    """The campaign's own page where the app has one, else its 芳名録."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"{stack.url}/campaigns/{slug}", timeout=30) as answer:
            if answer.status == 200:
                return f"/campaigns/{slug}"
    except urllib.error.HTTPError:
        pass
    return f"/donors?campaign={slug}"


async def pages(stack, levels, seconds, slug, label, paced):
    found = {}
    for path, name in (("/", "home /"), (campaign_path(stack, slug), "campaign page")):
        for clients in levels:
            found[(name, clients)] = await run(f"{name}{label}", clients, seconds, http_client(),
                                               get(stack, path))
        if paced:
            clients = max(levels)
            found[(name, "paced")] = await run(
                # Long enough for a p95 of several hundred requests, not a few dozen.
                f"{name}{label} {1 / paced:g}/s each", clients, max(2 * seconds, 10 * paced),
                http_client(), get(stack, path), every=paced)
    return found


async def main(args):
    levels = [int(n) for n in args.clients.split(",")]
    stack = Stack()
    try:
        stack.start()
        slug = stack.sql("SELECT slug FROM campaign ORDER BY id LIMIT 1")[0][0]
        print(f"gunicorn {stack.url} (gunicorn.conf.py: WEB_WORKERS="
              f"{os.environ.get('WEB_WORKERS', 'cpu*2+1')}, WEB_THREADS="
              f"{os.environ.get('WEB_THREADS', '2')}), PostgreSQL {stack.db_name}, "
              f"localstripe :{stack.stripe_port}, {os.cpu_count()} cores shared by all\n",
              flush=True)
        for clients in levels:  # warm every worker up
            await run("warm-up", clients, 1, http_client(), get(stack, "/"))
        want = set(args.only.split(","))
        small = await pages(stack, levels, args.seconds, slug, "", args.paced) if "pages" in want else {}
        ceilings, hooks, gifts = {}, {}, {}
        sent, posted = [], []
        # The bare INSERT and the webhook, the two sides of the ratio, alternate in
        # `rounds` short runs per level, so a passing change in the machine (a
        # checkpoint, other work on the shared cores) hits both sides alike; each
        # line sums its rounds.
        for clients in levels:
            if "ceilings" in want:
                ceilings[("select", clients)] = await run(
                    "bare SELECT 1", clients, args.seconds, http_client(),
                    get(stack, "/_bench/select1"))
            sides = []  # (the Result each round adds to, the request it makes)
            if "ceilings" in want:
                ceilings[("insert", clients)] = Result("bare INSERT", clients)
                sides.append((ceilings[("insert", clients)], bare_insert(stack)))
            if "webhooks" in want:
                hooks[clients] = Result("webhook ingestion", clients)
                sides.append((hooks[clients], webhook(stack, sent)))
            for _ in range(args.rounds):
                for total, step in sides:
                    total.add(await run(total.name, clients, args.seconds / args.rounds,
                                        http_client(), step, show=False))
            for total, _step in sides:
                print(total.line() + f"  ({args.rounds} rounds)", flush=True)
        if "donations" in want:
            tokens = await card_tokens(stack, sum(args.donations * c for c in levels))
            for clients in levels:
                gifts[clients] = await run("donation POST -> PaymentIntent", clients,
                                           args.seconds * 3, http_client(),
                                           donation(stack, tokens, posted),
                                           max_requests=args.donations * clients)

        inserted = stack.sql("SELECT count(*) FROM bench_insert")[0][0]
        stored = stack.sql("SELECT count(*), count(DISTINCT stripe_event_id) FROM stripe_event "
                           "WHERE stripe_event_id LIKE 'evt_bench_%%'")[0]
        paid = stack.sql("""SELECT count(DISTINCT d.id), count(p.id),
                                   count(DISTINCT p.stripe_payment_intent_id)
                            FROM donation d JOIN donor o ON o.id = d.donor_id
                            JOIN payment p ON p.donation_id = d.id
                            WHERE o.email LIKE 'load-%%' AND p.state = 'succeeded'""")[0]
        answered = sum(ceilings[("insert", c)].ok for c in levels if ("insert", c) in ceilings)
        print(f"\ncheck: bare inserts {inserted} rows for "
              f"{answered} answered; webhook events "
              f"stored {stored[0]} (distinct {stored[1]}) for {len(sent)} answered; gifts paid "
              f"{paid[0]} (payments {paid[1]}, PaymentIntents {paid[2]}) for {len(posted)} "
              f"thanked", flush=True)
        problems = []
        if inserted != answered:
            problems.append("bare inserts lost or doubled")
        if tuple(stored) != (len(sent), len(set(sent))):
            problems.append("webhook events lost or doubled")
        if tuple(paid) != (len(posted),) * 3:
            problems.append("gifts lost or doubled")

        big = {}
        if "million" in want:
            print(f"\nadding {args.gifts:,} paid gifts to campaign {slug} ...", flush=True)
            generated, rebuilt = million_gifts(stack, args.gifts, slug)
            print(f"generated in {generated:.1f} s (generate_series, then VACUUM ANALYZE); kept "
                  f"totals rebuilt in {rebuilt:.1f} s (flask fund totals rebuild)", flush=True)
            big = await pages(stack, levels, args.seconds, slug,
                              f" ({args.gifts // 1000}k gifts)", args.paced)
            problems += check_million(stack, slug, args.gifts)

        errors = sum(len(r.errors) for group in (small, big, ceilings, hooks, gifts)
                     for r in group.values())
        top = max(levels)
        print("\nsummary")
        for clients in levels if hooks and ceilings else ():
            print(f"  webhook ingestion / bare INSERT at {clients:>2} clients: "
                  f"{hooks[clients].rate / ceilings[('insert', clients)].rate:.0%} (target >= 50%)")
        print(f"  campaign page: {campaign_path(stack, slug)}")
        for name in ("home /", "campaign page") if small and big else ():
            print(f"  {name} p95 at {top} clients: {small[(name, top)].p95():.1f} ms with the "
                  f"seed data, {big[(name, top)].p95():.1f} ms with {args.gifts:,} gifts "
                  f"(target < 30 ms; bare SELECT 1 at {top}: "
                  + (f"{ceilings[('select', top)].p95():.1f} ms)" if ceilings else "not run)"))
            if args.paced:
                print(f"  {name} p95 at {top} clients loading a page every {args.paced:g} s: "
                      f"{small[(name, 'paced')].p95():.1f} ms with the seed data, "
                      f"{big[(name, 'paced')].p95():.1f} ms with {args.gifts:,} gifts")
        print(f"  errors: {errors}; " + ("; ".join(problems) if problems
                                          else "no gift or event lost or duplicated"))
        if errors:
            for group in (small, big, ceilings, hooks, gifts):
                for r in group.values():
                    for e in sorted(set(r.errors))[:3]:
                        print(f"    {r.name}: {e}")
        return 1 if errors or problems else 0
    finally:
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=4,
                        help="bare INSERT and webhook alternate in this many runs per level")
    parser.add_argument("--donations", type=int, default=4, help="per client per level")
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--paced", type=float, default=1.0,
                        help="also load the pages at the top client count with each client "
                             "starting one request per this many seconds (0: not)")
    parser.add_argument("--only", default="pages,ceilings,webhooks,donations,million",
                        help="a comma list of: pages, ceilings, webhooks, donations, million")
    sys.exit(asyncio.run(main(parser.parse_args())))
