"""The office's gift search finds the right gifts by every word it offers, and its totals are
the totals of exactly the gifts it lists (kept totals and the days around them included)."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from fund.core import kana
from fund.core.extensions import db
from fund.donors import names
from fund.giving.models import OfflineGift
from fund.office import search
from fund.receipts.models import Receipt, ReceiptLine
from tests.factories import (CampaignFactory, DonationFactory, DonorFactory, PaymentFactory,
                             RefundFactory, paid_gift)

UTC = timezone.utc


@pytest.fixture
def people(ctx):
    """Donors whose names share characters, so a wrong match would show."""
    yamada = DonorFactory(name="山田 花子", name_kana="ヤマダ ハナコ", email="hanako@example.jp",
                          phone="090-1111-2222")
    yamamoto = DonorFactory(name="山本 太郎", name_kana="やまもと たろう", email="taro@example.jp",
                            phone="080-3333-4444")
    hayashi = DonorFactory(name="林 一郎", name_kana="ハヤシ イチロウ", email="ichiro@example.jp")
    gifts = {
        "yamada": paid_gift(yamada, 5000, at=datetime(2026, 5, 10, 3, tzinfo=UTC)),
        "yamamoto": paid_gift(yamamoto, 3000, at=datetime(2026, 6, 1, 3, tzinfo=UTC)),
        "hayashi": paid_gift(hayashi, 1000, at=datetime(2026, 7, 1, 3, tzinfo=UTC)),
    }
    # A bank transfer recorded by the office, with the 振込名義 the bank printed.
    transfer = DonationFactory(donor=hayashi, amount=20000)
    payment = PaymentFactory(donation=transfer, amount=20000, method="bank_transfer",
                             succeeded_at=datetime(2026, 8, 3, 1, tzinfo=UTC))
    db.session.add(OfflineGift(payment_id=payment.id, method="direct_transfer",
                               money_account="bank:main", received_on=date(2026, 8, 3),
                               transfer_name="ｶ)ﾘﾖｳｼｹﾝｷﾕｳ", transfer_key=kana.name_key("ｶ)ﾘﾖｳｼｹﾝｷﾕｳ")))
    gifts["transfer"] = transfer
    receipt = Receipt(series_year=2026, sequence=42, number="2026-000042", kind="single",
                      donor_id=yamamoto.id, donor_kind="individual", donor_name=yamamoto.name,
                      donor_address="千葉県", amount=3000, received_on=date(2026, 6, 1), year=2026,
                      issuer_name="QST", issuer_address="千葉", issuer_representative="理事長",
                      issued_on=date(2026, 6, 2))
    db.session.add(receipt)
    db.session.flush()
    db.session.add(ReceiptLine(receipt_id=receipt.id, donation_id=gifts["yamamoto"].id,
                               amount=3000, received_on=receipt.received_on))
    db.session.commit()
    return gifts


def _found(q):
    page = search.search(search.Filters(q=q))
    return {fact.donation_id for fact, _gift, _donor in page.rows}


def test_every_kind_of_word_finds_its_gifts(people):
    g = {name: gift.id for name, gift in people.items()}
    both_hayashi = {g["hayashi"], g["transfer"]}
    cases = {
        "山田": {g["yamada"]},                    # two kanji: no trigram, the grams index
        "山": {g["yamada"], g["yamamoto"]},       # one kanji
        "林": both_hayashi,
        "山田 花子": {g["yamada"]},
        "山田 太郎": set(),                       # each word matches someone, nobody both
        "ヤマダ": {g["yamada"]},                  # katakana
        "やまだ はなこ": {g["yamada"]},           # hiragana finds a katakana フリガナ
        "ヤマモト": {g["yamamoto"]},              # katakana finds a hiragana one
        "ﾔﾏﾓﾄ": {g["yamamoto"]},                  # half-width
        "はな": {g["yamada"]},                    # two kana
        "TARO@example.jp": {g["yamamoto"]},       # email, any case
        "example.jp": set(g.values()),
        "090-1111-2222": {g["yamada"]},           # phone, as typed
        "０９０１１１１２２２２": {g["yamada"]},   # full-width digits
        "2026-000042": {g["yamamoto"]},          # receipt number
        "ﾘﾖｳｼｹﾝｷﾕｳ": {g["transfer"]},             # 振込名義 as the bank prints it
        "リョウシケンキュウ": {g["transfer"]},     # …and as a person types it
        f"#{g['transfer']}": {g["transfer"]},
        "佐藤": set(),
    }
    for q, expected in cases.items():
        assert _found(q) == expected, q
    # The reference a donor reads out over the phone, however it is typed.
    ref = people["yamada"].reference
    for typed in (ref, ref.lower(), ref.replace("QF-", "").replace("-", "")):
        assert _found(typed) == {g["yamada"]}, typed


def test_the_web_list_uses_the_same_search(client, sign_in, people):
    sign_in("office")
    page = client.get("/office/donations", query_string={"q": "山田"}).get_data(as_text=True)
    assert f'data-donation="{people["yamada"].id}"' in page
    assert f'data-donation="{people["yamamoto"].id}"' not in page


def test_the_single_statement_the_export_uses_finds_the_same_gifts(people):
    for q in ("山田", "林", "やまだ はなこ", "2026-000042", "ﾘﾖｳｼｹﾝｷﾕｳ", "佐藤",
              f"#{people['hayashi'].id}"):
        filters = search.Filters(q=q)
        from fund.office.models import GiftFact
        ids = set(db.session.execute(db.select(GiftFact.donation_id)
                                     .where(*search.conditions(filters))).scalars())
        assert ids == _found(q), q


@pytest.fixture
def year_of_gifts(ctx):
    """Gifts on month edges in Japan time, some pending, some refunded, two methods."""
    campaign = CampaignFactory()
    donor = DonorFactory()
    moments = [datetime(2026, 3, 31, 14, 59, tzinfo=UTC),   # 3/31 23:59 JST
               datetime(2026, 3, 31, 15, 0, tzinfo=UTC),    # 4/1 00:00 JST
               datetime(2026, 4, 15, 3, tzinfo=UTC), datetime(2026, 4, 30, 15, 0, tzinfo=UTC),
               datetime(2026, 5, 20, 3, tzinfo=UTC), datetime(2026, 6, 30, 14, 59, tzinfo=UTC),
               datetime(2026, 7, 2, 3, tzinfo=UTC), datetime(2027, 3, 31, 14, 59, tzinfo=UTC),
               datetime(2027, 3, 31, 15, 0, tzinfo=UTC)]
    for n, at in enumerate(moments):
        fields = {"designation": "campaign", "campaign": campaign} if n % 3 == 0 else {}
        gift = paid_gift(donor, 1000 * (n + 1), at=at, **fields)
        if n % 4 == 1:
            RefundFactory(payment=gift.payments[0], amount=500)
        if n % 2:
            gift.payments[0].method = "konbini"
    for n in range(3):  # not received: in no kept total, still in the list
        pending = DonationFactory(donor=donor, amount=7000,
                                  created_at=datetime(2026, 5 + n, 3, 3, tzinfo=UTC))
        PaymentFactory(donation=pending, method="konbini", state="requires_action",
                       succeeded_at=None)
    db.session.commit()
    return campaign


def _listed_totals(filters):
    """What the list shows, added up row by row over every page."""
    found, page = search.Totals(), 1
    while True:
        result = search.search(filters, page=page, page_size=4)
        for fact, _gift, _donor in result.rows:
            found.gifts += 1
            found.paid += fact.paid
            found.refunded += fact.refunded
            found.lost += fact.lost
            found.fees += fact.fee
            found.net += fact.net
        if not result.has_next:
            return found, result.totals
        page += 1


def test_the_totals_are_those_of_the_gifts_listed(year_of_gifts):
    campaign = f"campaign:{year_of_gifts.id}"
    for filters in (search.Filters(), search.Filters(method="konbini"),
                    search.Filters(fiscal_year=2026), search.Filters(fiscal_year=2025),
                    search.Filters(destination=campaign, fiscal_year=2026),
                    search.Filters(destination="general", method="card"),
                    search.Filters(date_from=date(2026, 4, 1), date_to=date(2026, 6, 30)),
                    search.Filters(date_from=date(2026, 4, 10), date_to=date(2026, 7, 1)),
                    search.Filters(date_from=date(2026, 5, 1)),
                    search.Filters(date_to=date(2026, 5, 31), method="konbini"),
                    search.Filters(date_from=date(2026, 4, 2), date_to=date(2026, 4, 20)),
                    search.Filters(status="partially_refunded"),
                    search.Filters(status="pending", fiscal_year=2026),
                    search.Filters(q="example", method="konbini"),
                    search.Filters(q="example")):
        listed, shown = _listed_totals(filters)
        assert shown == listed, filters
    everything, _shown = _listed_totals(search.Filters())
    assert everything.gifts == 12


def test_a_search_that_only_names_donors_totals_their_kept_donor_totals(people):
    """Read from the donor rows found (every gift of theirs), equal to the gifts listed;
    a word that also names gifts, or any filter, totals the gifts themselves."""
    refund = people["yamamoto"]
    RefundFactory(payment=refund.payments[0], amount=1200)
    db.session.commit()
    for q in ("山", "やま", "example", "ﾔﾏﾀﾞ", "ハヤシ", "yamada-nobody"):
        filters = search.Filters(q=q)
        found = search.resolve(q)
        assert search._only_donors(filters, found) == (not found.nothing), q  # noqa: SLF001
        listed, shown = _listed_totals(filters)
        assert shown == listed, q
    assert not search._only_donors(search.Filters(q="山", method="card"),  # noqa: SLF001
                                   search.resolve("山"))
    shown = search.totals(search.Filters(q="山"))
    assert (shown.gifts, shown.paid, shown.refunded, shown.net) == (2, 8000, 1200, 6800)


def test_the_grams_are_those_of_each_word():
    assert names.grams("やまだ はなこ") == sorted({"や", "ま", "だ", "やま", "まだ",
                                                "は", "な", "こ", "はな", "なこ"})
    assert names.grams("") == []
    assert "だは" not in names.grams("やまだ はなこ")  # never across two fields


@pytest.mark.pg_only
def test_the_sql_grams_equal_the_python_ones(ctx):
    for sample in ("山田花子 やまだはなこ donor42@example.jp 09012345678", "林", "",
                   "株式会社量子 かぶしきがいしゃりょうし  a"):
        got = db.session.execute(text(f"SELECT {names.GRAMS_SQL.format(text=':t')}"),
                                 {"t": sample}).scalar_one()
        assert sorted(got) == names.grams(sample), sample


def test_a_donor_keeps_its_grams_when_its_name_changes(ctx):
    donor = DonorFactory(name="山田 花子", name_kana="ヤマダ ハナコ")
    db.session.commit()
    assert "山田" in donor.search_grams
    donor.name = "佐藤 花子"
    db.session.commit()
    db.session.refresh(donor)
    assert "佐藤" in donor.search_grams and "山田" not in donor.search_grams
