"""The CSV PostgreSQL writes (COPY) is byte for byte the CSV the csv module writes."""
import csv
import io
import random
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import String, column, values
from sqlalchemy.exc import DataError

from fund.core import csvsafe
from fund.core.extensions import db
from fund.office import csvsafe_sql, export, search
from fund.receipts.models import Receipt, ReceiptLine
from tests.factories import (CampaignFactory, DonationFactory, DonorFactory, PaymentFactory,
                             ProjectFactory, RefundFactory, paid_gift)

UTC = timezone.utc

HOSTILE = [
    # formulas, plain and disguised
    "=1+2", " =1+2", "   @SUM(A1)", "＝SUM(1,2)", "＋1", "－1", "＠a", "｜cmd", "％a", "﹦1", "﹣1",
    "⁼1", "₊1", "+", "-", "@", "=", "|", "%", "\t=1", "\t", "\r=1", "\n=1", "\r\n", "\x0b=1",
    "\x0c-1", "\x1c=1", "\x1f+1", "\x85=1", "\xa0-1", "\u1680@x", "\u2003+1", "\u2028=1",
    "\u2029=1", "\u202f=1", "\u205f=1", "\u3000=1", "\u3000\u3000＝1", " \t\r\n=1",
    "=\u0338", "\u0301=1", "\u200b=1", "\ufeff=1", "'=1",
    # not formulas
    "a=1", "1+1", "−1", "ー1", "゛=", "\u309b", "ｶﾀｶﾅ", "ガ", "が=", "ａｂｃ", "ℂ", "😀=1",
    "\x01=1", "\x07", "\x7f=1", "\x1f", " ", "  ", "\u3000", '"quoted"', 'say "=1"', "a,b",
    "a\nb", "x\r\ny", "\\.", "\\", "'", "山田 太郎", "千葉県千葉市稲毛区穴川4-9-1", "",
    # identifiers, kept as text
    "2026-000004-2", "090-1234-5678", "263-8555", "QF-000000001", "pi_3Abc.def:g/h",
    "x" * 80, "x" * 81, "=" + "x" * 80, "abc\n", "-5", "0120", "a b", "ｄｏｎｏｒ",
]


def test_the_first_characters_normalize_skips_stay_first_and_plain_under_nfkc():
    signs = set(csvsafe.FORMULA_START) | set(csvsafe_sql.SPACES)
    for low, high in csvsafe_sql.PLAIN_FIRST:
        for code in range(low, high + 1):
            char = chr(code)
            decomposed = unicodedata.normalize("NFKD", char)
            assert unicodedata.combining(char) == 0 and unicodedata.combining(decomposed[0]) == 0
            assert decomposed[0] not in signs, hex(code)
            # …and NFKC never composes a starter into a space or a sign (they have no
            # decomposition), so the first character of any text starting so is plain.
    assert all(not unicodedata.decomposition(sign) for sign in csvsafe.FORMULA_START)
    assert "\u3000" in csvsafe_sql.SPACES and "\x85" in csvsafe_sql.SPACES
    assert "\u200b" not in csvsafe_sql.SPACES


@pytest.mark.pg_only
def test_sql_cells_agree_with_csvsafe_on_hostile_inputs(ctx):
    table = values(column("i"), column("x", String), name="hostile").data(
        list(enumerate(HOSTILE)) + [(len(HOSTILE), None)])
    got = db.session.execute(db.select(table.c.i, csvsafe_sql.cell(table.c.x),
                                       csvsafe_sql.text(table.c.x))).all()
    assert len(got) == len(HOSTILE) + 1
    for i, cell, text in got:
        value = HOSTILE[i] if i < len(HOSTILE) else None
        # '' is NULL in SQL, so that COPY writes an empty cell as the csv module does.
        assert (cell or "", text or "") == (csvsafe.cell(value), csvsafe.text(value)), value
        if not csvsafe.cell(value):
            assert cell is None and text is None
    formulas = [v for v in HOSTILE if csvsafe.is_formula(v)]
    assert " =1+2" in formulas and "＝SUM(1,2)" in formulas and "\u3000=1" in formulas
    assert len(formulas) > 30 and "a=1" not in formulas


