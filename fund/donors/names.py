"""How names, kana, phones and addresses are compared: folded to one written form.

Staff type 「やまだ」, 「ﾔﾏﾀﾞ」 or 「ヤマダ　タロウ」 for the same person; NFKC makes
half-width katakana and full-width letters ordinary, katakana is folded to
hiragana, case and spaces are dropped. Used for the office's search and for
finding likely duplicates (名寄せ).

The search text is also kept as its grams: every character and every pair of
adjacent characters of each word. A trigram index cannot find a one- or
two-character word (山田, 林) in it; a GIN index on the grams finds exactly the
donors whose search text contains it.
"""
import unicodedata

_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_DROPPED = {ord(c): None for c in " \t\r\n・･-‐－ー—―"}


def fold(text):
    """'ヤマダ　タロウ' and 'やまだたろう' alike: NFKC, hiragana, lower case, no spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return text.translate(_KATAKANA).translate(_DROPPED)


def digits(text):
    """Only the digits of a phone number or postal code (full-width digits count)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text or "") if c.isdigit())


def email_key(email):
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def search_text(donor):
    """Everything the office may search a donor by, folded, one field per word."""
    parts = (fold(donor.name), fold(donor.name_kana), fold(donor.company_name),
             fold(donor.representative), email_key(donor.email), digits(donor.phone))
    return " ".join(part for part in parts if part)[:1200]


def grams(text):
    """The distinct 1- and 2-character pieces of each space-separated word of `text`, sorted.

    A word of one or two characters occurs in `text` exactly when it is one of these
    (search_text's fields are joined by spaces and the searched word has none).
    """
    found = set()
    for word in (text or "").split(" "):
        found.update(word)
        found.update(word[i:i + 2] for i in range(len(word) - 1))
    return sorted(found)


# `grams` in PostgreSQL, over a text column or expression (the bench fills donors with it;
# tests/donors holds the two equal).
GRAMS_SQL = """ARRAY(SELECT DISTINCT substr(w, i, n)
    FROM regexp_split_to_table({text}, ' ') AS w,
         generate_series(1, length(w)) AS i, (VALUES (1), (2)) AS v(n)
    WHERE i + n - 1 <= length(w) ORDER BY 1)"""


def keys(donor):
    """The normalised columns kept on a donor row (search and duplicate finding)."""
    text = search_text(donor)
    return {"search_text": text, "search_grams": grams(text),
            "name_key": fold(donor.receipt_name)[:200],
            "email_key": email_key(donor.email)[:254],
            "phone_key": digits(donor.phone)[:32],
            "address_key": (digits(donor.postal_code) + fold(donor.address))[:520]}
