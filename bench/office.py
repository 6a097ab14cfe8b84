"""The office's pages at scale: 1,000,000 gifts and 200,000 donors in PostgreSQL (`make bench-office`).

Builds a throwaway database (`fund_bench_office_<random>`, dropped at the end
unless --keep), migrates it, fills it with INSERT … SELECT generate_series
(the same folded search text and grams fund.donors.names keeps), then times through the
app's own test client, signed in as office staff:

- the dashboard, a search by name (kanji), by フリガナ (katakana), and two
  filtered lists: p95 of each, target at most 50 ms;
- the CSV export of every gift: rows per second (target at least 50,000) and
  the process's peak RSS after 100,000 rows and after all of them (constant
  memory: the second is barely above the first).

Ratios are printed against baselines measured in the same process: the
`/healthz` page (the app's cost of a request that reads one row) for the
pages; for the export, a bare server-side cursor fetching the export's rows
(no CSV, no Flask: what a Python writer could read at best), and the
export's own COPY statement read to the end through a bare cursor (what the
server gives; on PostgreSQL the export is that COPY passed on).
"""
import argparse
import os
import re
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FUND_ENV", "development")

import psycopg  # noqa: E402

ADMIN = os.environ.get("FUND_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1/postgres")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET_P95_MS = 50
TARGET_ROWS_PER_S = 50_000

# (kanji, katakana) pairs: the donors' names are every combination.
SURNAMES = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("髙橋", "タカハシ"), ("鈴木", "スズキ"),
            ("渡辺", "ワタナベ"), ("伊藤", "イトウ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"),
            ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山本", "ヤマモト"), ("松本", "マツモト"),
            ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"),
            ("清水", "シミズ"), ("山口", "ヤマグチ"), ("森", "モリ"), ("池田", "イケダ"),
            ("橋本", "ハシモト"), ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"),
            ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"),
            ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"),
            ("近藤", "コンドウ"), ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"),
            ("坂本", "サカモト"), ("斉藤", "サイトウ"), ("福田", "フクダ"), ("太田", "オオタ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"),
         ("健太", "ケンタ"), ("由美", "ユミ"), ("翔", "ショウ"), ("陽菜", "ヒナ"),
         ("大輔", "ダイスケ"), ("さくら", "サクラ"), ("直樹", "ナオキ"), ("恵", "メグミ"),
         ("拓也", "タクヤ"), ("愛", "アイ"), ("誠", "マコト"), ("結衣", "ユイ"),
         ("浩二", "コウジ"), ("真由美", "マユミ"), ("隆", "タカシ"), ("彩", "アヤ"),
         ("和也", "カズヤ"), ("舞", "マイ"), ("修", "オサム"), ("優子", "ユウコ"),
         ("剛", "ツヨシ"), ("千尋", "チヒロ"), ("悠斗", "ユウト"), ("玲奈", "レイナ"),
         ("亮", "リョウ"), ("静香", "シズカ"), ("智", "サトシ"), ("奈々", "ナナ"),
         ("康介", "コウスケ"), ("理恵", "リエ"), ("聡", "サトル"), ("香織", "カオリ"),
         ("達也", "タツヤ"), ("麻衣", "マイ"), ("秀樹", "ヒデキ"), ("綾", "アヤ"),
         ("光", "ヒカル"), ("葵", "アオイ"), ("陸", "リク"), ("楓", "カエデ"),
         ("蓮", "レン"), ("凛", "リン"), ("湊", "ミナト"), ("紬", "ツムギ"),
         ("樹", "イツキ"), ("芽衣", "メイ")]
METHODS = ("card", "konbini", "bank_transfer")


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def names_table():
    """One row per (surname, given) pair: name, kana and their folded forms."""
    from fund.donors import names
    rows = []
    for s_index, (s_kanji, s_kana) in enumerate(SURNAMES):
        for g_index, (g_kanji, g_kana) in enumerate(GIVEN):
            name, kana = f"{s_kanji} {g_kanji}", f"{s_kana} {g_kana}"
            rows.append((s_index * len(GIVEN) + g_index, name, kana, names.fold(name),
                         names.fold(kana)))
    return rows


