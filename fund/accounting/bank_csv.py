"""A bank's CSV statement read into lines, through the column mapping saved for that bank.

Exports differ by bank: a few lines about the account before the header,
和暦 or 西暦 dates, separate deposit and withdrawal columns, a running
balance, the payer in half-width katakana either in its own column or inside
the 摘要. The mapping names the header of each column; a bank without a saved
mapping is read with the usual Japanese header names (`SYNONYMS`) and the
mapping found is saved on its first import.
"""
import re
from dataclasses import dataclass
from datetime import date

from fund.accounting import csvfiles
from fund.core import kana
from fund.core.dates import DateError, parse_date
from fund.core.errors import ValidationFailed
from fund.core.i18n import gettext_for

FIELDS = ("date", "description", "deposit", "withdrawal", "balance", "payer", "currency")
REQUIRED = ("date", "description", "deposit", "withdrawal", "balance")
# The header names Japanese banks use, most common first.
SYNONYMS = {
    "date": ("日付", "取引日", "お取引日", "年月日", "取扱日", "取引日付", "勘定日", "date"),
    "description": ("摘要", "お取引内容", "取引内容", "内容", "摘要内容", "お取引区分", "description"),
    "deposit": ("入金", "お預入れ", "お預け入れ", "入金金額", "お預り金額", "預入金額", "入金額",
                "deposit"),
    "withdrawal": ("出金", "お引出し", "お引き出し", "出金金額", "お支払金額", "支払金額", "出金額",
                   "withdrawal"),
    "balance": ("残高", "差引残高", "残高金額", "現在残高", "balance"),
    "payer": ("振込依頼人", "振込依頼人名", "依頼人名", "お振込人", "振込人", "相手先", "payer"),
    "currency": ("通貨", "通貨コード", "currency"),
}
HEADER_SEARCH_ROWS = 30
YEN = ("", "JPY", "円", "YEN", "¥", "\\")
# Words a bank puts before the payer's name in the 摘要 when it has no column of its own.
_DESCRIPTION_PREFIXES = re.compile(
    r"^(?:振込入金|振込|振替入金|振替|ﾌﾘｺﾐ|フリコミ|ﾌﾘｶｴ|フリカエ|入金|ﾆﾕｳｷﾝ|ニユウキン|電信|ﾃﾞﾝｼﾝ|"
    r"テレ振込|ﾃﾚﾌﾘ|IB|ネット|EB)[\s　:：]*")
_LEADING_CODE = re.compile(r"^\d{6,10}[\s　]*")


@dataclass(frozen=True)
class Line:
    row: int            # the line number in the file (1 = first line), for messages
    on: date
    description: str
    deposit: int
    withdrawal: int
    balance: int | None
    payer: str

    @property
    def payer_key(self):
        return kana.name_key(self.payer)

    @property
    def same_as_key(self):
        return (self.on, self.description, self.deposit, self.withdrawal, self.balance,
                self.payer)


@dataclass(frozen=True)
class Statement:
    lines: list
    mapping: dict
    encoding: str


def payer_from_description(description):
    """The payer's name when the bank puts it in the 摘要 ('振込 ﾔﾏﾀﾞ ﾀﾛｳ')."""
    text = (description or "").strip()
    text = _DESCRIPTION_PREFIXES.sub("", text)
    return _LEADING_CODE.sub("", text).strip()


def _resolve(header, mapping):
    """{field: column index} for the fields this header row carries."""
    keys = [csvfiles.header_key(cell) for cell in header]
    found = {}
    for field in FIELDS:
        wanted = [mapping[field]] if mapping.get(field) else \
            ([] if mapping else list(SYNONYMS[field]))
        for name in wanted:
            key = csvfiles.header_key(name)
            if key in keys:
                found[field] = keys.index(key)
                break
    return found


