"""What a receipt prints: labels, the tax statements, dates and size classes.

No WeasyPrint here: the wording (versioned gettext catalogues) can be read and
reviewed on its own; fund/receipts/pdf.py turns a receipt row's snapshot into the template context
with `context()`.
"""
import functools
import unicodedata
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

from fund.core.errors import ReceiptUnavailable
from fund.receipts.fonts import drawable


GENERATOR = "QST Future Fund"

# The wording a receipt prints is versioned: each version is a pair of gettext
# catalogues (ja, en) under fund/receipts/wording_catalogues/<version>/, read
# as they are (no compile step, so spawned bulk renderers need nothing else).
# A receipt prints the version in force on its issue date, so a new version,
# added here with its first day of use, never changes a receipt issued before.
CATALOGUES = Path(__file__).resolve().parent / "wording_catalogues"
WORDING = (
    (date(2000, 1, 1), "2026.1"),
    (date(2026, 12, 2), "2026.2"),
)

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


def version_for(issued_on):
    """The wording version in force on `issued_on` (a date; None: the earliest)."""
    chosen = WORDING[0][1]
    for first_day, version in WORDING:
        if issued_on is not None and issued_on >= first_day:
            chosen = version
    return chosen


@functools.lru_cache(maxsize=None)
def _catalogue(version, lang):
    with open(CATALOGUES / version / f"{lang}.po", "rb") as f:
        catalogue = read_po(f, locale=lang)
    return {(m.context, m.id): m.string for m in catalogue if m.id}


class Wording:
    """The text of one wording version in one language."""

    def __init__(self, version, lang):
        self.version, self.lang = version, lang
        self._texts = _catalogue(version, lang)

    def __call__(self, message, context=None, **params):
        if (context, message) not in self._texts and rules_for(self.version).complete:
            raise KeyError(f"receipt wording {self.version}/{self.lang} lacks {message!r}")
        text = self._texts.get((context, message)) or message
        return text % params if params else text

    def date(self, value):
        if value is None:
            return ""
        return self("%(day)d %(month)s %(year)d", "date", day=value.day, year=value.year,
                    month=MONTHS[value.month - 1], month_number=value.month)

    def labels(self):
        return {
            "number": self("Receipt No."), "issued_on": self("Date of issue"),
            "reissue": self("Reissued"),
            "void_note": self("This receipt is void and cannot be used for tax purposes."),
            "void_reason": self("Reason"), "voided_on": self("Date voided"), "donor": self("Donor"), "amount": self("Amount"),
            "received_on": self("Date received"), "period": self("Period"),
            "count": self("Number of gifts"), "purpose": self("Purpose"),
            "line_amount": self("Amount", "breakdown"), "total": self("Total"),
            "breakdown": self("Breakdown"), "issuer": self("Issuer"),
            "contact": self("Contact"),
            "verify": self("Scan to check this receipt's status"),
        }


# The tax statement. QST is a 国立研究開発法人 and so a 特定公益増進法人:
# individuals take an income deduction (所得控除, not a tax credit),
# corporations count the gift as a loss under the special limit.
RECEIVED = {
    "single": "We certify that we received the amount above as a specified donation (tokutei kifukin) for our main business.",  # noqa: E501
    "annual": "The amount above is the total of the donations listed below that we received in %(year)s. We certify that we received each of them as a specified donation (tokutei kifukin) for our main business.",  # noqa: E501
}
TAX = {
    "individual": "We are a National Research and Development Agency and thus a Specified Public Interest Promotion Corporation. This donation is a specified donation under Article 78, Paragraph 2, Item 3 of the Income Tax Act and qualifies for the income deduction for donations. Attach or present this receipt with your tax return.",  # noqa: E501
    "corporation": "We are a National Research and Development Agency and thus a Specified Public Interest Promotion Corporation. This donation is a donation to such a corporation under Article 37, Paragraph 4 of the Corporation Tax Act and may be included in deductible expenses within the special limit.",  # noqa: E501
}
# 2026.2 cites the Cabinet Orders that make QST (an incorporated administrative
# agency) a 特定公益増進法人 beside the Acts: 所得税法施行令第217条第1号 and
# 法人税法施行令第77条第1号, and says a corporation "can" count the gift as a loss
# (損金の額に算入することができます).
TAX_2026_2 = {
    "individual": "We are a National Research and Development Agency, an incorporated administrative agency, and thus a Specified Public Interest Promotion Corporation under Article 217, Item 1 of the Order for Enforcement of the Income Tax Act. This donation is a specified donation under Article 78, Paragraph 2, Item 3 of the Income Tax Act and qualifies for the income deduction for donations. Attach or present this receipt with your tax return.",  # noqa: E501
    "corporation": "We are a National Research and Development Agency, an incorporated administrative agency, and thus a Specified Public Interest Promotion Corporation under Article 77, Item 1 of the Order for Enforcement of the Corporation Tax Act. This donation is a donation to such a corporation under Article 37, Paragraph 4 of the Corporation Tax Act and can be included in deductible expenses within the special limit of that paragraph.",  # noqa: E501
}
RESIDENCE_TAX = "Whether this donation also reduces your individual inhabitant tax (juminzei) depends on where you live: only donations designated by the ordinance of your prefecture or municipality qualify. Ask your municipality."  # noqa: E501
OVERSEAS = "For donors outside Japan: the deduction stated on this receipt is one under Japanese tax law. Whether the donation can be deducted in another country depends on the law of that country."  # noqa: E501
GENERAL_PURPOSE = "QST Future Fund (a donation for no specific use)"
SEAL_OMITTED = "The official seal is omitted because this receipt is issued electronically."
TITLES = {"single": "Receipt for Donation", "annual": "Annual Receipt for Donations"}


