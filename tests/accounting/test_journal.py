"""The fiscal year's journal in the accountants' 勘定科目, and files that read back the same."""
from datetime import date

import pytest

from fund.accounting import journal, journal_files
from fund.accounting.models import JournalExport
from fund.campaigns.models import Project
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.ledger import accounts, bookings
from fund.ledger.models import Category
from fund.ledger.posting import Cr, Dr, post, post_reversal
from fund.staff.services import create_staff

SCALPEL = "fund:project:quantum-scalpel-magnet"


@pytest.fixture
def staff(ctx, seeded):
    return create_staff("accountant@qst.example", "Accountant", "accountant", "pw-for-tests")


def book(key, category, lines, day, **extra):
    entry = post(key=key, category=category, lines=lines, actor="test", effective_date=day,
                 memo=extra.pop("memo", key), **extra)
    db.session.commit()
    return entry


@pytest.fixture
def year(staff):
    """FY2026: a card gift and its fee, a bank gift, a payout, an allocation, a spend on
    equipment, a refund, and one spend reversed; and entries just outside the year."""
    bank, stripe, general = "bank:main", "stripe", "fund:general"
    book("gift:1", Category.GIFT, [Dr(stripe, 100_000), Cr(SCALPEL, 100_000)], date(2026, 4, 1),
         memo="寄附 𠮷田 花子")
    book("fee:1", Category.FEE, [Dr(SCALPEL, 3_600), Cr(stripe, 3_600)], date(2026, 4, 1))
    book("gift:2", Category.GIFT, [Dr(bank, 500_000), Cr(general, 500_000)], date(2026, 5, 1))
    book("payout:po_1", Category.PAYOUT, [Dr(bank, 96_400), Cr(stripe, 96_400)], date(2026, 4, 5))
    book("alloc:1", Category.ALLOCATION, [Dr(general, 300_000), Cr(SCALPEL, 300_000)],
         date(2026, 6, 1))
    book("spend:1", Category.SPEND, [Dr(SCALPEL, 250_000), Cr(bank, 250_000)], date(2026, 7, 1),
         fixed_asset=True, memo="磁場測定装置")
    wrong = book("spend:2", Category.SPEND, [Dr(general, 10_000), Cr(bank, 10_000)],
                 date(2026, 8, 1))
    post_reversal(wrong, key="reversal:spend:2", actor="test", effective_date=date(2026, 8, 2))
    db.session.commit()
    book("gift:3", Category.GIFT, [Dr(bank, 7_000), Cr(general, 7_000)], date(2027, 3, 31))
    book("gift:4", Category.GIFT, [Dr(bank, 9_000), Cr(general, 9_000)], date(2027, 4, 1))
    book("gift:0", Category.GIFT, [Dr(bank, 1_000), Cr(general, 1_000)], date(2026, 3, 31))
    return 2026


def pairs(rows):
    return [(r.debit.account, r.credit.account, r.amount, r.reference) for r in rows]


def test_the_year_in_the_accountants_terms(year):
    rows = journal.rows_for_year(year)
    assert pairs(rows) == [
        ("預け金", "預り寄附金", 100_000, "gift:1"),
        ("支払手数料", "預け金", 3_600, "fee:1"),
        ("預り寄附金", "寄附金収益", 3_600, "fee:1"),
        ("普通預金", "預け金", 96_400, "payout:po_1"),
        ("普通預金", "預り寄附金", 500_000, "gift:2"),
        ("預り寄附金", "預り寄附金", 300_000, "alloc:1"),
        ("工具器具備品", "普通預金", 250_000, "spend:1"),
        ("預り寄附金", "寄附金収益", 250_000, "spend:1"),
        ("事業費", "普通預金", 10_000, "spend:2"),
        ("預り寄附金", "寄附金収益", 10_000, "spend:2"),
        ("普通預金", "事業費", 10_000, "reversal:spend:2"),
        ("寄附金収益", "預り寄附金", 10_000, "reversal:spend:2"),
        ("普通預金", "預り寄附金", 7_000, "gift:3"),
    ]
    allocation = rows[5]
    assert allocation.debit.sub_account == "fund:general"
    assert allocation.credit.sub_account.startswith("量子メス")
    assert [r.fixed_asset for r in rows if r.reference == "spend:1"] == [True, True]
    assert rows[2].credit.sub_account.startswith("量子メス")  # 寄附金収益 of that fund


