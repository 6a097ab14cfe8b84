"""The journal files: the plain CSV and 弥生インポート形式 parse back with the same totals."""
import csv
import io
from datetime import date

from fund.accounting import journal_files
from fund.accounting.journal_files import JournalRow, Side


def _rows():
    bank = Side("普通預金", "千葉銀行", "対象外", "bank:main")
    fund = Side("預り寄附金", "量子メス 超伝導電磁石の磁場測定装置", "対象外",
                "fund:project:quantum-scalpel-magnet")
    return [
        JournalRow(date(2026, 4, 1), 1, bank, fund, 50_000, "振込 𠮷田 花子", "gift:1", "gift"),
        JournalRow(date(2026, 4, 2), 2, Side("工具器具備品", "", "対象外", "fund:project:x"), bank,
                   1_200_000, "=HYPERLINK(\"x\") 磁場測定装置", "spend:1", "spend", True),
    ]


def test_yayoi_format_reads_back_with_the_same_totals_and_columns():
    written = journal_files.yayoi_csv(_rows())
    back = journal_files.read_yayoi(written.data)
    assert (back.rows, back.debit_total, back.credit_total) == (2, 1_250_000, 1_250_000)
    assert back.accounts["普通預金"] == (50_000, 1_200_000)
    first, second = list(csv.reader(io.StringIO(written.data.decode("cp932"))))
    assert len(first) == 25 and first[0] == "2000" and first[3] == "2026/04/01"
    assert first[19] == "0" and first[24] == "no" and first[21] == "gift:1"
    # 24 half-width bytes at most for a 補助科目, as 弥生 cuts it.
    assert len(first[11].encode("cp932")) <= 24 and first[11].startswith("量子メス")
    # 𠮷 is not in Shift_JIS: written as 吉, and reported.
    assert "吉田 花子" in first[16] and written.replaced == [("𠮷", "吉")]
    assert "[固定資産]" in second[16]


def test_a_character_with_no_everyday_form_becomes_geta():
    replaced = []
    assert journal_files.to_shift_jis("𩸽の干物", replaced) == "〓の干物"
    assert replaced == [("𩸽", "〓")]


def test_plain_csv_keeps_every_character_and_defuses_formulas():
    written = journal_files.plain_csv(_rows())
    assert written.data.startswith(b"\xef\xbb\xbf")
    back = journal_files.read_plain(written.data)
    assert (back.rows, back.debit_total) == (2, 1_250_000)
    rows = list(csv.reader(io.StringIO(written.data.decode("utf-8-sig"))))
    assert rows[1][7] == "振込 𠮷田 花子"
    assert rows[2][7].startswith("'=") and rows[2][10] == "固定資産"