def _find_header(table, mapping, lang):
    best, best_found = None, {}
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        found = _resolve(row, mapping)
        if all(field in found for field in REQUIRED):
            return index, found
        if len(found) > len(best_found):
            best, best_found = index, found
    missing = [field for field in REQUIRED if field not in best_found]
    headers = " / ".join(cell for cell in (table[best] if best is not None else []) if cell)
    labels = field_labels(lang)
    names = ", ".join(labels[field] + (
        f" ({mapping[field]})" if mapping.get(field) else "") for field in missing)
    raise ValidationFailed(
        gettext_for(lang, "The file has no column for: %(missing)s. Columns found: %(headers)s.",
                    missing=names, headers=headers or "—"),
        errors={"file": "missing_columns", "missing": missing})


def field_labels(lang):
    """What each mapped column is called on the page and in messages."""
    return {"date": gettext_for(lang, "Date"),
            "description": gettext_for(lang, "Description (摘要)"),
            "deposit": gettext_for(lang, "Deposit"), "withdrawal": gettext_for(lang, "Withdrawal"),
            "balance": gettext_for(lang, "Balance"), "payer": gettext_for(lang, "Payer name"),
            "currency": gettext_for(lang, "Currency")}


def parse(data, mapping, lang):
    """Read a statement file; refuse it whole, naming the line, if anything is wrong."""
    text, encoding = csvfiles.decode(data, lang)
    table = csvfiles.rows(text)
    start, columns = _find_header(table, mapping or {}, lang)
    header = table[start]
    used = {field: header[index] for field, index in columns.items()}
    lines, seen = [], {}
    for offset, row in enumerate(table[start + 1:], start=start + 2):
        line = _line(offset, row, columns, lang)
        if line is None:
            continue
        if line.same_as_key in seen:
            raise ValidationFailed(
                gettext_for(lang, "Lines %(first)s and %(second)s of the file are the same row "
                                  "twice; export the statement again.",
                            first=seen[line.same_as_key], second=offset),
                errors={"file": "duplicate_rows"})
        seen[line.same_as_key] = offset
        lines.append(line)
    if not lines:
        raise ValidationFailed(gettext_for(lang, "The file has no deposits or withdrawals."),
                               errors={"file": "no_lines"})
    return Statement(lines=lines, mapping=used, encoding=encoding)


def _cell(row, columns, field):
    index = columns.get(field)
    return row[index] if index is not None and index < len(row) else ""


def _line(number, row, columns, lang):
    if not any(cell for cell in row):
        return None
    currency = _cell(row, columns, "currency").upper()
    try:
        deposit = csvfiles.parse_amount(_cell(row, columns, "deposit"))
        withdrawal = csvfiles.parse_amount(_cell(row, columns, "withdrawal"))
        balance = csvfiles.parse_amount(_cell(row, columns, "balance"), signed=True)
    except csvfiles.AmountRefused as err:
        if err.code == "not_yen":
            raise _other_currency(number, lang) from err
        raise ValidationFailed(
            gettext_for(lang, "Line %(line)s: an amount is not a number of yen.", line=number),
            errors={"file": "amount", "line": number}) from err
    if currency not in YEN:
        raise _other_currency(number, lang, currency)
    if not deposit and not withdrawal:
        return None  # a balance brought forward, a total, a note from the bank
    if deposit and withdrawal:
        raise ValidationFailed(
            gettext_for(lang, "Line %(line)s has both a deposit and a withdrawal.", line=number),
            errors={"file": "both_amounts", "line": number})
    raw_date = _cell(row, columns, "date")
    try:
        on = parse_date(raw_date)
    except DateError as err:
        raise ValidationFailed(
            gettext_for(lang, "Line %(line)s: '%(value)s' is not a date.", line=number,
                        value=raw_date),
            errors={"file": "date", "line": number}) from err
    description = _cell(row, columns, "description")
    payer = _cell(row, columns, "payer") or payer_from_description(description)
    return Line(row=number, on=on, description=description, deposit=deposit or 0,
                withdrawal=withdrawal or 0, balance=balance, payer=payer)


def _other_currency(number, lang, currency=""):
    return ValidationFailed(
        gettext_for(lang, "Line %(line)s is not in yen%(currency)s; only yen statements can be "
                          "imported.", line=number,
                    currency=f" ({currency})" if currency else ""),
        errors={"file": "currency", "line": number})
