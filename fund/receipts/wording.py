"""What a receipt prints: labels, the tax statements, dates and size classes.

Plain Python with no WeasyPrint, so the wording can be read and reviewed on
its own; fund/receipts/pdf.py turns a receipt row's snapshot into the template context
with `context()`.
"""
import unicodedata
from pathlib import Path

from fund.receipts.fonts import drawable


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


def context(receipt, index, compact=False):
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