def test_each_fund_can_map_to_its_own_account(year, staff):
    journal.save_mapping(key=SCALPEL, account="預り寄附金", sub_account="量子メス装置", tax="対象外",
                         staff=staff, lang="en")
    journal.save_mapping(key="expense:spend", account="研究事業費", sub_account="", tax="対象外",
                         staff=staff, lang="en")
    rows = journal.rows_for_year(year)
    assert rows[0].credit.sub_account == "量子メス装置"
    assert ("研究事業費", "普通預金", 10_000, "spend:2") in pairs(rows)
    table = {r["key"]: r for r in journal.mapping_rows()}
    assert table[SCALPEL]["edited"] and table[SCALPEL]["sub_account"] == "量子メス装置"
    assert table["fund:*"]["account"] == "預り寄附金" and not table["fund:*"]["edited"]


def test_the_yayoi_file_parses_back_with_the_ledgers_totals(year, staff):
    name, written = journal.export(fiscal_year=year, fmt="yayoi", staff=staff, lang="en")
    assert name == "journal-FY2026-yayoi-sjis.csv"
    back = journal_files.read_yayoi(written.data)
    rows = journal.rows_for_year(year)
    # The allocation stays, between two 補助科目 of 預り寄附金.
    assert back.rows == len(rows) == 13
    assert back.debit_total == back.credit_total == written.total == sum(r.amount for r in rows)
    # 普通預金 moved as the bank account did in the year.
    debits, credits = back.accounts["普通預金"]
    assert debits - credits == 96_400 + 500_000 - 250_000 - 10_000 + 10_000 + 7_000
    assert back.accounts["支払手数料"] == (3_600, 0)
    assert back.accounts["寄附金収益"] == (10_000, 3_600 + 250_000 + 10_000)
    assert back.accounts["工具器具備品"] == (250_000, 0)
    assert written.replaced == [("𠮷", "吉")]
    export = db.session.execute(db.select(JournalExport)).scalar_one()
    assert (export.fiscal_year, export.format, export.rows, export.replaced) == (
        2026, "yayoi", back.rows, 1)


def test_the_plain_csv_keeps_every_character(year, staff):
    _, written = journal.export(fiscal_year=year, fmt="plain", staff=staff, lang="en")
    back = journal_files.read_plain(written.data)
    assert back.rows == 13 and back.debit_total == written.total
    assert "寄附 𠮷田 花子" in written.data.decode("utf-8-sig")


@pytest.mark.parametrize("fiscal_year, fmt", [(None, "yayoi"), (1999, "yayoi"),
                                              (2026, "freee")])
def test_a_bad_year_or_format_is_refused(staff, fiscal_year, fmt):
    with pytest.raises(ValidationFailed):
        journal.export(fiscal_year=fiscal_year, fmt=fmt, staff=staff, lang="en")
    assert db.session.query(JournalExport).count() == 0


def test_unknown_mapping_keys_and_empty_accounts_are_refused(staff):
    with pytest.raises(ValidationFailed):
        journal.save_mapping(key="paypal", account="預け金", sub_account="", tax="",
                             staff=staff, lang="en")
    with pytest.raises(ValidationFailed):
        journal.save_mapping(key="stripe", account=" ", sub_account="", tax="", staff=staff,
                             lang="en")


def test_fiscal_years():
    assert journal.fiscal_year_of(date(2026, 4, 1)) == 2026
    assert journal.fiscal_year_of(date(2027, 3, 31)) == 2026
    assert journal.fiscal_year_span(2026) == (date(2026, 4, 1), date(2027, 3, 31))


def test_card_fees_booked_by_the_ledger_map_to_fees(staff):
    from tests.factories import paid_gift
    payment = paid_gift(amount=5_000).payments[0]
    payment.fee = 180
    project = db.session.execute(db.select(Project).filter_by(
        slug="quantum-scalpel-magnet")).scalar_one()
    assert accounts.for_project(project) is not None
    bookings.book_fee(payment, actor="test")
    db.session.commit()
    rows = journal.rows_for_year(2026)
    assert ("支払手数料", "預け金", 180, f"fee:{payment.id}") in pairs(rows)
