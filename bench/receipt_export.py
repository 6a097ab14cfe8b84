"""A year of stored receipts exported as a ZIP with its index (bench/receipts.py --export).

Fills a throwaway PostgreSQL database (FUND_BENCH_PG_ADMIN, as bench/office.py)
with `n` donors, paid gifts, receipts and their stored PDF files, then times
fund.receipts.bulk.export_zip against a baseline in the same process: the same
bytes read with one plain query and written to a ZIP, with no checks and no index.
"""
import hashlib
import os
import re
import tempfile
import time
import uuid
import zipfile

import psycopg

os.environ.setdefault("FUND_ENV", "development")
ADMIN = os.environ.get("FUND_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1/postgres")
TARGET_SECONDS = 10
DISTINCT_RENDERS = 40


def fill(url, n, pdfs):
    """Donors, gifts, payments, receipts and stored files for `n` receipts of 2026."""
    with psycopg.connect(url) as conn:
        conn.execute(f"""
            INSERT INTO donor (kind, name, name_kana, email, postal_code, address, locale,
                               publish_name, receipt_preference, created_at, wants_news,
                               wants_reports, search_text, name_key, email_key, phone_key,
                               address_key, prefecture, city, street, building, receipt_delivery)
            SELECT 'individual', '量子 ' || i, 'リョウシ', 'd' || i || '@example.jp', '263-8555',
                   '千葉県千葉市稲毛区穴川' || i, 'ja', false, 'per_gift', now(), false, false,
                   '', '', 'd' || i || '@example.jp', '', '', '千葉県', '千葉市', '', '', 'email'
            FROM generate_series(1, {n}) i""")
        conn.execute(f"""
            INSERT INTO donation (public_id, donor_id, amount, currency, designation,
                                  wants_receipt, publish_name, message, locale, created_at,
                                  reference)
            SELECT 'bench' || i, i, 1000 * (1 + i % 50), 'JPY', 'general', true, false, '',
                   'ja', timestamptz '2026-01-01 09:00+09' + i * interval '50 minutes',
                   'QF-' || lpad(i::text, 9, '0')
            FROM generate_series(1, {n}) i""")
        conn.execute("""
            INSERT INTO payment (donation_id, provider, method, state, amount, currency, fee,
                                 stripe_payment_intent_id, succeeded_at, created_at, updated_at)
            SELECT id, 'stripe', 'card', 'succeeded', amount, 'JPY', amount * 36 / 1000,
                   'pi_bench_' || id, created_at, created_at, created_at FROM donation""")
        started = time.perf_counter()

        def stored(i):
            number = f"2026-{i:06d}"
            data = pdfs[i % len(pdfs)] + f"\n%bench {number}\n".encode()
            return number, data, hashlib.sha256(data).hexdigest()

        size = 0
        with conn.cursor().copy(
                "COPY receipt (id, series_year, sequence, revision, number, kind, status, "
                "language, donor_id, donor_kind, donor_name, donor_address, amount, currency, "
                "received_on, year, issuer_name, issuer_address, issuer_representative, "
                "issued_on, issued_at, sha256) FROM STDIN") as copy:
            for i in range(1, n + 1):
                number, data, digest = stored(i)
                size += len(data)
                copy.write_row((i, 2026, i, 1, number, "single", "valid", "ja", i, "individual",
                                f"量子 {i}", f"千葉県千葉市稲毛区穴川{i}", 1000 * (1 + i % 50),
                                "JPY", "2026-06-01", 2026, "QST", "千葉県", "理事長",
                                "2026-06-01", "2026-06-01 00:00+09", digest))
        conn.execute("SELECT setval('receipt_id_seq', (SELECT max(id) FROM receipt))")
        conn.execute("""
            INSERT INTO receipt_line (receipt_id, donation_id, amount, received_on, active)
            SELECT r.id, r.id, r.amount, r.received_on, true FROM receipt r""")
        with conn.cursor().copy("COPY receipt_file (receipt_id, kind, sha256, size, backend, "
                                "data, created_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                _, data, digest = stored(i)
                copy.write_row((i, "issued", digest, len(data), "db", data,
                                "2026-06-01 00:00+09"))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started, size


def baseline(url, out):
    """The same bytes, one plain query, straight into a ZIP: no checks, no index."""
    with psycopg.connect(url) as conn, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        with conn.cursor(name="files") as cur:
            cur.itersize = 200
            cur.execute("SELECT r.number, f.data FROM receipt r JOIN receipt_file f "
                        "ON f.receipt_id = r.id ORDER BY r.series_year, r.sequence")
            for number, data in cur:
                archive.writestr(f"receipts/{number}.pdf", bytes(data))


def run(n, pdfs, peak_rss_mb):
    """Print the export's time, the baseline's and their ratio."""
    from flask_migrate import upgrade

    from fund import create_app
    from fund.receipts import bulk

    name = f"fund_bench_export_{uuid.uuid4().hex[:8]}"
    url = re.sub(r"/[^/]*$", f"/{name}", ADMIN)
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace(
            "postgresql://", "postgresql+psycopg://")})
        with app.app_context():
            upgrade()
        seconds, size = fill(url, n, pdfs)
        print(f"export: {n:,} stored receipts ({size / 1e6:.0f} MB of PDF) written in "
              f"{seconds:.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            base_started = time.perf_counter()
            baseline(url, os.path.join(tmp, "baseline.zip"))
            base = time.perf_counter() - base_started
            with app.app_context():
                started = time.perf_counter()
                count = bulk.export_zip(out=os.path.join(tmp, "export.zip"),
                                        query=bulk.receipt_query(year=2026))
                ours = time.perf_counter() - started
            with zipfile.ZipFile(os.path.join(tmp, "export.zip")) as archive:
                names = archive.namelist()
                index_rows = archive.read("index.csv").decode("utf-8-sig").count("\n") - 1
            assert count == n and len(names) == n + 1 and index_rows == n
        print(f"export a year of {n:,} stored receipts as ZIP with index: {ours:6.2f} s "
              f"(target <= {TARGET_SECONDS} s)")
        print(f"baseline, the same bytes zipped raw (one query, no checks, no index): "
              f"{base:6.2f} s")
        print(f"ratio export / raw zip: {ours / base:5.2f}x; peak RSS so far "
              f"{peak_rss_mb():.0f} MB")
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
