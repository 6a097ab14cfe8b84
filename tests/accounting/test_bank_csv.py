"""Reading internet-banking CSV exports: encodings, dates, amounts, the mapping, refusals."""
import pytest

from fund.accounting import bank_csv
from fund.core.dates import DateError, parse_date
from fund.core.errors import ValidationFailed

HEADER = "日付,摘要,お支払金額,お預り金額,差引残高"
PREAMBLE = "口座番号,1234567\n照会期間,2026/04/01～2026/04/30\n\n"
ROWS = [
    'R8.4.1,振込 ﾔﾏﾀﾞ ﾀﾛｳ,,"10,000","1,010,000"',
    '令和8年4月2日,ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ,,５００，０００,"1,510,000"',
    '2026/04/03,ﾃｽｳﾘﾖｳ,440,,"1,509,560"',
    '2026-04-04,前日残高,,,"1,509,560"',
]


def statement(rows=ROWS, header=HEADER, preamble=PREAMBLE):
    return preamble + header + "\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("text, day", [
    ("2026/04/01", "2026-04-01"), ("2026-4-1", "2026-04-01"), ("20260401", "2026-04-01"),
    ("2026年4月1日", "2026-04-01"), ("R8.4.1", "2026-04-01"), ("R08/04/01", "2026-04-01"),
    ("令和8年4月1日", "2026-04-01"), ("令和元年5月1日", "2019-05-01"), ("H31.4.30", "2019-04-30"),
    ("２０２６／０４／０１", "2026-04-01"), ("2026/04/01 10:23:00", "2026-04-01"),
])
def test_dates_in_every_usual_form(text, day):
    assert parse_date(text).isoformat() == day


@pytest.mark.parametrize("text", ["H31.5.1", "R1.4.30", "2026/02/30", "合計", "", "R8"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(DateError):
        parse_date(text)


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_shift_jis_and_utf8_with_or_without_bom(ctx, encoding):
    parsed = bank_csv.parse(statement().encode(encoding), {}, "ja")
    assert parsed.encoding == ("cp932" if encoding == "cp932" else "utf-8-sig")
    assert [(str(l.on), l.deposit, l.withdrawal, l.balance) for l in parsed.lines] == [
        ("2026-04-01", 10_000, 0, 1_010_000), ("2026-04-02", 500_000, 0, 1_510_000),
        ("2026-04-03", 0, 440, 1_509_560)]
    # The payer: from the 摘要 without its 振込 prefix, normalised for matching.
    assert parsed.lines[0].payer == "ﾔﾏﾀﾞ ﾀﾛｳ" and parsed.lines[0].payer_key == "ヤマダタロウ"
    assert parsed.lines[1].payer_key == "キユウシユウデンキ"
    assert parsed.mapping == {"date": "日付", "description": "摘要", "deposit": "お預り金額",
                              "withdrawal": "お支払金額", "balance": "差引残高"}


def test_a_saved_mapping_reads_a_bank_with_its_own_headers(ctx):
    text = statement(header="取扱日,内容,引出,預入,残高,依頼人",
                     rows=["2026/05/01,ﾌﾘｺﾐ,,3000,3000,ｻﾄｳ ﾊﾅｺ"], preamble="")
    mapping = {"date": "取扱日", "description": "内容", "deposit": "預入", "withdrawal": "引出",
               "balance": "残高", "payer": "依頼人"}
    line, = bank_csv.parse(text.encode("cp932"), mapping, "ja").lines
    assert (line.deposit, line.payer, line.payer_key) == (3000, "ｻﾄｳ ﾊﾅｺ", "サトウハナコ")


def test_missing_columns_are_named(ctx):
    text = statement(header="日付,摘要,お預り金額,差引残高", rows=["2026/04/01,x,100,100"])
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(text.encode(), {}, "en")
    assert err.value.errors["missing"] == ["withdrawal"]
    assert "Withdrawal" in err.value.message and "お預り金額" in err.value.message
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(statement().encode(), {"date": "取引日", "description": "摘要",
                                              "deposit": "お預り金額", "withdrawal": "お支払金額",
                                              "balance": "差引残高"}, "en")
    assert "取引日" in err.value.message


@pytest.mark.parametrize("row, problem", [
    ('2026/04/05,振込 ｽﾐｽ,,"$1,000",1000', "currency"),
    ("2026/04/05,振込 ｽﾐｽ,,1000.50,1000", "currency"),
    ("2026/04/05,振込 ｽﾐｽ,,10 000円x,1000", "amount"),
    ("2026/13/05,振込 ｽﾐｽ,,1000,1000", "date"),
    ("2026/04/05,振込 ｽﾐｽ,100,1000,1000", "both_amounts"),
])
def test_bad_lines_refuse_the_whole_file_naming_the_line(ctx, row, problem):
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(statement(rows=ROWS[:2] + [row]).encode(), {}, "en")
    assert err.value.errors["file"] == problem
    assert err.value.errors["line"] == 7 and "Line 7" in err.value.message


def test_another_currency_in_a_currency_column(ctx):
    text = "日付,摘要,入金,出金,残高,通貨\n2026/04/01,x,100,,100,USD\n"
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(text.encode(), {}, "en")
    assert err.value.errors["file"] == "currency" and "USD" in err.value.message


def test_duplicated_rows_within_a_file_are_refused(ctx):
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(statement(rows=ROWS[:2] + ROWS[:1]).encode(), {}, "en")
    assert err.value.errors["file"] == "duplicate_rows"
    assert "5" in err.value.message and "7" in err.value.message


def test_neither_encoding_nor_empty(ctx):
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(b"\xff\xfe\x00\x81", {}, "en")
    assert err.value.errors["file"] == "encoding"
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(b"", {}, "en")
    assert err.value.errors["file"] == "empty"
    with pytest.raises(ValidationFailed) as err:
        bank_csv.parse(statement(rows=ROWS[3:]).encode(), {}, "en")
    assert err.value.errors["file"] == "no_lines"