@pytest.mark.pg_only
def test_sql_cells_agree_with_csvsafe_on_random_mixtures(ctx):
    # Short strings from the characters that matter, in every order a seed gives.
    alphabet = ("=+-@|%\t\r\n \x0b\x1c\x85\xa0\u1680\u2003\u2028\u3000＝＋－＠｜％﹦⁼₊"
                "\u0338\u0301\u3099\u309b\u200b\ufeffaZ09_.:/'\",ｱガが山ℂ😀\x01\x7f")
    generator = random.Random(11)
    samples = ["".join(generator.choice(alphabet) for _ in range(generator.randint(1, 6)))
               for _ in range(3000)]
    table = values(column("i"), column("x", String), name="mixed").data(list(enumerate(samples)))
    got = db.session.execute(db.select(table.c.i, csvsafe_sql.cell(table.c.x),
                                       csvsafe_sql.text(table.c.x))).all()
    assert len(got) == len(samples)
    for i, cell, text in got:
        assert (cell or "", text or "") == (csvsafe.cell(samples[i]), csvsafe.text(samples[i])), \
            repr(samples[i])
    assert 300 < sum(csvsafe.is_formula(sample) for sample in samples) < 2700


@pytest.mark.pg_only
def test_postgres_text_cannot_hold_nul(ctx):
    # Why NUL is not in the table above: it never reaches the SQL cells.
    assert csvsafe.cell("\x00=1") == "\x00=1" and csvsafe.cell("=\x00") == "'=\x00"
    with pytest.raises(DataError) as caught:
        db.session.execute(db.select(db.literal("\x00=1", String))).all()
    assert "NUL" in str(caught.value)
    db.session.rollback()


@pytest.fixture
def gifts(ctx):
    """Gifts of every shape, with hostile text in every free-text cell."""
    campaign = CampaignFactory(title_ja="=レーザー研究", title_en="Laser, \"research\"")
    project = ProjectFactory(title_ja="＋計画", title_en="")  # no English title
    rows = {}
    for n, hostile in enumerate(HOSTILE):
        donor = DonorFactory(name=hostile, name_kana=hostile,
                             email=hostile, phone=hostile[:32] or None,
                             postal_code=hostile[:16], address=hostile)
        # 23:00 JST on 31 March 2026 (fiscal year 2025) and the days after.
        at = datetime(2026, 3, 31, 14, 0, tzinfo=UTC) + timedelta(days=n % 5)
        shape = n % 4
        if shape == 0:
            gift = paid_gift(donor, 1000 + n, at=at, message=hostile)
        elif shape == 1:
            gift = paid_gift(donor, 3000, at=at, message=hostile, designation="campaign",
                             campaign=campaign)
            RefundFactory(payment=gift.payments[0], amount=1000)
        elif shape == 2:
            gift = paid_gift(donor, 5000, at=at, message=hostile, designation="project",
                             project=project)
        else:
            gift = DonationFactory(donor=donor, amount=7000, message=hostile)
            PaymentFactory(donation=gift, method="konbini", state="requires_action",
                           succeeded_at=None)
        rows[gift.id] = gift
    corp = DonorFactory(kind="corporation", name="担当 一郎", company_name="@株式会社量子",
                        representative="代表 二郎", name_kana="カブシキガイシャ")
    bank = DonationFactory(donor=corp, amount=100000, message="振込\nお願いします")
    PaymentFactory(donation=bank, method="bank_transfer", succeeded_at=datetime(
        2026, 11, 24, 19, 41, tzinfo=UTC))
    rows[bank.id] = bank
    receipt = Receipt(series_year=2026, sequence=4, number="2026-000004", kind="single",
                      donor_id=corp.id, donor_kind="corporation", donor_name="株式会社量子",
                      donor_address="千葉県", amount=100000, received_on=datetime(2026, 11, 25).date(),
                      year=2026, issuer_name="QST", issuer_address="千葉", issuer_representative="理事長",
                      issued_on=datetime(2026, 11, 25).date())
    db.session.add(receipt)
    db.session.flush()
    db.session.add(ReceiptLine(receipt_id=receipt.id, donation_id=bank.id, amount=100000,
                               received_on=receipt.received_on))
    db.session.commit()
    return {"rows": rows, "bank": bank, "campaign": campaign, "project": project}


