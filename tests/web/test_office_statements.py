"""The funds' statements: a fiscal year or a period, every line linked to its cause, a CSV."""
import csv
import io
from datetime import date, datetime, timezone

import pytest

from fund.core.extensions import db
from fund.ledger import accounts, balances, bookings, statements
from fund.ledger.models import Category
from fund.ledger.posting import Cr, Dr, post, post_reversal
from tests.factories import ProjectFactory, RefundFactory, paid_gift

ACTOR = "system:test"


def books():
    """FY2025 and FY2026 gifts to a project, a fee, a refund, an allocation and its reversal."""
    project = ProjectFactory(slug="camp", title_ja="サイエンスキャンプ", title_en="Science camp")
    old = paid_gift(amount=7_000, at=datetime(2026, 3, 31, 15, 30, tzinfo=timezone.utc),  # 1 April JST
                    designation="project", project=project).payments[0]
    late = paid_gift(amount=2_000, at=datetime(2026, 3, 31, 10, 0, tzinfo=timezone.utc),  # 31 March
                     designation="project", project=project).payments[0]
    general = paid_gift(amount=50_000, at=datetime(2026, 5, 1, 3, 0, tzinfo=timezone.utc)).payments[0]
    for payment in (old, late, general):
        bookings.book_gift(payment, actor=ACTOR)
    old.fee = 252
    bookings.book_fee(old, actor=ACTOR)
    bookings.book_refund(RefundFactory(payment=old, amount=1_000), actor=ACTOR,
                         day=date(2026, 6, 1))
    allocation = post(key="alloc:test-1", category=Category.ALLOCATION,
                      lines=[Dr(accounts.general(), 30_000),
                             Cr(accounts.for_project(project), 30_000)],
                      actor=ACTOR, effective_date=date(2026, 7, 1), memo="機器購入の一部")
    post(key="alloc:test-2", category=Category.ALLOCATION,
         lines=[Dr(accounts.general(), 5_000), Cr(accounts.for_project(project), 5_000)],
         actor=ACTOR, effective_date=date(2026, 7, 2), memo="誤り")
    mistaken = db.session.execute(db.select(statements.Entry).filter_by(key="alloc:test-2")).scalar_one()
    post_reversal(mistaken, key="reversal:test-2", actor=ACTOR, effective_date=date(2026, 7, 3))
    db.session.commit()
    return project, old, allocation


def test_a_fiscal_year_statement_adds_up(ctx):
    project, old, _ = books()
    account = accounts.for_project(project)
    start, end = balances.fiscal_year(2026)
    result = statements.for_fund(account, start, end)
    assert (result.opening, result.closing) == (2_000, 2_000 + 7_000 - 252 - 1_000 + 30_000)
    assert result.totals["received"] == 7_000 and result.totals["fees"] == -252
    assert result.totals["returned"] == -1_000
    assert result.totals["allocated"] == 35_000 and result.totals["reversed"] == -5_000
    assert (result.allocated_in, result.allocated_out) == (35_000, 0)
    assert result.opening + result.change == result.closing
    assert [line.category for line in result.lines] == [
        "gift", "fee", "refund", "allocation", "allocation", "reversal"]
    assert result.lines[0].donation_id == old.donation_id  # the gift
    assert result.lines[2].donation_id == old.donation_id  # its refund
    assert result.lines[-1].balance == result.closing
    earlier = statements.for_fund(account, *balances.fiscal_year(2025))
    assert (earlier.opening, earlier.closing, len(earlier.lines)) == (0, 2_000, 1)
    paged = statements.for_fund(account, start, end, limit=2, offset=2)
    assert [line.category for line in paged.lines] == ["refund", "allocation"]
    assert paged.lines[-1].balance == result.lines[3].balance


def test_the_page_shows_a_period_with_links_to_the_causes(client, sign_in):
    project, old, _ = books()
    sign_in("accountant")
    page = client.get("/office/ledger/statements/project/camp?fy=2026").get_data(as_text=True)
    assert "サイエンスキャンプ" in page and "2026/04/01 – 2027/03/31" in page
    assert f'href="/office/donations/{old.donation_id}"' in page
    assert "¥37,748" in page  # the closing balance
    general = client.get("/office/ledger/statements/general?from=2026-07-01&to=2026-07-31")
    assert general.status_code == 200 and "alloc:test-1" in general.get_data(as_text=True)
    index = client.get("/office/ledger/statements/").get_data(as_text=True)
    assert "fund:project:camp" in index and "¥37,748" in index


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01&to=2026-12-31", "Write the date as 2026-04-01."),
    ("from=2026-05-01&to=2026-04-01", "ends (2026-04-01) before it starts (2026-05-01)"),
    ("from=2026-05-01", "needs both a first day"),
    ("fy=1800", "no fiscal year 1800"),
])
def test_a_malformed_period_is_refused_with_a_message(client, sign_in, query, message):
    books()
    sign_in("office")
    client.get("/office/ledger/statements/?lang=en")
    response = client.get(f"/office/ledger/statements/project/camp?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    csv_response = client.get(f"/office/ledger/statements/project/camp.csv?{query}")
    assert csv_response.status_code == 422 and message in csv_response.get_data(as_text=True)


def test_an_unknown_project_is_not_found(client, sign_in):
    sign_in("office")
    assert client.get("/office/ledger/statements/project/nowhere?fy=2026").status_code == 404
    assert client.get("/office/ledger/statements/planet/camp").status_code == 404


def test_the_csv_has_a_bom_every_line_and_no_formula(client, sign_in):
    project, old, _ = books()
    db.session.commit()
    post(key="alloc:test-3", category=Category.ALLOCATION,
         lines=[Dr(accounts.general(), 100), Cr(accounts.for_project(project), 100)],
         actor=ACTOR, effective_date=date(2026, 8, 1), memo="=HYPERLINK(\"http://x\")")
    db.session.commit()
    sign_in("office")
    response = client.get("/office/ledger/statements/project/camp.csv?fy=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["date", "entry", "key", "category", "memo", "amount"]
    assert rows[1][3] == "opening" and rows[1][6] == "2000"
    assert rows[-1][3] == "closing" and rows[-1][6] == "37848"
    body = rows[2:-1]
    assert len(body) == 7 and sum(int(row[5]) for row in body) == 37848 - 2000
    assert [row for row in body if row[4].startswith("'=HYPERLINK")]
    assert any(row[9] == str(old.donation_id) for row in body)
