"""Importing a bank statement: lines stored once, matches suggested, a person decides each line."""
from datetime import timedelta

import pytest

from fund.accounting import bank, matching
from fund.accounting.models import BankAccount, BankLine, BankStatement, StripePayout
from fund.core import clock
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.giving import agreements, offline
from fund.giving.models import OfflineGift
from fund.staff.services import create_staff
from tests.ledger.helpers import balances, keys
from tests.support.bank_statements import statement


@pytest.fixture
def staff(ctx, seeded):
    return create_staff("clerk@qst.example", "Clerk", "office", "pw-for-tests")


def day(offset):
    return clock.today_jst() + timedelta(days=offset)


def slash(offset):
    return day(offset).strftime("%Y/%m/%d")


def gift(staff, amount=50_000, received=-3, name="ﾔﾏﾀﾞ ﾀﾛｳ", kana="ヤマダ タロウ"):
    return offline.record_offline_gift(
        new_donor=offline.NewDonor(name="山田 太郎", name_kana=kana, postal_code="2638555",
                                   address="千葉県千葉市稲毛区穴川4-9-1", email="t@example.jp"),
        amount=amount, destination="project:quantum-scalpel-magnet", method="direct_transfer",
        money_account="bank:main", received_on=day(received), transfer_name=name, staff=staff,
        lang="en")


def do_import(staff, data, name="april.csv"):
    return bank.import_statement(bank_code="bank:main", filename=name, data=data, staff=staff,
                                 lang="en")


def lines():
    db.session.expire_all()
    return {line.description: line for line in db.session.execute(db.select(BankLine)).scalars()}


def test_a_recorded_gift_is_suggested_and_confirming_books_nothing_twice(staff):
    payment = gift(staff)
    before = keys()
    data = statement([(slash(-2), "振込 ﾔﾏﾀﾞ ﾀﾛｳ", 50_000, 0), (slash(-2), "振込 ｻﾄｳ ﾊﾅｺ", 8_000, 0),
                      (slash(-1), "手数料", 0, 440)])
    done = do_import(staff, data)
    assert (done.added, done.skipped, done.suggested) == (3, 0, 1)
    found = lines()
    suggestions = matching.suggest(list(found.values()))
    best = suggestions[found["振込 ﾔﾏﾀﾞ ﾀﾛｳ"].id][0]
    assert (best.kind, best.target_id, best.name_match) == ("gift", payment.id, 2)
    assert suggestions[found["振込 ｻﾄｳ ﾊﾅｺ"].id] == []
    bank.confirm_gift(line_id=found["振込 ﾔﾏﾀﾞ ﾀﾛｳ"].id, payment_id=payment.id, staff=staff,
                      lang="en")
    assert keys() == before  # the gift was booked when it was recorded
    line = lines()["振込 ﾔﾏﾀﾞ ﾀﾛｳ"]
    assert (line.state, line.match_kind, line.payment_id) == ("matched", "gift", payment.id)
    with pytest.raises(Conflict):
        bank.confirm_gift(line_id=line.id, payment_id=payment.id, staff=staff, lang="en")
    # The gift is taken: the other deposit cannot claim it, and no longer gets it suggested.
    with pytest.raises(ValidationFailed):
        bank.confirm_gift(line_id=found["振込 ｻﾄｳ ﾊﾅｺ"].id, payment_id=payment.id, staff=staff,
                          lang="en")
    assert [line.description for line in bank.open_lines()] == ["振込 ｻﾄｳ ﾊﾅｺ", "手数料"]


