"""PDF tax receipts (寄附金受領証明書): the only module that imports weasyprint.

Works without a Flask app context: it has its own Jinja environment on
templates/ and reads nothing but the receipt object it is given.

Output is byte-deterministic: the same receipt data gives the same PDF bytes
(no clock, no random id), so the SHA-256 stored on the receipt row can be
checked against a re-render. ``render_receipts`` renders many receipts as the
pages of one WeasyPrint document and writes one PDF per receipt from it; each
of those PDFs is byte-identical to what ``render_receipt`` gives for the same
receipt.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from pathlib import Path

import jinja2

from fund.core import bidi
from fund.receipts.fonts import require_japanese_font
from fund.receipts.wording import GENERATOR, context as _context

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE = "receipts/receipt.html"
STYLESHEET = TEMPLATES / "receipts" / "receipt.css"

# Options for Document.write_pdf. Subsetting stays on: a full IPAex font is
# 4-6 MB per receipt. Hinting is dropped (not used in print), which also makes
# the subset faster.
PDF_OPTIONS = {"hinting": False, "optimize_images": False, "full_fonts": False}
# Receipts laid out per WeasyPrint document in bulk runs: bounds memory
# (every page's boxes stay alive until the chunk is written).
BULK_CHUNK = 200
# Receipts per document in a bulk worker: small enough to keep a worker's
# memory low, large enough that the per-document cost stays negligible.
WORKER_CHUNK = 20


# --- WeasyPrint objects, built once -------------------------------------------

_lock = threading.Lock()  # Pango/WeasyPrint state is shared: render one at a time.


@functools.lru_cache(maxsize=1)
def _weasy():
    """Import WeasyPrint lazily (0.4 s, and needs Pango) and build the shared objects."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    # Only local files (the seal image); receipt data can never make us fetch a URL.
    fetcher = weasyprint.URLFetcher(allowed_protocols={"file"})
    css = weasyprint.CSS(
        string=STYLESHEET.read_text(encoding="utf-8"), base_url=str(STYLESHEET),
        font_config=font_config, url_fetcher=fetcher)
    return weasyprint, font_config, fetcher, css


@functools.lru_cache(maxsize=1)
def _jinja():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["isolate"] = bidi.isolate
    return env.get_template(TEMPLATE)


# --- public API ----------------------------------------------------------------

def render_receipt(receipt) -> bytes:
    """One receipt as an A4 PDF (one page for a single gift)."""
    return render_receipts([receipt])[0]


def render_receipts(receipts, chunk_size: int = BULK_CHUNK) -> list[bytes]:
    """Many receipts, one PDF each, in the given order.

    Lays out up to ``chunk_size`` receipts as the pages of one document (the
    per-document cost of WeasyPrint is paid once per chunk), then writes each
    receipt's pages as its own PDF.
    """
    require_japanese_font()
    receipts = list(receipts)
    out: list[bytes] = []
    for start in range(0, len(receipts), chunk_size):
        out.extend(_render_chunk(receipts[start:start + chunk_size]))
    return out


def render_many(receipts, workers: int = 1, chunk_size: int = WORKER_CHUNK):
    """Yield one PDF per receipt, in order, rendering on `workers` processes.

    WeasyPrint holds the GIL for nearly all its work, so threads do not help;
    separate processes do (see Renderer). At most two chunks per worker are in
    flight, which bounds memory whatever the number of receipts.
    """
    receipts = list(receipts)
    chunks = [receipts[i:i + chunk_size] for i in range(0, len(receipts), chunk_size)]
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            yield from render_receipts(chunk)
        return
    import collections

    with Renderer(workers) as renderer:
        if renderer.pool is None:  # no child processes here: render in this one
            for chunk in chunks:
                yield from render_receipts(chunk)
            return
        pending = collections.deque()
        queue = iter(chunks)
        for chunk in queue:
            pending.append(renderer.pool.submit(render_receipts, chunk))
            if len(pending) >= 2 * workers:
                break
        while pending:
            yield from pending.popleft().result()
            chunk = next(queue, None)
            if chunk is not None:
                pending.append(renderer.pool.submit(render_receipts, chunk))


