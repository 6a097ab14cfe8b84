"""CSV cells: the formula guard works after NFKC and leading spaces; numbers stay text."""
import csv
import io

import pytest

from fund.core import csvsafe


@pytest.mark.parametrize("hostile", [
    "=1+2", " =1+2", "\u3000=1+2", "＝SUM(1,2)", " ＋1", "-2+3", "@SUM(A1)", "\t=1",
    "｜cmd", "＠x", "\r=1"])
def test_formula_prefixes_are_neutralised_after_nfkc_and_leading_spaces(hostile):
    out = csvsafe.cell(hostile)
    assert out == "'" + hostile  # kept as given, behind an apostrophe


@pytest.mark.parametrize("plain", ["山田 太郎", "a=b", "2026年", "100%"])
def test_plain_text_is_left_alone(plain):
    assert csvsafe.cell(plain) == plain


def test_receipt_numbers_and_ids_are_written_as_text():
    assert csvsafe.text("2026-000004-2") == '="2026-000004-2"'
    assert csvsafe.text("pi_3Nx") == '="pi_3Nx"'
    # Anything else falls back to the formula guard, never into ="…".
    assert csvsafe.text('x"),HYPERLINK("evil') == 'x"),HYPERLINK("evil'
    assert csvsafe.text("=1+2") == "'=1+2"


def test_a_row_round_trips_through_the_csv_module():
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csvsafe.row(["2026-000001", " =1+2", 5000, None], {0}))
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [
        '="2026-000001"', "' =1+2", "5000", ""]