def test_an_unmatched_deposit_is_recorded_as_a_new_gift_and_a_fee_is_set_aside(staff):
    do_import(staff, statement([(slash(-2), "振込 ｻﾄｳ ﾊﾅｺ", 8_000, 0), (slash(-1), "手数料", 0, 440)]))
    deposit, fee = lines()["振込 ｻﾄｳ ﾊﾅｺ"], lines()["手数料"]
    payment = offline.record_offline_gift(
        new_donor=offline.NewDonor(name="佐藤 花子", name_kana="サトウ ハナコ",
                                   postal_code="100-0001", address="東京都千代田区1-1",
                                   email="h@example.jp"),
        amount=deposit.deposit, destination="general", method="direct_transfer",
        money_account="bank:main", received_on=deposit.booked_on, transfer_name=deposit.payer,
        bank_line_id=deposit.id, staff=staff, lang="en")
    assert lines()["振込 ｻﾄｳ ﾊﾅｺ"].payment_id == payment.id
    assert balances()["bank:main"] == 8_000
    with pytest.raises(ValidationFailed) as err:
        bank.dismiss(line_id=fee.id, reason=" ", staff=staff, lang="en")
    assert err.value.errors == {"reason": "required"}
    bank.dismiss(line_id=fee.id, reason="振込手数料 (bank fee, booked by the accountants)",
                 staff=staff, lang="en")
    assert lines()["手数料"].state == "dismissed" and bank.open_lines() == []


def test_a_gift_from_a_line_must_have_the_line_amount(staff):
    do_import(staff, statement([(slash(-2), "振込 ｻﾄｳ ﾊﾅｺ", 8_000, 0)]))
    line = lines()["振込 ｻﾄｳ ﾊﾅｺ"]
    with pytest.raises(ValidationFailed) as err:
        offline.record_offline_gift(
            donor_id=None, new_donor=offline.NewDonor(
                name="佐藤 花子", name_kana="サトウ ハナコ", postal_code="100-0001",
                address="東京都千代田区1-1", email="h@example.jp"),
            amount=9_000, destination="general", method="direct_transfer",
            money_account="bank:main", received_on=line.booked_on, bank_line_id=line.id,
            staff=staff, lang="en")
    assert "¥8,000" in err.value.errors["amount"]
    assert lines()["振込 ｻﾄｳ ﾊﾅｺ"].state == "unmatched" and keys() == []


def test_the_same_file_twice_is_refused_and_an_overlapping_one_skips_known_lines(staff):
    first = statement([(slash(-5), "振込 ｱｵｷ", 1_000, 0), (slash(-4), "振込 ｲﾄｳ", 2_000, 0)])
    do_import(staff, first, name="april.csv")
    with pytest.raises(Conflict) as err:
        do_import(staff, first, name="april-again.csv")
    assert "april.csv" in err.value.message
    overlapping = statement([(slash(-5), "振込 ｱｵｷ", 1_000, 0), (slash(-4), "振込 ｲﾄｳ", 2_000, 0),
                             (slash(-3), "振込 ｳｴﾀﾞ", 3_000, 0)])
    done = do_import(staff, overlapping, name="may.csv")
    assert (done.added, done.skipped) == (1, 2)
    assert len(lines()) == 3 and db.session.query(BankStatement).count() == 2


def test_the_columns_found_are_saved_for_the_bank_and_reused(staff):
    do_import(staff, statement([(slash(-2), "振込 ｱｵｷ", 1_000, 0)]))
    account = db.session.execute(db.select(BankAccount).filter_by(slug="main")).scalar_one()
    assert account.mapping == {"date": "取引日", "description": "摘要", "deposit": "お預り金額",
                               "withdrawal": "お支払金額", "balance": "差引残高"}
    # A file with other headers no longer reads: the saved columns are expected.
    other = statement([(slash(-1), "振込 ｲﾄｳ", 2_000, 0)],
                      header=("日付", "摘要", "出金", "入金", "残高"))
    with pytest.raises(ValidationFailed) as err:
        do_import(staff, other)
    assert "取引日" in err.value.message
    bank.save_bank_account(slug="main", name="千葉銀行 普通", staff=staff, lang="en", mapping={
        "date": "日付", "description": "摘要", "deposit": "入金", "withdrawal": "出金",
        "balance": "残高"})
    assert do_import(staff, other).added == 1


