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
import shutil
import subprocess
import threading
import unicodedata
from pathlib import Path

import jinja2

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "receipts/receipt.html"
STYLESHEET = TEMPLATES / "receipts" / "receipt.css"

# Families the stylesheet asks for, best first. fontconfig names them so.
JAPANESE_FAMILIES = ("IPAexMincho", "IPAexGothic", "Noto Serif CJK JP", "Noto Sans CJK JP")
# Where Debian/Ubuntu put them, for hosts without the fc-* tools.
KNOWN_FONT_FILES = {
    "IPAexMincho": ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
                    "/usr/share/fonts/truetype/ipaexfont-mincho/ipaexm.ttf"),
    "IPAexGothic": ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
                    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    "Noto Serif CJK JP": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",),
    "Noto Sans CJK JP": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
}

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


class FontMissing(Exception):
    """No Japanese font is installed, so no receipt can be issued."""

    def __init__(self, message=None):
        super().__init__(message or (
            "No Japanese font found (looked for IPAexMincho/IPAexGothic/"
            "Noto Serif CJK JP/Noto Sans CJK JP); install the Debian package "
            "fonts-ipaexfont (apt-get install fonts-ipaexfont): receipts are not issued"))


# --- fonts -------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """The family name of an installed Japanese font, or None. Cached."""
    families = _fontconfig_families()
    if families is not None:
        for family in JAPANESE_FAMILIES:
            if family.lower() in families:
                return family
        return None
    for family, paths in KNOWN_FONT_FILES.items():
        if any(os.path.exists(path) for path in paths):
            return family
    return None


def _fontconfig_families():
    """Lower-cased family names fontconfig knows for Japanese, None without fc-list."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=ja", "family"], capture_output=True, text=True,
            timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # One line per face; a face may list several names ("IPAexGothic,IPAexゴシック").
    return {name.strip().lower() for line in out.splitlines() for name in line.split(",")}


def require_japanese_font() -> str:
    """Return the Japanese font family, or raise FontMissing."""
    family = japanese_font()
    if family is None:
        raise FontMissing()
    return family


# A character no installed font can draw prints as an empty box (.notdef)
# and garbles the PDF's text layer around it; such characters print as 〓
# (geta, the printers' mark for a missing character) and are logged.
GETA = "〓"


@functools.lru_cache(maxsize=1)
def _drawable_codepoints() -> frozenset:
    """Every code point some installed font covers (Pango may fall back to any)."""
    from fontTools.ttLib import TTFont

    files = set()
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run([fc_list, ":", "file"], capture_output=True, text=True,
                                 timeout=20, check=True).stdout
            files = {line.split(":")[0].strip() for line in out.splitlines() if line.strip()}
        except (OSError, subprocess.SubprocessError):
            files = set()
    if not files:
        files = {path for paths in KNOWN_FONT_FILES.values() for path in paths
                 if os.path.exists(path)}
    points = set()
    for path in sorted(files):
        try:
            collection = path.lower().endswith((".ttc", ".otc"))
            font = TTFont(path, lazy=True, fontNumber=0) if collection else TTFont(path, lazy=True)
            points.update(font.getBestCmap() or {})
        except Exception:  # an unreadable font is one fewer fallback, not an error
            log.debug("cannot read cmap of %s", path, exc_info=True)
    return frozenset(points)


def drawable(text: str) -> str:
    """`text` with characters no installed font covers replaced by 〓."""
    if text.isascii():
        return text
    points = _drawable_codepoints()
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in points}
    if not missing:
        return text
    log.warning("no font for %s (U+%s): printed as %s", "".join(sorted(missing)),
                ", U+".join(f"{ord(ch):04X}" for ch in sorted(missing)), GETA)
    return "".join(GETA if ch in missing else ch for ch in text)


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
    separate processes do. Workers are spawned (not forked: the parent may
    hold Pango, database and thread state) and keep their fonts and
    stylesheet warm across chunks. At most two chunks per worker are in
    flight, which bounds memory whatever the number of receipts.
    """
    receipts = list(receipts)
    chunks = [receipts[i:i + chunk_size] for i in range(0, len(receipts), chunk_size)]
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            yield from render_receipts(chunk)
        return
    require_japanese_font()
    import collections
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_warm_worker) as pool:
        pending = collections.deque()
        queue = iter(chunks)
        for chunk in queue:
            pending.append(pool.submit(render_receipts, chunk))
            if len(pending) >= 2 * workers:
                break
        while pending:
            yield from pending.popleft().result()
            chunk = next(queue, None)
            if chunk is not None:
                pending.append(pool.submit(render_receipts, chunk))