class Rules:
    """What a wording version prints beyond its catalogue's text.

    2026.1 is the wording of the first receipts. 2026.2 adds, for a tax office
    and a corporate accountant: the Cabinet Orders beside the Acts, the purpose
    of a general gift, the issuing office's contact and the 法人番号, the
    住民税 note, the seal statement, page x/y and 以下余白 on annual summaries,
    and an English variant that prints the Japanese text with English beside it.
    """

    def __init__(self, tax, extended=False, complete=False):
        self.tax = tax
        self.extended = extended
        # Every text the version prints is in its catalogue: a missing one is an error.
        self.complete = complete


RULES = {
    "2026.1": Rules(TAX),
    "2026.2": Rules(TAX_2026_2, extended=True, complete=True),
}


def rules_for(version):
    """The rules of `version`: its own, else those of the version before it in WORDING
    (a new version that only rewords its catalogues needs no code)."""
    rules = None
    for _, name in WORDING:
        rules = RULES.get(name, rules)
        if name == version:
            return rules
    raise KeyError(f"unknown receipt wording {version!r}")


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


def qr_svg(url):
    """The QR code of the receipt's verification URL as inline SVG (deterministic)."""
    if not url:
        return ""
    import segno
    return segno.make(url, error="m").svg_inline(scale=2, border=2, omitsize=True)