def test_a_refused_file_stores_nothing(staff):
    bad = statement([(slash(-2), "振込 ｱｵｷ", 1_000, 0)], header=("取引日", "摘要", "お預り金額"))
    with pytest.raises(ValidationFailed):
        do_import(staff, bad)
    db.session.rollback()
    assert db.session.query(BankStatement).count() == 0 and lines() == {}


def test_a_pledge_instalment_is_matched_by_the_company_transfer_name(staff):
    agreement = agreements.create_agreement(
        new_donor=offline.NewDonor(kind="corporation", company_name="株式会社九州電機",
                                   representative="代表取締役 九州 一郎", name="総務 花子",
                                   name_kana="ソウム ハナコ", postal_code="812-0011",
                                   address="福岡県福岡市博多区1-1", email="soumu@kyushu.example"),
        total=1_000_000, destination="project:quantum-scalpel-magnet",
        expected_method="direct_transfer", transfer_name="ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ",
        schedule=[agreements.Planned(day(-1), 500_000), agreements.Planned(day(180), 500_000)],
        staff=staff, lang="en")
    do_import(staff, statement([(slash(-1), "振込 ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ", 500_000, 0)]))
    line = lines()["振込 ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ"]
    best = matching.suggest([line])[line.id][0]
    first = agreement.instalments[0]
    assert (best.kind, best.target_id, best.name_match) == ("instalment", first.id, 2)
    payment = agreements.record_instalment(instalment_id=first.id, received_on=line.booked_on,
                                           amount=line.deposit, money_account="bank:main",
                                           bank_line_id=line.id, staff=staff, lang="en")
    db.session.expire_all()
    assert lines()["振込 ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ"].payment_id == payment.id
    gift_row = db.session.execute(db.select(OfflineGift).filter_by(payment_id=payment.id)).scalar_one()
    assert gift_row.instalment_id == first.id and gift_row.transfer_name == "ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ"
    assert first.gift.payment_id == payment.id and agreement.received == 500_000
    assert balances()["fund:project:quantum-scalpel-magnet"] == 500_000


def test_a_stripe_payout_is_matched_by_amount_and_date_and_booked_once(staff):
    payout = StripePayout(stripe_payout_id="po_test_1", amount=123_456, stripe_status="in_transit",
                          arrival_on=day(-1))
    db.session.add(payout)
    db.session.commit()
    # Whatever name the bank prints for Stripe, the amount and date decide.
    do_import(staff, statement([(slash(0), "ｽﾄﾗｲﾌﾟｼﾞﾔﾊﾟﾝ(ｶ", 123_456, 0),
                                (slash(0), "ｿﾉﾀ ﾆﾕｳｷﾝ", 123_456, 0),
                                (slash(-20), "ﾌﾙｲ ﾆﾕｳｷﾝ", 123_456, 0)]))
    found = lines()
    options = matching.suggest(list(found.values()))
    assert [s.kind for s in options[found["ｽﾄﾗｲﾌﾟｼﾞﾔﾊﾟﾝ(ｶ"].id]] == ["payout"]
    assert [s.kind for s in options[found["ｿﾉﾀ ﾆﾕｳｷﾝ"].id]] == ["payout"]
    assert options[found["ﾌﾙｲ ﾆﾕｳｷﾝ"].id] == []  # twenty days before its arrival
    bank.confirm_payout(line_id=found["ｽﾄﾗｲﾌﾟｼﾞﾔﾊﾟﾝ(ｶ"].id, payout_id=payout.id, staff=staff,
                        lang="en")
    assert keys() == ["payout:po_test_1"]
    assert balances() == {"bank:main": 123_456, "stripe": -123_456}
    with pytest.raises(Conflict):
        bank.confirm_payout(line_id=found["ｿﾉﾀ ﾆﾕｳｷﾝ"].id, payout_id=payout.id, staff=staff,
                            lang="en")
    assert keys() == ["payout:po_test_1"]
