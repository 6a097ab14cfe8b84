"""Names in kana as banks write them, made comparable with the furigana donors type.

A bank statement shows the payer as the zengin system carries it: half-width
katakana, no small kana (キュウ arrives as ｷﾕｳ), long vowels as a hyphen or
dropped, and a legal form abbreviated (`ｶ)` for a 株式会社 written before the
name, `(ｶ` after it). Donors type furigana in hiragana or full-width
katakana, with or without a space and sometimes with 株式会社 spelt out.
`name_key` maps both to one key; `compare` says how well two names agree.
"""
import re
import unicodedata

# Small kana the zengin character set lacks: banks print the large ones.
_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
# Marks that vary between the donor's form and the bank without meaning anything.
_NOISE = re.compile(r"[\s\u3000・･.,，、。ー\-‐‑–—―−ｰ~〜/／'\"]+")

# 全銀協 abbreviations of legal forms (as they read after NFKC) and the words they stand for.
_LEGAL_ABBREVIATIONS = ("カ", "ユ", "メ", "シ", "ド", "イ", "ザイ", "シヤ", "ガク", "フク",
                        "トクヒ", "ドク", "シユウ", "ギヨ", "ノウ", "キヨウ", "セイキヨウ",
                        "ソ", "ベン", "ゼイ", "シホウ")
_LEGAL_WORDS = ("カブシキガイシヤ", "カブシキカイシヤ", "ユウゲンガイシヤ", "ユウゲンカイシヤ",
                "ゴウドウガイシヤ", "ゴウドウカイシヤ", "ゴウシガイシヤ", "ゴウメイガイシヤ",
                "イツパンシヤダンホウジン", "イツパンザイダンホウジン",
                "コウエキシヤダンホウジン", "コウエキザイダンホウジン",
                "シヤダンホウジン", "ザイダンホウジン", "ガツコウホウジン", "イリヨウホウジン",
                "シヤカイフクシホウジン", "トクテイヒエイリカツドウホウジン",
                "ドクリツギヨウセイホウジン", "コクリツダイガクホウジン")
_ABBREVIATION = "|".join(sorted(_LEGAL_ABBREVIATIONS, key=len, reverse=True))
# `ｶ)ﾔﾏﾀﾞ` (before the name), `ﾔﾏﾀﾞ(ｶ` (after it), `(ｶ)ﾔﾏﾀﾞ`.
_PREFIX = re.compile(rf"^\(?(?:{_ABBREVIATION})\)")
_SUFFIX = re.compile(rf"\((?:{_ABBREVIATION})\)?$")
_MIDDLE = re.compile(rf"\((?:{_ABBREVIATION})\)")


def to_katakana(text):
    """Hiragana as katakana (やまだ -> ヤマダ); everything else unchanged."""
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


def normalise(text):
    """NFKC, katakana, large kana, upper case: how a bank would print the name, full-width."""
    text = unicodedata.normalize("NFKC", text or "")
    return to_katakana(text).translate(_SMALL).upper().strip()


def strip_legal_form(text):
    """The name without its legal form, abbreviated (ｶ)) or spelt out (カブシキガイシャ)."""
    text = _PREFIX.sub("", text)
    text = _SUFFIX.sub("", text)
    text = _MIDDLE.sub("", text)
    for word in _LEGAL_WORDS:
        if text.startswith(word):
            text = text[len(word):]
        if text.endswith(word):
            text = text[:-len(word)]
    return text


def name_key(text):
    """The comparable key of a name: ﾔﾏﾀﾞ ﾀﾛｳ, やまだ たろう and ヤマダ　タロウ give one key."""
    text = normalise(text)
    text = _NOISE.sub("", strip_legal_form(_NOISE.sub("", text).replace("（", "(")
                                           .replace("）", ")")))
    return text


def is_kana(text):
    """True when the text, once normalised, is katakana (and spaces/marks) only."""
    text = _NOISE.sub("", normalise(text)).replace("(", "").replace(")", "")
    return bool(text) and all("\u30a0" <= ch <= "\u30ff" for ch in text)


def compare(a, b):
    """How well two names agree: 2 the same key, 1 one contains the other, 0 otherwise.

    Containment covers a bank that cut a long name short, and a description
    that carries more than the name.
    """
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0
    if ka == kb:
        return 2
    shorter, longer = sorted((ka, kb), key=len)
    return 1 if len(shorter) >= 3 and shorter in longer else 0
