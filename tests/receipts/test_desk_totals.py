"""The desk adds up: valid totals only, voids apart, fiscal years by each gift's date,
and a CSV with one row per gift and the columns an accountant reconciles with."""
import csv
import io
from datetime import date, datetime, timezone

import pytest

from fund.accounting.models import StripePayout, StripeTxn
from fund.core.extensions import db
from fund.receipts import annual as receipt_annual
from fund.receipts import bulk as receipt_jobs
from fund.receipts import desk
from fund.receipts import issuing as receipts
from tests.receipts.helpers import ACTOR, donor, paid_gift


def _at(y, m, d):
    return datetime(y, m, d, 3, tzinfo=timezone.utc)


@pytest.fixture
def books(ctx):
    kept = receipts.issue_for_donation(donation=paid_gift(amount=5000, at=_at(2025, 5, 1)),
                                       actor=ACTOR)
    gone = receipts.issue_for_donation(donation=paid_gift(amount=300000, at=_at(2025, 6, 1)),
                                       actor=ACTOR)
    db.session.commit()
    receipts.void(receipt=gone, reason="対象外の寄附", actor=ACTOR)
    monthly = donor(company_name="株式会社量子", kind="corporation", representative="代表取締役 量子 一郎",
                    receipt_preference="annual")
    early = paid_gift(donor_row=monthly, amount=3000, at=_at(2025, 2, 10))
    late = paid_gift(donor_row=monthly, amount=7000, at=_at(2025, 5, 10))
    early.payments[0].fee, early.payments[0].stripe_payment_intent_id = 108, "pi_early"
    payout = StripePayout(stripe_payout_id="po_2025_02", amount=2892, arrival_on=date(2025, 2, 14))
    db.session.add(payout)
    db.session.flush()
    db.session.add(StripeTxn(stripe_txn_id="txn_early", amount=3000, fee=108, net=2892,
                             created=_at(2025, 2, 10), payment_id=early.payments[0].id,
                             payout_id=payout.id))
    summary = receipt_annual.issue_annual(donor=monthly, year=2025, actor=ACTOR)
    return {"kept": kept, "gone": gone, "summary": summary, "early": early, "late": late}


def test_totals_count_valid_receipts_only_and_show_voids_apart(books):
    found = desk.totals(receipt_jobs.receipt_query(year=2025))
    assert found["valid"] == (2, 5000 + 10000)
    assert found["void"] == (1, 300000)


def test_fiscal_year_counts_an_annual_summary_by_each_gifts_date(books):
    fy24 = receipt_jobs.receipt_query(fiscal_year=2024)
    fy25 = receipt_jobs.receipt_query(fiscal_year=2025)
    # The summary's February gift is FY2024, its May gift FY2025: never 10,000 in both.
    assert desk.totals(fy24, window=receipt_jobs.fiscal_bounds(2024))["valid"] == (1, 3000)
    assert desk.totals(fy25, window=receipt_jobs.fiscal_bounds(2025))["valid"] == (2, 5000 + 7000)


def test_desk_page_shows_valid_total_and_void_apart(client, books, sign_in):
    sign_in("accountant")
    page = client.get("/accountant/?year=2025").get_data(as_text=True)
    assert "合計 Total ¥15,000" in page
    assert "¥300,000, not in the total" in page
    fy = client.get("/accountant/?fiscal_year=2024").get_data(as_text=True)
    assert "合計 Total ¥3,000" in fy


def _csv(client, **args):
    response = client.get("/accountant/receipts.csv", query_string=args)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_has_one_row_per_gift_and_the_reconciling_columns(client, books, sign_in):
    sign_in("accountant")
    rows = _csv(client, year=2025)
    number = books["summary"].number
    summary_rows = [r for r in rows if r["number"] == f'="{number}"']
    assert [r["gift_amount"] for r in summary_rows] == ["3000", "7000"]
    early = summary_rows[0]
    assert early["donor_kind"] == "corporation"
    assert early["representative"] == "代表取締役 量子 一郎"
    assert early["address"].startswith("千葉県")
    assert early["postal_code"] == '="263-8555"'
    assert early["designation"] == "general"
    assert early["method"] == "card"
    assert early["stripe_payment_id"] == '="pi_early"'
    assert early["fee"] == "108"
    assert early["payout"] == '="po_2025_02"'
    assert early["payout_arrival_on"] == "2025-02-14"
    assert early["receipt_amount"] == "10000"
    void_row = next(r for r in rows if r["number"] == f'="{books["gone"].number}"')
    assert void_row["status"] == "void" and void_row["void_reason"] == "対象外の寄附"
    # In a fiscal year only the gifts received in it are listed.
    fy24 = _csv(client, fiscal_year=2024)
    assert [r["gift_amount"] for r in fy24 if r["number"] == f'="{number}"'] == ["3000"]


def test_csv_names_the_receipt_a_reissue_replaces(client, books, sign_in):
    sign_in("accountant")
    late = paid_gift(donor_row=books["summary"].donor, amount=1000, at=_at(2025, 12, 20))
    assert late
    reissued = receipt_annual.issue_annual(donor=books["summary"].donor, year=2025, actor=ACTOR)
    rows = _csv(client, year=2025)
    mine = [r for r in rows if r["number"] == f'="{reissued.number}"']
    assert mine and all(r["replaces"] == f'="{books["summary"].number}"' for r in mine)


def test_csv_needs_a_period_and_guards_formula_names(client, ctx, sign_in):
    sign_in("accountant")
    assert client.get("/accountant/receipts.csv").status_code == 422
    receipts.issue_for_donation(donation=paid_gift(donor_row=donor(name=" =1+2"),
                                                   at=_at(2025, 7, 1)), actor=ACTOR)
    db.session.commit()
    rows = _csv(client, year=2025)
    assert rows[0]["donor"] == "' =1+2"