def generate(url, donors, gifts):
    """Fill the migrated database; returns seconds taken."""
    from fund.donors import names
    started = time.perf_counter()
    combos = names_table()
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("CREATE TEMP TABLE bench_name (k int PRIMARY KEY, name text, kana text, "
                     "name_fold text, kana_fold text)")
        with conn.cursor().copy("COPY bench_name FROM STDIN") as copy:
            for row in combos:
                copy.write_row(row)
        conn.execute("""
            INSERT INTO project (slug, title_ja, title_en, description_ja, description_en,
                                 accepts_donations, created_at, status)
            SELECT 'project-' || p, '計画 ' || p, 'Project ' || p, '', '', true, now(), 'open'
            FROM generate_series(1, 3) p""")
        conn.execute("""
            INSERT INTO campaign (slug, title_ja, title_en, description_ja, description_en,
                                  goal_amount, currency, starts_at, ends_at, project_id,
                                  created_at, funding_model, status)
            SELECT 'campaign-' || c, 'キャンペーン ' || c, 'Campaign ' || c, '', '', 5000000,
                   'JPY', timestamptz '2024-04-01 00:00+09' + (c - 1) * interval '120 days',
                   timestamptz '2024-04-01 00:00+09' + c * interval '120 days'
                     + interval '90 days', 1 + c % 3, now(), 'all_in',
                   CASE WHEN c < 6 THEN 'succeeded' ELSE 'published' END
            FROM generate_series(1, 8) c""")
        n_names = len(combos)
        conn.execute(f"""
            INSERT INTO donor (kind, name, name_kana, email, postal_code, address, phone,
                               locale, publish_name, receipt_preference, created_at,
                               wants_news, wants_reports, search_text, name_key, email_key,
                               phone_key, address_key, prefecture, city, street, building,
                               receipt_delivery, search_grams)
            SELECT 'individual', n.name, n.kana, 'donor' || i || '@example.jp',
                   lpad((100 + i % 900)::text, 3, '0') || '-' || lpad((i % 10000)::text, 4, '0'),
                   '千葉県千葉市稲毛区穴川' || (1 + i % 9) || '-' || (1 + i % 20),
                   '090' || lpad(i::text, 8, '0'), CASE WHEN i % 10 = 0 THEN 'en' ELSE 'ja' END,
                   i % 4 = 0, 'per_gift', timestamptz '2024-01-01 00:00+09', false, true,
                   s.text, n.name_fold, 'donor' || i || '@example.jp',
                   '090' || lpad(i::text, 8, '0'), '', '千葉県', '千葉市稲毛区',
                   '穴川' || (1 + i % 9), '', 'email', {names.GRAMS_SQL.format(text="s.text")}
            FROM generate_series(1, {donors}) i
            JOIN bench_name n ON n.k = (i::bigint * 7919) % {n_names}
            CROSS JOIN LATERAL (SELECT n.name_fold || ' ' || n.kana_fold || ' donor' || i
                                       || '@example.jp 090' || lpad(i::text, 8, '0') AS text) s""")
        # Gifts spread over the fiscal years 2024 to 2026, 75 seconds apart.
        conn.execute(f"""
            INSERT INTO donation (public_id, donor_id, amount, currency, designation,
                                  campaign_id, project_id, wants_receipt, publish_name, message,
                                  locale, created_at, reference)
            SELECT 'bench' || i, 1 + (i::bigint * 104729) % {donors},
                   (ARRAY[1000, 3000, 5000, 10000, 30000, 100000])[1 + i % 6], 'JPY',
                   (ARRAY['general', 'campaign', 'project'])[1 + i % 3],
                   CASE WHEN i % 3 = 1 THEN 1 + (i / 3) % 8 END,
                   CASE WHEN i % 3 = 2 THEN 1 + (i / 3) % 3 END,
                   true, false, '', 'ja',
                   timestamptz '2024-04-01 00:00+09' + i * interval '75 seconds',
                   'QF-' || lpad(i::text, 9, '0')
            FROM generate_series(1, {gifts}) i""")
        conn.execute("""
            INSERT INTO gift_fact (donation_id, donor_id, at, received_at, month, status,
                                   method, designation, campaign_id, project_id, amount, paid,
                                   refunded, lost, fee, net)
            SELECT d.id, d.donor_id, d.created_at, CASE WHEN s.status <> 'pending'
                     AND s.status <> 'failed' THEN d.created_at END,
                   CASE WHEN s.status NOT IN ('pending', 'failed')
                     THEN date_trunc('month', d.created_at AT TIME ZONE 'Asia/Tokyo')::date END,
                   s.status, (ARRAY['card', 'card', 'card', 'konbini', 'bank_transfer'])[1 + d.id % 5],
                   d.designation, d.campaign_id, d.project_id, d.amount, s.paid, s.refunded, 0,
                   s.fee, s.paid - s.refunded
            FROM donation d
            CROSS JOIN LATERAL (SELECT st AS status,
                     CASE WHEN st IN ('pending', 'failed') THEN 0 ELSE d.amount END AS paid,
                     CASE st WHEN 'refunded' THEN d.amount
                             WHEN 'partially_refunded' THEN d.amount / 2 ELSE 0 END AS refunded,
                     CASE WHEN st IN ('pending', 'failed') THEN 0 ELSE d.amount * 36 / 1000 END
                       AS fee
                   FROM (SELECT CASE WHEN d.id % 97 = 0 THEN 'refunded'
                                     WHEN d.id % 89 = 0 THEN 'partially_refunded'
                                     WHEN d.id % 53 = 0 THEN 'pending'
                                     WHEN d.id % 61 = 0 THEN 'failed'
                                     ELSE 'paid' END AS st) x) s""")
        conn.execute("""
            INSERT INTO month_total (month, scope, scope_id, method, gifts, received, refunded,
                                     lost, fees)
            SELECT month, designation, coalesce(campaign_id, project_id, 0), method, count(*),
                   sum(paid), sum(refunded), sum(lost), sum(fee)
            FROM gift_fact WHERE month IS NOT NULL
            GROUP BY 1, 2, 3, 4""")
        # Each donor's kept gift totals, as fund.office.facts keeps them.
        conn.execute("""
            UPDATE donor SET gift_count = s.n, gift_paid = s.paid, gift_refunded = s.refunded,
                             gift_lost = s.lost, gift_fee = s.fee, gift_net = s.net
            FROM (SELECT donor_id, count(*) AS n, sum(paid) AS paid, sum(refunded) AS refunded,
                         sum(lost) AS lost, sum(fee) AS fee, sum(net) AS net
                  FROM gift_fact GROUP BY donor_id) s
            WHERE s.donor_id = donor.id""")
        # A receipt for every third paid gift, numbered per calendar year as issuing does.
        conn.execute("""
            INSERT INTO receipt (series_year, sequence, revision, number, kind, status, language,
                                 donor_id, donor_kind, donor_name, donor_address, amount,
                                 currency, received_on, year, issuer_name, issuer_address,
                                 issuer_representative, issued_on, issued_at)
            SELECT y, seq, 0, y || '-' || lpad(seq::text, 6, '0'), 'single', 'valid', 'ja',
                   donor_id, 'individual', '', '', amount, 'JPY', day, y, 'QST', '', '', day,
                   at
            FROM (SELECT f.donor_id, f.amount, f.at,
                         (f.at AT TIME ZONE 'Asia/Tokyo')::date AS day,
                         extract(year FROM f.at AT TIME ZONE 'Asia/Tokyo')::int AS y,
                         row_number() OVER (PARTITION BY extract(year FROM f.at AT TIME ZONE
                                            'Asia/Tokyo') ORDER BY f.donation_id)::int AS seq,
                         f.donation_id
                  FROM gift_fact f WHERE f.status = 'paid' AND f.donation_id % 3 = 0) r""")
        conn.execute("""
            INSERT INTO receipt_line (receipt_id, donation_id, amount, received_on, active)
            SELECT r.id, f.donation_id, f.amount, r.received_on, true
            FROM (SELECT donation_id, amount, row_number() OVER (ORDER BY
                    extract(year FROM at AT TIME ZONE 'Asia/Tokyo'), donation_id) AS k
                  FROM gift_fact WHERE status = 'paid' AND donation_id % 3 = 0) f
            JOIN (SELECT id, received_on, row_number() OVER (ORDER BY series_year, sequence)
                    AS k FROM receipt) r ON r.k = f.k""")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        # The donors as if their totals had been kept from their first gift: the one
        # UPDATE above rewrote every row at once, which a live database never does.
        conn.execute("VACUUM FULL donor")
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(client, url, runs, warmup=3):
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def export_rows(client, url):
    """Stream the CSV as a browser would; returns (rows, seconds, peak RSS in MB)."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\r\n")
    response.close()
    return lines - 1, time.perf_counter() - started, peak_rss_mb()


def baseline_fetch(app, filters):
    """The export's own statement through a bare server-side cursor: no CSV, no Flask."""
    from fund.core.extensions import db
    from fund.office import export
    with app.test_request_context():
        started = time.perf_counter()
        connection = db.session.connection().execution_options(stream_results=True,
                                                                max_row_buffer=export.BATCH)
        result = connection.execute(export._statement(filters, "ja"))  # noqa: SLF001
        rows = sum(len(batch) for batch in result.partitions(export.BATCH))
        result.close()
        db.session.rollback()
        return rows, time.perf_counter() - started


