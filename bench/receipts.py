"""Receipt rendering speed: on demand, bulk, and a reportlab baseline (`make bench`).

Prints milliseconds per receipt and the ratios the issue sets as targets:
bulk at most 2x the reportlab baseline per receipt, on-demand median at most
100 ms, peak memory under 500 MB. `--profile` adds where WeasyPrint's time goes.
Renders receipts as fund/pdf.py does for the app (no database needed). Then
exports a year of 10,000 stored receipts as a ZIP with its index (target
<= 10 s) beside a raw zip of the same bytes, in a throwaway PostgreSQL
database (bench/receipt_export.py; `--export 0` skips it).
"""
import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fund.receipts import fonts, pdf  # noqa: E402

SURNAMES = ["山田", "佐藤", "髙橋", "鈴木", "渡辺", "伊藤", "中村", "小林", "加藤", "吉田"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "由美", "翔", "陽菜", "大輔", "さくら"]


def receipt(i, kind="single"):
    """A receipt as fund.receipts.issuing.printable() hands it to fund/receipts/pdf.py."""
    name = f"{SURNAMES[i % 10]} {GIVEN[(i // 10) % 10]}"
    received = dt.date(2026, 1 + i % 12, 1 + i % 28)
    return SimpleNamespace(
        number=f"2026-{i + 1:06d}", kind=kind, status="valid", void_reason=None,
        language="ja", donor_kind="individual", donor_name=name, donor_representative=None,
        donor_postal_code=f"{100 + i % 900:03d}-{i % 10000:04d}",
        donor_address=f"千葉県千葉市稲毛区穴川{1 + i % 9}-{1 + i % 20}-{1 + i % 30}",
        amount=1000 * (1 + i % 50), currency="JPY", received_on=received, year=2026,
        purpose="量子メス 超伝導電磁石の磁場測定装置" if i % 3 == 0 else None,
        issuer_name="国立研究開発法人量子科学技術研究開発機構",
        issuer_address="〒263-8555 千葉県千葉市稲毛区穴川4-9-1",
        issuer_representative="理事長 小安 重夫", issued_on=received, is_reissue=False,
        lines=[], seal_image=None)


# --- the reportlab baseline: the same fields drawn on a canvas -------------------

def reportlab_setup():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    for family, paths in (("IPAexMincho", fonts.KNOWN_FONT_FILES["IPAexMincho"]),
                          ("IPAexGothic", fonts.KNOWN_FONT_FILES["IPAexGothic"])):
        path = next(p for p in paths if os.path.exists(p))
        pdfmetrics.registerFont(TTFont(family, path))


def reportlab_receipt(r):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    ctx = pdf._context(r, 0)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    width, height = A4
    c.setFont("IPAexGothic", 20)
    c.drawCentredString(width / 2, height - 40 * mm, ctx["title"])
    c.setFont("IPAexMincho", 9)
    c.drawRightString(width - 18 * mm, height - 20 * mm, f'{ctx["t"]["number"]} {ctx["number"]}')
    c.drawRightString(width - 18 * mm, height - 25 * mm, f'{ctx["t"]["issued_on"]} {ctx["issued_on"]}')
    c.setFont("IPAexMincho", 10)
    c.drawString(18 * mm, height - 60 * mm, f'{ctx["postal_code"]} {ctx["address"]}')
    c.setFont("IPAexMincho", 17)
    c.drawString(18 * mm, height - 70 * mm, f'{ctx["donor_name"]} {ctx["honorific"]}')
    c.setFont("IPAexGothic", 22)
    c.drawCentredString(width / 2, height - 90 * mm, ctx["amount_figure"])
    c.setFont("IPAexMincho", 10)
    c.drawString(18 * mm, height - 105 * mm, f'{ctx["t"]["received_on"]} {ctx["received_on"]}')
    if ctx["purpose"]:
        c.drawString(18 * mm, height - 112 * mm, f'{ctx["t"]["purpose"]} {ctx["purpose"]}')
    text = c.beginText(18 * mm, height - 125 * mm)
    text.setFont("IPAexMincho", 9)
    for paragraph in ctx["statement"] + [ctx["statement_en"]]:
        for start in range(0, len(paragraph), 48):  # CJK wraps anywhere
            text.textLine(paragraph[start:start + 48])
    c.drawText(text)
    c.setFont("IPAexMincho", 11)
    c.drawString(96 * mm, 50 * mm, ctx["issuer_address"])
    c.drawString(96 * mm, 44 * mm, ctx["issuer_name"])
    c.drawString(96 * mm, 38 * mm, ctx["issuer_representative"])
    c.showPage()
    c.save()
    return out.getvalue()