class Renderer:
    """Worker processes kept warm for a whole run: ``render(receipts)`` splits one
    batch over them and returns its PDFs in order (the January run renders each
    batch inside its transaction this way).

    Workers are spawned (not forked: the parent may hold Pango, database and
    thread state), load WeasyPrint, fonts and stylesheet once, and leave when
    their parent dies (a killed run leaves no orphans). With one worker, or in
    a process that may not have children (a daemonic Celery worker), it renders
    in this process.
    """

    def __init__(self, workers: int = 1):
        self.workers, self.pool = max(1, int(workers)), None

    def __enter__(self):
        import multiprocessing
        if self.workers > 1 and not multiprocessing.current_process().daemon:
            from concurrent.futures import ProcessPoolExecutor
            require_japanese_font()
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_worker, initargs=(os.getpid(),))
        elif self.workers > 1:
            log.info("receipts rendered in this process: a daemonic process has no workers")
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def render(self, receipts) -> list[bytes]:
        receipts = list(receipts)
        if self.pool is None or len(receipts) < 2:
            return render_receipts(receipts)
        size = -(-len(receipts) // self.workers)  # one chunk per worker
        futures = [self.pool.submit(render_receipts, receipts[i:i + size])
                   for i in range(0, len(receipts), size)]
        return [data for future in futures for data in future.result()]


def _warm_worker(parent=None):
    if parent is not None:
        threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()
    _weasy()
    _jinja()


def _leave_with(parent):
    """A worker's watch: exit as soon as the process that spawned it is gone."""
    import time
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


# --- rendering -----------------------------------------------------------------

def _render_chunk(receipts, compact=False):
    contexts = [_context(receipt, index, compact) for index, receipt in enumerate(receipts)]
    # A receipt that prints "page x/y" (annual summaries from wording 2026.2) is laid
    # out alone: counter(pages) counts a document's pages, so it must hold only its own.
    alone = [index for index, context in enumerate(contexts) if context["paged"]]
    if alone and len(receipts) > 1:
        results = [None] * len(receipts)
        for index in alone:
            results[index] = _render_chunk([receipts[index]], compact)[0]
        rest = [index for index in range(len(receipts)) if results[index] is None]
        if rest:
            for index, data in zip(rest, _render_chunk([receipts[i] for i in rest], compact)):
                results[index] = data
        return results
    with _lock:
        document = _layout(contexts)
        spans = _split(document, contexts)
        results = [None] * len(receipts)
        spilled = []
        for index, pages in enumerate(spans):
            if receipts[index].kind != "annual" and len(pages) != 1 and not compact:
                spilled.append(index)
                continue
            results[index] = _write(document, pages, contexts[index])
    # A single receipt must stay on one page: squeeze what spilled and retry.
    for index in spilled:
        log.warning("receipt %s spilled onto %d pages; re-rendering compact",
                    receipts[index].number, len(spans[index]))
        results[index] = _render_chunk([receipts[index]], compact=True)[0]
    return results


def _layout(contexts):
    weasyprint, font_config, fetcher, css = _weasy()
    first = contexts[0]
    html = _jinja().render(
        receipts=contexts, lang=first["lang"], title=first["title"],
        created=first["created"])
    document = weasyprint.HTML(
        string=html, base_url=str(TEMPLATES) + os.sep, url_fetcher=fetcher,
    ).render(stylesheets=[css], font_config=font_config)
    return document


def _split(document, contexts):
    """Pages of each receipt, found by the id its section carries."""
    starts = {}
    for page_index, page in enumerate(document.pages):
        for context in contexts:
            # A section split over pages leaves its id on each; the first counts.
            if context["anchor"] in page.anchors:
                starts.setdefault(context["anchor"], page_index)
        # Anchors would become PDF named destinations; they are ours, drop them
        # so a receipt's bytes do not depend on its position in a batch.
        page.anchors.clear()
    bounds = [starts[context["anchor"]] for context in contexts] + [len(document.pages)]
    return [document.pages[bounds[i]:bounds[i + 1]] for i in range(len(contexts))]


def _write(document, pages, context):
    from weasyprint.pdf.metadata import DocumentMetadata

    part = document.copy(pages)
    # The HTML head holds the batch's first receipt; each PDF gets its own
    # title and fixed dates, so batch and single renders give the same bytes.
    part.metadata = DocumentMetadata(
        title=f'{context["title"]} {context["number"]}', generator=GENERATOR, lang=context["lang"],
        created=context["created"], modified=context["created"])
    return part.write_pdf(**PDF_OPTIONS)


# --- the interim statement (途中経過): not a receipt --------------------------------

INTERIM_TEMPLATE = "receipts/interim.html"


def render_interim(context) -> bytes:
    """The interim statement of this year's gifts (fund.receipts.interim): never a receipt."""
    require_japanese_font()
    weasyprint, font_config, fetcher, _css = _weasy()
    html = _jinja().environment.get_template(INTERIM_TEMPLATE).render(**context)
    with _lock:
        document = weasyprint.HTML(string=html, base_url=str(TEMPLATES) + os.sep,
                                   url_fetcher=fetcher).render(font_config=font_config)
        return document.write_pdf(**PDF_OPTIONS)