def baseline_copy(app, filters):
    """The export's COPY read to the end through a bare cursor: no CRLF, no chunks, no Flask."""
    from fund.core.extensions import db
    from fund.office import export
    with app.test_request_context():
        started = time.perf_counter()
        rows = sum(1 for _row in export.copy_rows(filters, "ja"))
        db.session.rollback()
        return rows, time.perf_counter() - started


def sign_in(app, client):
    from fund.core.extensions import db
    from fund.staff.services import create_staff
    with app.app_context():
        user = create_staff("bench-office@qst.example", "Bench", "office", "bench-password-1")
        db.session.commit()
        email = user.email
    token = CSRF.search(client.get("/office/login").get_data(as_text=True)).group(1)
    response = client.post("/office/login", data={"email": email, "password": "bench-password-1",
                                                   "csrf_token": token})
    assert response.status_code == 302, response.status_code


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--donors", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="reuse a database filled by an earlier --keep run")
    args = parser.parse_args()

    name = args.database or f"fund_bench_office_{uuid.uuid4().hex[:8]}"
    url = re.sub(r"/[^/]*$", f"/{name}", ADMIN)
    if not args.database:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        run(args, url)
    finally:
        if not (args.keep or args.database):
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"database kept: {name}")


def run(args, url):
    from flask_migrate import upgrade

    from fund import create_app
    from fund.office import search

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://",
                                                               "postgresql+psycopg://"),
                      "LOGIN_RATE_LIMIT": "0/60", "STAFF_PASSWORD_HASH": "t=1,m=1024,p=1"})
    if not args.database:
        with app.app_context():
            upgrade()
        seconds = generate(url, args.donors, args.gifts)
        print(f"data: {args.gifts:,} gifts, {args.donors:,} donors, receipts for a third "
              f"of the paid gifts, generated in {seconds:.1f} s")
    client = app.test_client()
    sign_in(app, client)
    print(f"peak RSS before the export: {peak_rss_mb():.0f} MB")

    # The export first, so the peak RSS it reports is its own.
    rows_small, secs_small, rss_small = export_rows(
        client, "/office/donations.csv?from=2024-04-01&to=2024-06-26")
    print(f"CSV export, {rows_small:,} rows: {rows_small / secs_small:,.0f} rows/s, "
          f"peak RSS {rss_small:.0f} MB")
    rows_all, secs_all, rss_all = export_rows(client, "/office/donations.csv")
    rate = rows_all / secs_all
    print(f"CSV export, {rows_all:,} rows (every gift): {secs_all:.1f} s, {rate:,.0f} rows/s "
          f"(target ≥ {TARGET_ROWS_PER_S:,}: {'ok' if rate >= TARGET_ROWS_PER_S else 'MISSED'}), "
          f"peak RSS {rss_all:.0f} MB (+{rss_all - rss_small:.0f} MB over "
          f"{rows_small:,} rows)")
    base_rows, base_secs = baseline_fetch(app, search.Filters())
    print(f"baseline, the export's rows through a bare server-side cursor (what Python "
          f"could fetch): {base_rows / base_secs:,.0f} rows/s; the export takes "
          f"{secs_all / base_secs:.2f}x its time")
    copy_rows, copy_secs = baseline_copy(app, search.Filters())
    print(f"baseline, the export's COPY read through a bare cursor (no Flask): "
          f"{copy_rows / copy_secs:,.0f} rows/s; the export takes {secs_all / copy_secs:.2f}x "
          f"its time")

    health = timed(client, "/healthz", args.runs)
    health_p95 = percentile(health, 0.95)
    print(f"baseline /healthz: p50 {statistics.median(health):.1f} ms, p95 {health_p95:.1f} ms")
    pages = [
        ("dashboard (fiscal year 2025)", "/office/?year=2025"),
        ("dashboard (calendar year 2025)", "/office/?year=2025&basis=calendar"),
        ("search by name 「山田 花子」", "/office/donations?q=山田+花子"),
        ("search by name 「髙橋」", "/office/donations?q=髙橋"),
        ("search by フリガナ 「ヤマダ ハナコ」", "/office/donations?q=ヤマダ+ハナコ"),
        ("search by フリガナ 「ﾀｶﾊｼ」 (half-width)", "/office/donations?q=ﾀｶﾊｼ"),
        ("search by email", "/office/donations?q=donor4242@example.jp"),
        ("search by receipt number", "/office/donations?q=2025-000420"),
        ("filtered: campaign 3, card, one month",
         "/office/donations?destination=campaign:3&method=card&from=2025-05-01&to=2025-05-31"),
        ("filtered: refunded, fiscal year 2025", "/office/donations?status=refunded&fy=2025"),
        ("filtered: konbini, fiscal year 2025, page 20",
         "/office/donations?method=konbini&fy=2025&page=20"),
    ]
    missed = []
    for label, page_url in pages:
        samples = timed(client, page_url, args.runs)
        p95 = percentile(samples, 0.95)
        ok = p95 <= TARGET_P95_MS
        if not ok:
            missed.append(label)
        print(f"{label}: p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms "
              f"({p95 / health_p95:.1f}x /healthz) {'ok' if ok else 'MISSED'}")
    print("all pages within p95 ≤ 50 ms" if not missed else f"over 50 ms: {', '.join(missed)}")


if __name__ == "__main__":
    main()
