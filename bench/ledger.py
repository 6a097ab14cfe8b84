"""Ledger speed with a million gifts in PostgreSQL (`make bench-ledger`).

Builds a throwaway database (migrated like production), fills it with
`--gifts` paid card gifts, their gift and fee entries, lines and kept totals
by INSERT … SELECT generate_series (the generation time is printed), then
measures, each against a bare baseline run in the same process:
- the balances of all accounts (fund.ledger.balances.balances_at), p95;
- a project's statement for a fiscal year (opening and closing balance,
  movements by category, the first page of lines), p95 (target 50 ms each);
- reconciling 100,000 Stripe balance transactions from the payout
  reconciliation report (fund.accounting.stripe_recon.import_report, ≤ 10 s);
- importing a 10,000-line bank CSV with matching (fund.accounting.bank, ≤ 5 s).
The database is dropped at the end unless --keep.
"""
import argparse
import csv
import io
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FUND_ENV", "development")

import psycopg  # noqa: E402

ADMIN = os.environ.get("FUND_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST_DAY = date(2025, 4, 1)
DAYS = 600


def p95(samples):
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def timed(fn, runs):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def generate(db, gifts, ids):
    """Donors, donations, payments, entries, lines and totals, all in SQL."""
    run = lambda sql, **kw: db.session.execute(db.text(sql), kw)  # noqa: E731
    run("SET session_replication_role = replica")  # bulk load: no per-row triggers
    run("""INSERT INTO donor (id, kind, name, name_kana, email, postal_code, address, locale,
             publish_name, receipt_preference, created_at, prefecture, city, street, building,
             receipt_delivery)
           SELECT i, 'individual', '寄附者 ' || i, 'キフシャ', 'donor' || i || '@bench.example',
             '263-8555', '千葉県千葉市稲毛区穴川4-9-1', 'ja', false, 'per_gift', now(), '千葉県',
             '千葉市稲毛区', '穴川4-9-1', '', 'email'
           FROM generate_series(1, :n) i""", n=max(gifts // 10, 1))
    run("""INSERT INTO donation (id, public_id, donor_id, amount, currency, designation,
             campaign_id, project_id, wants_receipt, publish_name, message, locale, created_at,
             reference)
           SELECT i, 'b' || i, 1 + i % :donors, 1000 * (1 + i % 30), 'JPY',
             (ARRAY['general', 'project', 'project', 'campaign'])[1 + i % 4],
             CASE WHEN i % 4 = 3 THEN :campaign END,
             CASE i % 4 WHEN 1 THEN :p1 WHEN 2 THEN :p2 END, true, false, '', 'ja',
             (:first + i % :days) + time '03:00', 'B' || i
           FROM generate_series(1, :n) i""",
        n=gifts, donors=max(gifts // 10, 1), campaign=ids["campaign"], p1=ids["p1"],
        p2=ids["p2"], first=FIRST_DAY, days=DAYS)
    run("""INSERT INTO payment (id, donation_id, provider, method, state, amount, currency,
             stripe_payment_intent_id, stripe_charge_id, succeeded_at, fee, net, created_at,
             updated_at)
           SELECT i, i, 'stripe', 'card', 'succeeded', 1000 * (1 + i % 30), 'JPY', 'pi_b' || i,
             'ch_b' || i, (:first + i % :days) + time '03:00', 36 * (1 + i % 30),
             964 * (1 + i % 30), now(), now()
           FROM generate_series(1, :n) i""", n=gifts, first=FIRST_DAY, days=DAYS)
    fund = ("CASE i % 4 WHEN 0 THEN :general WHEN 1 THEN :fp1 WHEN 2 THEN :fp2 "
            "ELSE :fc END")
    accts = dict(general=ids["general"], fp1=ids["fp1"], fp2=ids["fp2"], fc=ids["fc"],
                 stripe=ids["stripe"])
    run(f"""INSERT INTO ledger_entry (id, key, category, memo, effective_date, posted_at, actor,
              source_type, source_id, fixed_asset, amount)
            SELECT 2 * i - 1 + k, CASE k WHEN 0 THEN 'gift:' ELSE 'fee:' END || i,
              CASE k WHEN 0 THEN 'gift' ELSE 'fee' END, '', :first + i % :days, now(), 'bench',
              'payment', i, false, CASE k WHEN 0 THEN 1000 ELSE 36 END * (1 + i % 30)
            FROM generate_series(1, :n) i, (VALUES (0), (1)) AS s(k)""",
        n=gifts, first=FIRST_DAY, days=DAYS)
    run(f"""INSERT INTO ledger_line (id, entry_id, account_id, side, amount, effective_date)
            SELECT 4 * i - 3 + 2 * k + d, 2 * i - 1 + k,
              CASE WHEN (k = 0) = (d = 0) THEN :stripe ELSE {fund} END,
              CASE d WHEN 0 THEN 'debit' ELSE 'credit' END,
              CASE k WHEN 0 THEN 1000 ELSE 36 END * (1 + i % 30), :first + i % :days
            FROM generate_series(1, :n) i, (VALUES (0), (1)) AS s(k), (VALUES (0), (1)) AS t(d)""",
        n=gifts, first=FIRST_DAY, days=DAYS, **accts)
    run("""INSERT INTO ledger_day_total (account_id, day, category, debit, credit, lines)
           SELECT l.account_id, l.effective_date, e.category,
             sum(CASE l.side WHEN 'debit' THEN l.amount ELSE 0 END),
             sum(CASE l.side WHEN 'credit' THEN l.amount ELSE 0 END), count(*)
           FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id
           GROUP BY 1, 2, 3""")
    run("""INSERT INTO ledger_month_total (account_id, month, debit, credit)
           SELECT account_id, date_trunc('month', day)::date, sum(debit), sum(credit)
           FROM ledger_day_total GROUP BY 1, 2""")
    run("""UPDATE ledger_account a SET balance = CASE a.kind WHEN 'asset' THEN s.d - s.c
             ELSE s.c - s.d END
           FROM (SELECT account_id, sum(debit) d, sum(credit) c FROM ledger_month_total
                 GROUP BY 1) s WHERE s.account_id = a.id""")
    for table in ("donor", "donation", "payment", "ledger_entry", "ledger_line"):
        run(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    run("SET session_replication_role = origin")
    db.session.commit()
    for table in ("donor", "donation", "payment", "ledger_entry", "ledger_line",
                  "ledger_day_total", "ledger_month_total"):
        run(f"ANALYZE {table}")
    db.session.commit()


def stripe_report_csv(count, per_payout):
    from tests.support.stripe_report import COLUMNS
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(1, count + 1):
        gross, fee = 1000 * (1 + i % 30), 36 * (1 + i % 30)
        po = f"po_b{(i - 1) // per_payout}"
        day = FIRST_DAY + timedelta(days=i % DAYS)
        writer.writerow([po, f"{day + timedelta(days=5)} 00:00:00", f"txn_b{i}",
                         f"{day} 03:00:00", f"{day + timedelta(days=4)} 00:00:00", "jpy",
                         f"{gross}.00", f"{fee}.00", f"{gross - fee}.00", "charge", f"ch_b{i}",
                         "", f"{gross}.00", "jpy", f"ch_b{i}", f"pi_b{i}"])
    return out.getvalue().encode()


def bank_csv_lines(count, payouts):
    """A UTF-8 statement: the payouts' deposits, then other transfers in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["日付", "摘要", "入金", "出金", "残高", "振込依頼人"])
    balance = 0
    rows = [(p.arrival_on, p.amount, "ｽﾄﾗｲﾌﾟｼﾞﾔﾊﾟﾝ(ｶ") for p in payouts]
    for i in range(count - len(rows)):
        rows.append((FIRST_DAY + timedelta(days=i % DAYS), 3000 + 1000 * (i % 50),
                     f"ﾔﾏﾀﾞ ﾀﾛｳ{i}"))
    for on, amount, payer in sorted(rows, key=lambda r: r[0]):
        balance += amount
        writer.writerow([on.strftime("%Y/%m/%d"), f"振込 {payer}", amount, "", balance, payer])
    return out.getvalue().encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--txns", type=int, default=100_000)
    parser.add_argument("--bank-lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--only", choices=("all", "reads", "recon", "bank"), default="all",
                        help="run one part (recon and bank both reconcile first)")
    parser.add_argument("--profile", metavar="FILE",
                        help="write a cProfile of the reconciliation to FILE")
    args = parser.parse_args()
    name = f"fund_bench_ledger_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        run_bench(url, args)
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}")


def run_bench(url, args):
    from flask_migrate import upgrade

    from fund import create_app
    from fund.accounting import bank, stripe_recon
    from fund.campaigns.models import Campaign, Project
    from fund.campaigns.seed import seed_demo
    from fund.core import audit
    from fund.core.extensions import db
    from fund.ledger import accounts, balances, statements
    from fund.ledger.models import DayTotal, Entry, Line
    from fund.staff.services import create_staff

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STAFF_PASSWORD_HASH": "t=1,m=1024,p=1"})
    with app.app_context():
        upgrade()
        seed_demo()
        p1 = db.session.execute(db.select(Project).filter_by(
            slug="quantum-scalpel-magnet")).scalar_one()
        p2 = db.session.execute(db.select(Project).filter_by(
            slug="science-camp-fukushima-chiba")).scalar_one()
        campaign = db.session.execute(db.select(Campaign)).scalars().first()
        ids = {"p1": p1.id, "p2": p2.id, "campaign": campaign.id,
               "stripe": accounts.stripe().id, "general": accounts.general().id,
               "fp1": accounts.for_project(p1).id, "fp2": accounts.for_project(p2).id,
               "fc": accounts.for_campaign(campaign).id}
        accounts.bank("main")
        staff = create_staff("bench@qst.example", "Bench", "office", "bench-password")
        db.session.commit()

        start = time.perf_counter()
        generate(db, args.gifts, ids)
        made = time.perf_counter() - start
        lines = db.session.execute(db.text("SELECT count(*) FROM ledger_line")).scalar()
        print(f"data: {args.gifts:,} gifts, {lines:,} ledger lines generated in {made:.1f} s")

        today = FIRST_DAY + timedelta(days=DAYS)
        fund_p1 = accounts.get(f"fund:project:{p1.slug}")
        fy_start, fy_end = balances.fiscal_year(2025)

        def statement():
            """The office's project statement for FY2025 (fund.ledger.statements): opening and
            closing balances, sums by column, the first page of 100 lines with their causes."""
            statements.for_fund(fund_p1, fy_start, fy_end, limit=100)
            db.session.rollback()

        def bare_page():
            db.session.execute(db.text(
                "SELECT * FROM ledger_line WHERE account_id = :a AND effective_date "
                "BETWEEN :s AND :e ORDER BY effective_date, entry_id LIMIT 100"),
                {"a": fund_p1.id, "s": fy_start, "e": fy_end}).all()
            db.session.rollback()

        def all_balances():
            balances.balances_at(today)
            db.session.rollback()

        def bare_totals():
            db.session.execute(db.text("SELECT * FROM ledger_month_total")).all()
            db.session.rollback()

        reads = (("balances of all accounts", all_balances, bare_totals),
                 ("project statement FY2025", statement, bare_page))
        for label, fn, bare in reads if args.only in ("all", "reads") else ():
            fn(), bare()
            ours, base = p95(timed(fn, args.runs)), p95(timed(bare, args.runs))
            verdict = "ok" if ours <= 50 else "MISSED"
            print(f"{label}: p95 {ours:.1f} ms (target 50 ms, {verdict}); bare SELECT p95 "
                  f"{base:.2f} ms; ratio {ours / base:.1f}x")
        if args.only in ("all", "reads"):
            start = time.perf_counter()
            db.session.execute(db.text(
                "SELECT account_id, sum(amount) FROM ledger_line GROUP BY account_id")).all()
            print(f"  (for scale: summing every line instead takes "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms)")
            db.session.rollback()
        if args.only == "reads":
            db.engine.dispose()
            return

        txns = min(args.txns, args.gifts)
        data = stripe_report_csv(txns, 1000)
        start = time.perf_counter()
        db.session.execute(db.text("SELECT id, amount, fee FROM payment WHERE stripe_charge_id "
                                   "= ANY(:ids)"),
                           {"ids": [f"ch_b{i}" for i in range(1, txns + 1)]}).all()
        db.session.rollback()
        base = time.perf_counter() - start
        profiler = None
        if args.profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        result = stripe_recon.import_report(filename="bench.csv", data=data, staff=staff,
                                            lang="ja")
        took = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(f"stripe reconciliation: {txns:,} balance transactions in {took:.2f} s (target 10 s,"
              f" {'ok' if took <= 10 else 'MISSED'}; {result.txns_added:,} stored, "
              f"{result.payouts_booked} payouts booked, {result.unknown} unknown); bare SELECT of "
              f"the payments {base:.2f} s; ratio {took / base:.1f}x")

        if args.only == "recon":
            db.engine.dispose()
            return
        from fund.accounting.models import StripePayout
        payouts = db.session.execute(db.select(StripePayout)).scalars().all()
        data = bank_csv_lines(args.bank_lines, payouts[:args.bank_lines])
        start = time.perf_counter()
        rows = list(csv.reader(io.StringIO(data.decode())))[1:]
        db.session.execute(db.text("CREATE TEMP TABLE bench_line (d text, a bigint, p text)"))
        db.session.execute(db.text("INSERT INTO bench_line VALUES (:d, :a, :p)"),
                           [{"d": r[0], "a": int(r[2]), "p": r[5]} for r in rows])
        db.session.rollback()
        base = time.perf_counter() - start
        start = time.perf_counter()
        imported = bank.import_statement(bank_code="bank:main", filename="bench-bank.csv",
                                         data=data, staff=staff, lang="ja")
        took = time.perf_counter() - start
        print(f"bank CSV import: {imported.added:,} lines with matching in {took:.2f} s (target "
              f"5 s, {'ok' if took <= 5 else 'MISSED'}; {imported.suggested} with a suggestion); "
              f"bare parse + INSERT {base:.2f} s; ratio {took / base:.1f}x")
        _ = audit
        db.engine.dispose()


if __name__ == "__main__":
    main()