# --- measurements ----------------------------------------------------------------

def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


class PeakMemory:
    """Samples the resident memory of this process plus its workers, summed.

    (ru_maxrss of children is no use here: a spawned worker's counts the
    parent's pages from before its exec.)
    """

    def __init__(self, interval=0.1):
        import threading
        self.peak, self.interval = 0.0, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self.stop.is_set():
            total = _rss_mb(me) + sum(_rss_mb(c) for c in _children(me))
            self.peak = max(self.peak, total)
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def profile_bulk(receipts):
    profiler = cProfile.Profile()
    profiler.enable()
    pdf.render_receipts(receipts)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[3] for key, row in stats.stats.items() if key[2] == "render_receipts")
    print(f"\nprofile of {len(receipts)} receipts in one process (cProfile slows it ~2x):")
    wanted = {
        "HTML parse + CSS cascade": ("weasyprint/html.py", "element_to_box"),
        "computed styles": ("weasyprint/css/__init__.py", "get_all_computed_styles"),
        "layout (boxes, line breaking)": ("weasyprint/layout/__init__.py", "layout_document"),
        "  of which line breaking (Pango)": ("weasyprint/text/line_break.py", "split_first_line"),
        "  of which tables": ("weasyprint/layout/table.py", "table_layout"),
        "draw (paint to PDF stream)": ("weasyprint/document.py", "paint"),
        "write PDF (fonts, objects)": ("weasyprint/pdf/__init__.py", "generate_pdf"),
        "  of which font subsetting": ("fontTools/subset/__init__.py", "subset"),
        "  of which pydyf serialisation": ("pydyf/__init__.py", "write"),
    }
    for label, (path, func) in wanted.items():
        cum = sum(row[3] for key, row in stats.stats.items()
                  if key[0].endswith(path) and key[2] == func)
        print(f"  {label:34s} {1000 * cum / len(receipts):7.1f} ms/receipt "
              f"({100 * cum / total:4.1f}%)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulk", type=int, default=1000)
    parser.add_argument("--on-demand", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=pdf.WORKER_CHUNK,
                        help="receipts per WeasyPrint document in a worker")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--export", type=int, default=10_000,
                        help="stored receipts in the ZIP export bench (0 skips it; "
                             "needs PostgreSQL, see bench/receipt_export.py)")
    args = parser.parse_args()

    fonts.require_japanese_font()
    receipts = [receipt(i) for i in range(args.bulk)]
    # The bulk run goes first, as in `flask fund receipts issue`: the parent only
    # hands out work, it has not loaded WeasyPrint for on-demand renders.
    def bulk_run():
        # Consumed as the ZIP export does: one PDF at a time, none kept.
        count = 0
        for data in pdf.render_many(receipts, workers=args.workers, chunk_size=args.chunk):
            assert data.startswith(b"%PDF")
            count += 1
        return count

    with PeakMemory() as memory:
        bulk_seconds, count = timed(bulk_run)
    bulk = 1000 * bulk_seconds / len(receipts)
    assert count == len(receipts)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pdf.render_receipt(receipts[0])  # warm: WeasyPrint import, fonts, stylesheet

    times = [timed(lambda r=r: pdf.render_receipt(r))[0] for r in receipts[:args.on_demand]]
    on_demand = 1000 * statistics.median(times)

    reportlab_setup()
    reportlab_receipt(receipts[0])
    rl_seconds, _ = timed(lambda: [reportlab_receipt(r) for r in receipts])
    baseline = 1000 * rl_seconds / len(receipts)

    one_seconds, _ = timed(lambda: sum(1 for _ in pdf.render_many(
        receipts[:200], workers=1, chunk_size=args.chunk)))
    one = 1000 * one_seconds / 200

    print(f"receipts: WeasyPrint {pdf._weasy()[0].__version__}, font {fonts.japanese_font()}, "
          f"{os.cpu_count()} CPUs")
    print(f"on demand (one receipt, median of {len(times)}): {on_demand:7.1f} ms/receipt")
    print(f"bulk, 1 process (200):                   {one:7.1f} ms/receipt")
    print(f"bulk, {args.workers} processes ({len(receipts)}):             "
          f"{bulk:7.1f} ms/receipt (wall clock)")
    print(f"reportlab baseline ({len(receipts)}):            {baseline:7.1f} ms/receipt")
    print(f"ratio bulk / reportlab: {bulk / baseline:5.1f}x  (target <= 2x)")
    print(f"ratio on-demand / 100 ms target: {on_demand / 100:5.2f}  (target <= 1)")
    print(f"a year of 10,000 receipts: ~{bulk * 10:.0f} s at the bulk rate")
    print(f"peak memory during the bulk run: {memory.peak:.0f} MB resident, this process "
          f"and its {args.workers} workers together (target < 500 MB); "
          f"this process alone {own:.0f} MB")
    if args.export:
        from bench import receipt_export
        renders = list(pdf.render_many(receipts[:receipt_export.DISTINCT_RENDERS], workers=1))
        receipt_export.run(args.export, renders,
                           lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.profile:
        profile_bulk(receipts[:100])


# --- the January annual run (fund/receipts/january.py) ----------------------------

def january_bench(argv=None):
    """January annual run for N donors: time, peak memory (this process and its render
    workers), and a per-donor ratio against a baseline in the same process.

    `python bench/receipts.py january --donors 5000` on a throwaway SQLite database;
    `--postgresql` makes a throwaway PostgreSQL database (FUND_BENCH_PG_ADMIN, as
    bench/receipt_export.py) migrated as in production; or give --database-url.
    Each donor has two gifts in the year. The baseline renders a fixed sample
    (--baseline, default 200) of the same summaries alone, in this process, one
    WeasyPrint document per batch, with no database, mail or files; the ratio is
    per donor. `--profile` adds where one batch's rendering time goes.
    """
    import logging
    import re
    import tempfile
    import uuid
    from datetime import datetime, timezone

    parser = argparse.ArgumentParser(prog="bench/receipts.py january")
    parser.add_argument("--donors", type=int, default=5000)
    parser.add_argument("--database-url")
    parser.add_argument("--postgresql", action="store_true",
                        help="a throwaway PostgreSQL database, dropped afterwards")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="RECEIPT_WORKERS for the run")
    parser.add_argument("--batch", type=int, default=None, help="RECEIPT_JANUARY_BATCH")
    parser.add_argument("--baseline", type=int, default=200,
                        help="summaries rendered alone for the baseline")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("FUND_ENV", "development")
    logging.disable(logging.INFO)  # WeasyPrint's progress lines and the logged mail
    from freezegun import freeze_time

    from fund import create_app
    from fund.core.extensions import db
    from fund.receipts import issuing, january
    from fund.receipts.models import Receipt
    from tests.factories import DonorFactory, paid_gift

    workdir = tempfile.mkdtemp(prefix="bench-january-")
    url, dropped = args.database_url, None
    if args.postgresql:
        import psycopg
        from bench.receipt_export import ADMIN
        dropped = f"fund_bench_january_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dropped}"')
        url = re.sub(r"/[^/]*$", f"/{dropped}", ADMIN).replace(
            "postgresql://", "postgresql+psycopg://")
    config = {"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{workdir}/bench.sqlite",
              "INSTANCE_DIR": workdir, "RECEIPT_WORKERS": args.workers, "MAIL_SERVER": None}
    if args.batch:
        config["RECEIPT_JANUARY_BATCH"] = args.batch
    app = create_app(config)
    try:
        with app.app_context(), freeze_time("2027-01-05 01:00:00", tick=True):
            _january_measure(app, args, db, issuing, january, Receipt, DonorFactory, paid_gift,
                             datetime, timezone)
    finally:
        if dropped:
            import psycopg
            from bench.receipt_export import ADMIN
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def _january_measure(app, args, db, issuing, january, Receipt, DonorFactory, paid_gift,
                     datetime, timezone):
    if db.engine.dialect.name == "postgresql":
        from flask_migrate import upgrade
        upgrade()  # the production schema, with its triggers
    else:
        db.create_all()
    start = time.perf_counter()
    for i in range(args.donors):
        person = DonorFactory(receipt_preference="annual")
        paid_gift(person, amount=3000 + i % 50,
                  at=datetime(2026, 1 + i % 12, 1 + i % 28, 1, tzinfo=timezone.utc))
        paid_gift(person, amount=1000, at=datetime(2026, 12, 1, 1, tzinfo=timezone.utc))
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
    print(f"january: {args.donors} donors with 2 gifts each made in "
          f"{time.perf_counter() - start:.1f} s ({db.engine.dialect.name}); "
          f"{args.workers} render workers, batches of {app.config['RECEIPT_JANUARY_BATCH']}, "
          f"{os.cpu_count()} CPUs")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with PeakMemory() as memory:
        seconds, row = timed(lambda: january.run(year=2026))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The workers have been waited for (the pool is shut down): their largest peak.
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert row.state == "done" and row.issued == args.donors, row
    per_donor = 1000 * seconds / args.donors

    # The baseline: a fixed sample of the same summaries (evenly spread over the run)
    # rendered alone in this process, one WeasyPrint document per batch as before.
    ids = db.session.execute(db.select(Receipt.id).order_by(Receipt.id)).scalars().all()
    step = max(1, len(ids) // max(1, args.baseline))
    sample_ids = ids[::step][:args.baseline]
    printable = [issuing.printable(r) for r in db.session.execute(
        db.select(Receipt).where(Receipt.id.in_(sample_ids)).order_by(Receipt.id)).scalars()]
    batch = app.config["RECEIPT_JANUARY_BATCH"]
    pdf.render_receipts(printable[:1])  # warm this process (the run's workers were warm)
    base_seconds, _ = timed(lambda: [pdf.render_receipts(printable[i:i + batch])
                                     for i in range(0, len(printable), batch)])
    base = 1000 * base_seconds / len(printable)
    print(f"January annual run for {args.donors:,} donors: {seconds:7.1f} s "
          f"({per_donor:.1f} ms/donor: issue, render, store, mail)")
    print(f"  peak memory: {memory.peak:.0f} MB resident, this process and its workers "
          f"together (sampled); ru_maxrss: this process {own:.0f} MB (before the run "
          f"{rss_before:.0f} MB), largest worker {worker:.0f} MB (RUSAGE_CHILDREN)")
    print(f"  baseline, {len(printable)} of the same summaries rendered alone in one "
          f"process: {base:.1f} ms/donor; ratio run / baseline per donor: "
          f"{per_donor / base:4.2f}x")
    print(f"  5,000 donors at this rate: ~{per_donor * 5:.0f} s")
    if args.profile:
        profile_bulk(printable[:batch])


if __name__ == "__main__":
    if sys.argv[1:2] == ["january"]:
        january_bench(sys.argv[2:])
    else:
        main()
