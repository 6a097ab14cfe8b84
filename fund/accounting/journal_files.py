"""The 仕訳帳 as files: a plain CSV, and 弥生会計's import format (弥生インポート形式).

弥生インポート形式 (弥生会計 05 and later; support.yayoi-kk.co.jp, "仕訳データの項目と
記述形式", page_id=18545), 25 columns, no header row, Shift_JIS:
 1 識別フラグ (2000: a journal entry that is not a slip), 2 伝票No., 3 決算,
 4 取引日付, 5 借方勘定科目, 6 借方補助科目, 7 借方部門, 8 借方税区分, 9 借方金額,
10 借方税金額, 11 貸方勘定科目, 12 貸方補助科目, 13 貸方部門, 14 貸方税区分,
15 貸方金額, 16 貸方税金額, 17 摘要, 18 番号, 19 期日, 20 タイプ (0: 仕訳), 21 生成元,
22 仕訳メモ, 23 付箋1, 24 付箋2, 25 調整 (no).
Account and sub-account names are cut to 24 half-width bytes, 摘要 to 64 and
仕訳メモ to 180, as 弥生 would cut them on import.

Shift_JIS cannot carry every name (𠮷, 𡈽 …). Such a character is written as
its everyday form where one exists (𠮷 → 吉), else as 〓 (the geta mark
Japanese printing uses for a missing character); `Written.replaced` lists
them, and the plain CSV (UTF-8) keeps the original text.
"""
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from fund.core.csvsafe import cell as _cell

YAYOI_COLUMNS = ("識別フラグ", "伝票No.", "決算", "取引日付", "借方勘定科目", "借方補助科目",
                 "借方部門", "借方税区分", "借方金額", "借方税金額", "貸方勘定科目",
                 "貸方補助科目", "貸方部門", "貸方税区分", "貸方金額", "貸方税金額", "摘要",
                 "番号", "期日", "タイプ", "生成元", "仕訳メモ", "付箋1", "付箋2", "調整")
YAYOI_FLAG = "2000"
YAYOI_FLAGS = ("2000", "2111", "2110", "2100", "2101")
LIMITS = {"account": 24, "memo": 64, "note": 180}
# Characters outside Shift_JIS (CP932) and the form an office would write instead.
VARIANTS = {"𠮷": "吉", "𡈽": "土", "𥔎": "崎", "𣘺": "橋", "𩵋": "魚", "𠀋": "丈", "𦹀": "葛"}
GETA = "〓"

PLAIN_HEADER = ("日付", "伝票番号", "借方勘定科目", "借方補助科目", "貸方勘定科目", "貸方補助科目",
                "金額", "摘要", "参照", "区分", "固定資産", "借方(基金の勘定)", "貸方(基金の勘定)")


@dataclass(frozen=True)
class Side:
    account: str       # 勘定科目
    sub_account: str   # 補助科目
    tax: str           # 税区分
    ours: str          # our ledger account, for the plain CSV


@dataclass(frozen=True)
class JournalRow:
    on: date
    number: int        # one per ledger entry: rows of one entry share it
    debit: Side
    credit: Side
    amount: int
    memo: str
    reference: str     # the ledger entry's idempotency key (gift:12, payout:po_…)
    category: str
    fixed_asset: bool = False


@dataclass
class Written:
    data: bytes
    rows: int
    total: int
    replaced: list = field(default_factory=list)


def plain_csv(rows):
    """UTF-8 with a BOM (spreadsheets then read Japanese), one row per debit/credit pair."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PLAIN_HEADER)
    total = 0
    for row in rows:
        total += row.amount
        writer.writerow([row.on.strftime("%Y/%m/%d"), row.number, _cell(row.debit.account),
                         _cell(row.debit.sub_account), _cell(row.credit.account),
                         _cell(row.credit.sub_account), row.amount, _cell(row.memo),
                         _cell(row.reference), row.category, "固定資産" if row.fixed_asset else "",
                         _cell(row.debit.ours), _cell(row.credit.ours)])
    return Written(data=("\ufeff" + out.getvalue()).encode("utf-8"), rows=len(rows), total=total)


def to_shift_jis(text, replaced):
    """`text` as CP932 can carry it; each character replaced is added to `replaced`."""
    out = []
    for ch in text or "":
        try:
            ch.encode("cp932")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        candidate = VARIANTS.get(ch) or unicodedata.normalize("NFKC", ch)
        try:
            candidate.encode("cp932")
        except UnicodeEncodeError:
            candidate = GETA
        replaced.append((ch, candidate))
        out.append(candidate)
    return "".join(out)


def _cut(text, limit):
    """The longest start of `text` that fits `limit` Shift_JIS bytes."""
    data = text.encode("cp932")
    if len(data) <= limit:
        return text
    return data[:limit].decode("cp932", errors="ignore")


def yayoi_csv(rows):
    """The rows in 弥生インポート形式, Shift_JIS, CRLF, every value quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    replaced = []
    total = 0

    def text(value, limit):
        return _cut(to_shift_jis(value, replaced), limit)

    for row in rows:
        total += row.amount
        memo = row.memo + (" [固定資産]" if row.fixed_asset else "")
        writer.writerow([
            YAYOI_FLAG, "", "", row.on.strftime("%Y/%m/%d"),
            text(row.debit.account, LIMITS["account"]), text(row.debit.sub_account, LIMITS["account"]),
            "", row.debit.tax, row.amount, "",
            text(row.credit.account, LIMITS["account"]),
            text(row.credit.sub_account, LIMITS["account"]), "", row.credit.tax, row.amount, "",
            text(memo, LIMITS["memo"]), "", "", "0", "", text(row.reference, LIMITS["note"]),
            "0", "0", "no"])
    return Written(data=out.getvalue().encode("cp932"), rows=len(rows), total=total,
                   replaced=replaced)


@dataclass(frozen=True)
class ReadBack:
    rows: int
    debit_total: int
    credit_total: int
    accounts: dict  # 勘定科目 -> (debits, credits)


def read_yayoi(data):
    """Read a 弥生インポート形式 file as 弥生 would: for tests and the export's self-check."""
    text = data.decode("cp932")
    debit = credit = count = 0
    accounts = {}
    for row in csv.reader(io.StringIO(text, newline="")):
        if not row:
            continue
        if len(row) != len(YAYOI_COLUMNS) or row[0] not in YAYOI_FLAGS:
            raise ValueError(f"not a 弥生 journal row: {row[:5]}")
        count += 1
        debit += int(row[8])
        credit += int(row[14])
        for name, amount, index in ((row[4], int(row[8]), 0), (row[10], int(row[14]), 1)):
            sums = list(accounts.get(name, (0, 0)))
            sums[index] += amount
            accounts[name] = tuple(sums)
    return ReadBack(rows=count, debit_total=debit, credit_total=credit, accounts=accounts)


def read_plain(data):
    """Read our plain CSV back (UTF-8 with BOM): the row count and the total."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader)
    if tuple(header) != PLAIN_HEADER:
        raise ValueError("not our journal CSV")
    rows = [row for row in reader if row]
    return ReadBack(rows=len(rows), debit_total=sum(int(r[6]) for r in rows),
                    credit_total=sum(int(r[6]) for r in rows), accounts={})