def _warm_worker():
    _weasy()
    _jinja()


# --- rendering -----------------------------------------------------------------

def _render_chunk(receipts, compact=False):
    contexts = [_context(receipt, index, compact) for index, receipt in enumerate(receipts)]
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


# --- what the template prints --------------------------------------------------

GENERATOR = "QST Future Fund"

LABELS = {
    "ja": {
        "number": "証明書番号 Receipt No.",
        "issued_on": "発行日 Date of issue",
        "reissue": "再発行 Reissued",
        "void_note": "この証明書は無効です。税務申告には使用できません。This receipt is void.",
        "void_reason": "無効の理由 Reason",
        "donor": "寄附者 Donor",
        "amount": "寄附金額 Amount",
        "received_on": "受領日 Date received",
        "period": "対象期間 Period",
        "count": "寄附の件数 Number of gifts",
        "purpose": "寄附の目的（使途） Purpose",
        "line_amount": "金額 Amount",
        "total": "合計 Total",
        "breakdown": "内訳 Breakdown",
        "issuer": "発行者 Issuer",
    },
    "en": {
        "number": "Receipt No.",
        "issued_on": "Date of issue",
        "reissue": "Reissued",
        "void_note": "This receipt is void and cannot be used for tax purposes.",
        "void_reason": "Reason",
        "donor": "Donor",
        "amount": "Amount",
        "received_on": "Date received",
        "period": "Period",
        "count": "Number of gifts",
        "purpose": "Purpose",
        "line_amount": "Amount",
        "total": "Total",
        "breakdown": "Breakdown",
        "issuer": "Issuer",
    },
}

TITLES = {
    ("ja", "single"): ("寄附金受領証明書", "Receipt for Donation"),
    ("ja", "annual"): ("年間寄附金受領証明書", "Annual Receipt for Donations"),
    ("en", "single"): ("Receipt for Donation", None),
    ("en", "annual"): ("Annual Receipt for Donations", None),
}

