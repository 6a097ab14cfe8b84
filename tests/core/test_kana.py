"""Names as banks print them compared with the furigana donors type."""
import pytest

from fund.core import kana


@pytest.mark.parametrize("bank, typed", [
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ たろう"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
    ("ﾔﾏﾀﾞﾀﾛｳ", "ヤマダ タロウ"),
    ("ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ", "キュウシュウデンキ"),            # small kana written large by the bank
    ("ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ", "カブシキガイシャ キュウシュウデンキ"),  # 株式会社 spelt out
    ("ｷﾕｳｼﾕｳﾃﾞﾝｷ(ｶ", "きゅうしゅうでんき"),            # 後株
    ("ﾄﾞｸ)ﾘﾖｳｼｶｶﾞｸ", "リョウシカガク"),
    ("ｻﾄｳ ｼﾖｳｲﾁ", "さとう しょういち"),
])
def test_the_same_name(bank, typed):
    assert kana.compare(bank, typed) == 2


def test_different_names_and_partial_ones():
    assert kana.compare("ﾔﾏﾀﾞ ﾀﾛｳ", "タナカ ハナコ") == 0
    assert kana.compare("ﾔﾏﾀﾞ ﾀﾛｳ ｻﾏ ｲﾁｶﾞﾂﾌﾞﾝ", "ヤマダ タロウ") == 1
    assert kana.compare("", "ヤマダ") == 0
    # A name that merely starts like a legal form keeps its letters.
    assert kana.name_key("ｶﾀｸﾗ") == "カタクラ"


def test_kana_only():
    assert kana.is_kana("ﾔﾏﾀﾞ ﾀﾛｳ") and kana.is_kana("やまだ") and kana.is_kana("ｶ)ﾐﾗｲ")
    assert not kana.is_kana("山田") and not kana.is_kana("")