def _both(filters, lang):
    python = b"".join(export.python_chunks(filters, lang))
    db.session.rollback()
    copied = b"".join(export.copy_chunks(filters, lang))
    db.session.rollback()
    return python, copied


def _gift_ids(body):
    return {int(row[0]) for row in list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]}


@pytest.mark.pg_only
def test_copy_writes_the_bytes_the_csv_module_writes(gifts, monkeypatch):
    every, written = set(gifts["rows"]), {}
    for lang in ("en", "ja"):
        python, copied = _both(search.Filters(), lang)
        assert python.startswith("\ufeff".encode()) and copied == python, lang
        assert _gift_ids(copied) == every
        written[lang] = copied
    assert written["en"] != written["ja"] and "General fund".encode() in written["en"]
    assert b"'=" in copied and b'"=""090-1234-5678"""' in copied and b"\r\n" in copied
    assert b'"\xe6\x8c\xaf\xe8\xbe\xbc\n' in copied  # 振込\n…: a line break inside a cell
    # Small chunks: rows with and without a line break inside a cell, each chunk whole rows.
    monkeypatch.setattr(export, "CHUNK_BYTES", 300)
    chunks = list(export.copy_chunks(search.Filters(), "ja"))
    db.session.rollback()
    assert len(chunks) > 10 and b"".join(chunks) == written["ja"]
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)


@pytest.mark.pg_only
def test_copy_applies_the_same_filters(gifts):
    bank, campaign, project = gifts["bank"], gifts["campaign"], gifts["project"]
    cases = [
        (search.Filters(method="bank_transfer"), {bank.id}),
        (search.Filters(status="partially_refunded"),
         {i for i, g in gifts["rows"].items() if g.designation == "campaign"}),
        (search.Filters(destination=f"campaign:{campaign.id}"),
         {i for i, g in gifts["rows"].items() if g.designation == "campaign"}),
        (search.Filters(destination=f"project:{project.id}"),
         {i for i, g in gifts["rows"].items() if g.designation == "project"}),
        (search.Filters(fiscal_year=2025), None),
        (search.Filters(date_from=datetime(2026, 4, 2).date(),
                        date_to=datetime(2026, 4, 3).date()), None),
        (search.Filters(q="2026-000004"),  # the receipt, and a donor named 2026-000004-2
         {bank.id} | {i for i, g in gifts["rows"].items() if g.donor.name == "2026-000004-2"}),
        (search.Filters(q=f"#{bank.id}"), {bank.id}),
        (search.Filters(q="カブシキガイシャ"), {bank.id}),
        (search.Filters(q="nobody-at-all"), set()),
    ]
    seen = set()
    for filters, expected in cases:
        python, copied = _both(filters, "ja")
        assert copied == python, filters
        ids = _gift_ids(copied)
        if expected is not None:
            assert ids == expected, filters
        seen.add(frozenset(ids))
    assert len(seen) >= 6  # the filters did pick different gifts


@pytest.mark.pg_only
def test_the_export_on_postgresql_is_written_by_copy(gifts, monkeypatch):
    def refuse(*_args):
        raise AssertionError("the Python writer ran on PostgreSQL")
    monkeypatch.setattr(export, "python_chunks", refuse)
    body = b"".join(export.csv_chunks(search.Filters(), "ja"))
    assert _gift_ids(body) == set(gifts["rows"])