# The tax statement. QST is a 国立研究開発法人 and so a 特定公益増進法人:
# individuals take an income deduction (所得控除, not a tax credit),
# corporations count the gift as a loss under the special limit.
RECEIVED_JA = {
    "single": "上記の金額を、当機構の主たる目的である業務に関連する寄附金（特定寄附金）として受領したことを証明します。",
    "annual": "上記の金額は、{year}年中に当機構が受領した下記の寄附金の合計額です。いずれも当機構の主たる目的である業務に関連する寄附金（特定寄附金）として受領したことを証明します。",
}
RECEIVED_EN = {
    "single": "We certify that we received the amount above as a specified donation (tokutei kifukin) for our main business.",
    "annual": "The amount above is the total of the donations listed below that we received in {year}. We certify that we received each of them as a specified donation (tokutei kifukin) for our main business.",
}
TAX_JA = {
    "individual": "当機構は国立研究開発法人であり、特定公益増進法人に該当します。この寄附金は所得税法第78条第2項第3号に規定する特定寄附金に該当し、寄附金控除（所得控除）の対象となります。確定申告の際に本証明書を添付又は提示してください。",
    "corporation": "当機構は国立研究開発法人であり、特定公益増進法人に該当します。この寄附金は法人税法第37条第4項に規定する特定公益増進法人に対する寄附金に該当し、特別損金算入限度額の範囲内で損金の額に算入されます。",
}
TAX_EN = {
    "individual": "We are a National Research and Development Agency and thus a Specified Public Interest Promotion Corporation. This donation is a specified donation under Article 78, Paragraph 2, Item 3 of the Income Tax Act and qualifies for the income deduction for donations. Attach or present this receipt with your tax return.",
    "corporation": "We are a National Research and Development Agency and thus a Specified Public Interest Promotion Corporation. This donation is a donation to such a corporation under Article 37, Paragraph 4 of the Corporation Tax Act and may be included in deductible expenses within the special limit.",
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


def _date(value, ja):
    if value is None:
        return ""
    if ja:
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _width(text):
    """Printed width in half-width units: CJK counts double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text, limits):
    """Size class 0-3 for a field: 0 is the normal size, 3 the smallest."""
    width = _width(text or "")
    for level, limit in enumerate(limits):
        if width <= limit:
            return level
    return len(limits)


NAME_LIMITS = (44, 70, 140)        # 17pt fits ~44 half-width units a line
TEXT_LIMITS = (180, 360, 540)      # address / purpose


def _text(value):
    return "" if value is None else drawable(str(value))


def _seal_uri(path):
    if not path:
        return None
    path = Path(path)
    return path.resolve().as_uri() if path.is_file() else None


def _context(receipt, index, compact=False):
    lang = "en" if getattr(receipt, "language", "ja") == "en" else "ja"
    ja = lang == "ja"
    kind = "annual" if receipt.kind == "annual" else "single"
    corporation = receipt.donor_kind == "corporation"
    title, subtitle = TITLES[lang, kind]
    year = getattr(receipt, "year", None) or (receipt.received_on.year if receipt.received_on else None)
    number = _text(receipt.number)
    lines = list(getattr(receipt, "lines", None) or []) if kind == "annual" else []
    received = (RECEIVED_JA if ja else RECEIVED_EN)[kind].format(year=year)
    tax = (TAX_JA if ja else TAX_EN)["corporation" if corporation else "individual"]
    statement = [received, tax]
    # In Japanese receipts the English version follows, smaller.
    statement_en = (RECEIVED_EN[kind].format(year=year) + " " + TAX_EN[
        "corporation" if corporation else "individual"]) if ja else None
    issued_on = receipt.issued_on
    donor_name = _text(receipt.donor_name)
    representative = _text(getattr(receipt, "donor_representative", None)) if corporation else ""
    address = _text(receipt.donor_address)
    purpose = _text(getattr(receipt, "purpose", None))
    return {
        "anchor": f"receipt-{index}",
        "lang": lang,
        "ja": ja,
        "kind": kind,
        "compact": compact,
        "t": LABELS[lang],
        "title": title,
        "subtitle": subtitle,
        "number": number,
        "void": receipt.status == "void",
        "void_reason": _text(getattr(receipt, "void_reason", None)),
        "is_reissue": bool(getattr(receipt, "is_reissue", False)),
        "donor_name": donor_name,
        "honorific": ("御中" if corporation else "様") if ja else "",
        "representative": representative,
        "postal_code": _text(getattr(receipt, "donor_postal_code", None)),
        "address": address,
        "amount_digits": f"{int(receipt.amount):,}",
        "amount_yen": f"¥{int(receipt.amount):,}",
        "received_on": _date(receipt.received_on, ja),
        "period": (f"{year}年1月1日 〜 {year}年12月31日" if ja
                   else f"1 January {year} - 31 December {year}"),
        "count": (f"{len(lines)}件" if ja else str(len(lines))),
        "lines": [{
            "received_on": _date(line.received_on, ja),
            "amount": f"¥{int(line.amount):,}",
            "purpose": _text(getattr(line, "purpose", None)),
        } for line in lines],
        "purpose": purpose,
        "statement": statement,
        "statement_en": statement_en,
        "issuer_name": _text(receipt.issuer_name),
        "issuer_address": _text(receipt.issuer_address),
        "issuer_representative": _text(receipt.issuer_representative),
        "issued_on": _date(issued_on, ja),
        "created": issued_on.isoformat() if issued_on else "2000-01-01",
        "seal_uri": _seal_uri(getattr(receipt, "seal_image", None)),
        "fit_name": _fit(donor_name, NAME_LIMITS),
        "fit_representative": _fit(representative, NAME_LIMITS),
        "fit_address": _fit(address, TEXT_LIMITS),
        "fit_purpose": _fit(purpose, TEXT_LIMITS),
    }