def context(receipt, index, compact=False):
    lang = "en" if getattr(receipt, "language", "ja") == "en" else "ja"
    ja = lang == "ja"
    version = version_for(receipt.issued_on)
    rules = rules_for(version)
    # From 2026.2 the English variant is bilingual: the Japanese text (what a
    # Japan-resident donor files) with the English beside it.
    bilingual = rules.extended and not ja
    japanese = ja or bilingual
    say, english = Wording(version, "ja" if japanese else "en"), Wording(version, "en")
    kind = "annual" if receipt.kind == "annual" else "single"
    corporation = receipt.donor_kind == "corporation"
    donor_kind = "corporation" if corporation else "individual"
    year = getattr(receipt, "year", None) or (receipt.received_on.year if receipt.received_on else None)
    number = _text(receipt.number)
    lines = list(getattr(receipt, "lines", None) or []) if kind == "annual" else []
    paragraphs = [RECEIVED[kind], rules.tax[donor_kind]]
    if rules.extended and not corporation:
        paragraphs.append(RESIDENCE_TAX)
    statement = [say(text, year=year) for text in paragraphs]
    # In Japanese receipts the English version follows, smaller.
    statement_en = " ".join(english(text, year=year) for text in paragraphs) if ja else None
    # The bilingual English variant: each paragraph in Japanese, its English beside it.
    statement_pairs = [(say(text, year=year), english(text, year=year))
                       for text in paragraphs + [OVERSEAS]] if bilingual else None
    if bilingual:
        statement, statement_en = [], None

    def day(value):
        if bilingual and value is not None:
            return say("%(japanese)s (%(english)s)", "bilingual",
                       japanese=say.date(value), english=english.date(value))
        return say.date(value)

    def purpose_of(value):
        value = _text(value)
        if value or not rules.extended:
            return value
        general = say(GENERAL_PURPOSE)
        return general + " " + english(GENERAL_PURPOSE) if bilingual else general

    issued_on = receipt.issued_on
    donor_name = _text(receipt.donor_name)
    representative = _text(getattr(receipt, "donor_representative", None)) if corporation else ""
    address = _text(receipt.donor_address)
    # An annual summary's gifts may have different purposes: each line says its own.
    purpose = purpose_of(getattr(receipt, "purpose", None)) if kind == "single" else \
        _text(getattr(receipt, "purpose", None))
    postal_code = _text(getattr(receipt, "donor_postal_code", None))
    digits = f"{int(receipt.amount):,}"
    seal_image = getattr(receipt, "seal_image", None)
    seal_uri = _seal_uri(seal_image)
    if rules.extended and seal_image and seal_uri is None:
        raise ReceiptUnavailable(
            f"The seal image {seal_image} printed on receipt {number} is missing; "
            "put it back to render the receipt.", code="seal_missing")
    replaces = getattr(receipt, "replaces_number", None)
    return {
        "anchor": f"receipt-{index}",
        "lang": lang,
        "text_lang": "ja" if japanese else "en",
        "ja": ja,
        "kind": kind,
        "compact": compact,
        "wording": version,
        "t": say.labels(),
        "title": say(TITLES[kind]),
        "subtitle": english(TITLES[kind]) if japanese else None,
        "number": number,
        "void": receipt.status == "void",
        "stamp": say("VOID"),
        "stamp_en": english("VOID") if japanese else None,
        "void_reason": _text(getattr(receipt, "void_reason", None)),
        "voided_on": say.date(getattr(receipt, "voided_on", None)),
        "is_reissue": bool(getattr(receipt, "is_reissue", False)),
        "donor_name": donor_name,
        "honorific": say(donor_kind, "honorific") if japanese else "",
        "representative": representative,
        "postal_code": say("%(code)s", "postal code", code=postal_code) if postal_code else "",
        "address": address,
        "amount_figure": say("¥%(amount)s", "amount", amount=digits),
        "amount_note": say("(JPY %(amount)s)", "amount", amount=digits),
        "amount_yen": f"¥{digits}",
        "received_on": day(receipt.received_on),
        "period": say("%(start)s - %(end)s", "period", start=day(date(year, 1, 1)),
                      end=day(date(year, 12, 31))) if year else "",
        "count": say("%(count)d", "gift count", count=len(lines)),
        "lines": [{
            "received_on": say.date(line.received_on),
            "amount": f"¥{int(line.amount):,}",
            "purpose": purpose_of(getattr(line, "purpose", None)),
        } for line in lines],
        "purpose": purpose,
        "statement": statement,
        "statement_en": statement_en,
        "statement_pairs": statement_pairs,
        "issuer_name": _text(receipt.issuer_name),
        "issuer_address": _text(receipt.issuer_address),
        "issuer_representative": _text(receipt.issuer_representative),
        "issued_on": day(issued_on),
        "created": issued_on.isoformat() if issued_on else "2000-01-01",
        "seal_uri": seal_uri,
        # Wording 2026.2 on; empty (not printed) for earlier versions.
        "corporate_number": _corporate_number(say, receipt) if rules.extended else "",
        "contact": _contact(say, receipt) if rules.extended else [],
        "seal_note": say(SEAL_OMITTED) + (" " + english(SEAL_OMITTED) if bilingual else "")
        if rules.extended and seal_uri is None else "",
        "extended": rules.extended,
        "paged": rules.extended and kind == "annual",
        "end_of_list": say("End of list") + (" " + english("End of list") if bilingual else "")
        if rules.extended and kind == "annual" else "",
        "replaces": say("Replaces receipt %(number)s: %(reason)s", number=_text(replaces),
                        reason=_text(getattr(receipt, "reissue_reason", None) or "")) if replaces else "",
        "qr_svg": qr_svg(getattr(receipt, "verify_url", None)),
        "verify_url": getattr(receipt, "verify_url", None) or "",
        "fit_name": _fit(donor_name, NAME_LIMITS),
        "fit_representative": _fit(representative, NAME_LIMITS),
        "fit_address": _fit(address, TEXT_LIMITS),
        "fit_purpose": _fit(purpose, TEXT_LIMITS),
    }


def _corporate_number(say, receipt):
    value = _text(getattr(receipt, "issuer_corporate_number", None))
    return say("Corporate number %(number)s", number=value) if value else ""


def _contact(say, receipt):
    """The issuing office and how to reach it, one printed line each."""
    office = _text(getattr(receipt, "issuer_office", None))
    phone = _text(getattr(receipt, "issuer_phone", None))
    email = _text(getattr(receipt, "issuer_email", None))
    if not (office or phone or email):
        return []
    reach = [say("Phone %(phone)s", "contact", phone=phone) if phone else "",
             say("Email %(email)s", "contact", email=email) if email else ""]
    return [line for line in (office, "  ".join(part for part in reach if part)) if line]
