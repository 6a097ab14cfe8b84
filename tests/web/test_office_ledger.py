"""The office's ledger pages: allocate, spend, approve, reverse; each bad input refused."""
import io
from datetime import date

import pytest

from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.ledger import allocations
from fund.ledger.models import Allocation, Category, Entry, Spend
from fund.ledger.posting import Cr, Dr, post
from fund.staff.services import create_staff
from tests.factories import CampaignFactory, ProjectFactory
from tests.ledger.helpers import balances
from tests.support.forms import CSRF

PDF = b"%PDF-1.4\n%%EOF\n"


def token(client, url):
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


@pytest.fixture
def books(ctx):
    scalpel = ProjectFactory(slug="quantum-scalpel")
    camp = ProjectFactory(slug="science-camp")
    closed = ProjectFactory(slug="old-study", status="closed")
    CampaignFactory(slug="virus", project=camp)
    db.session.commit()
    for key, account, amount in (("gift:1", "fund:general", 500_000),
                                 ("gift:2", "fund:campaign:virus", 40_000)):
        post(key=key, category=Category.GIFT, lines=[Dr("bank:main", amount), Cr(account, amount)],
             actor="system", effective_date=date(2026, 5, 1))
    db.session.commit()
    return {"scalpel": scalpel.id, "camp": camp.id, "closed": closed.id}


def english(client):
    client.get("/office/ledger/?lang=en")


def allocate(client, **fields):
    data = {"source": "fund:general", "amount": "８０，０００", "memo": "磁場測定装置",
            "csrf_token": token(client, "/office/ledger/allocate"), **fields}
    return client.post("/office/ledger/allocate", data=data)


def test_the_office_allocates_with_full_width_digits(client, sign_in, books):
    sign_in("office")
    english(client)
    response = allocate(client, project_id=books["scalpel"])
    assert response.status_code == 302
    assert balances()["fund:project:quantum-scalpel"] == 80_000
    page = client.get("/office/ledger/").get_data(as_text=True)
    assert "Allocation of ¥80,000 booked." in page and "fund:project:quantum-scalpel" in page


@pytest.mark.parametrize("fields, problem", [
    ({"amount": "500001"}, "holds ¥500,000"),
    ({"amount": "0"}, "above ¥0"),
    ({"amount": "-5"}, "whole yen"),
    ({"amount": "abc"}, "whole yen"),
    ({"project": "closed"}, "is closed"),
    ({"source": "fund:campaign:virus"}, "only to its own project"),
    ({"memo": ""}, "Write a memo"),
])
def test_each_bad_allocation_is_refused_with_its_message(client, sign_in, books, fields,
                                                         problem):
    sign_in("office")
    english(client)
    project = books[fields.pop("project", "scalpel")]
    before = balances()
    response = allocate(client, project_id=project, **fields)
    assert response.status_code in (409, 422)
    assert problem in response.get_data(as_text=True)
    assert balances() == before and db.session.query(Allocation).count() == 0


def test_a_large_allocation_is_approved_by_another_admin_only(client, sign_in, books):
    admin = sign_in("admin").user
    english(client)
    assert allocate(client, project_id=books["scalpel"], amount="３００，０００").status_code == 302
    row = db.session.query(Allocation).one()
    assert row.state == "pending" and "fund:project:quantum-scalpel" not in balances()
    page = client.get("/office/ledger/").get_data(as_text=True)
    assert f"allocation-{row.id}" in page and f"/allocations/{row.id}/approve" not in page
    csrf = token(client, "/office/ledger/")
    client.post(f"/office/ledger/allocations/{row.id}/approve", data={"csrf_token": csrf})
    page = client.get("/office/ledger/").get_data(as_text=True)
    assert "another admin must approve" in page
    db.session.expire_all()
    assert db.session.get(Allocation, row.id).state == "pending"

    other = create_staff("second-admin@qst.example", "Second", "admin", "pw-for-tests")
    mine = allocations.allocate(source="fund:general", project=books["scalpel"], amount=250_000,
                                memo="装置", staff=other)
    assert client.post(f"/office/ledger/allocations/{mine.id}/approve",
                       data={"csrf_token": csrf, "note": "OK"}).status_code == 302
    assert balances()["fund:project:quantum-scalpel"] == 250_000
    assert "approved" in [a.action.split(".")[1] for a in db.session.query(AuditEntry)]


def test_office_staff_cannot_approve_and_accountants_only_read(client, sign_in, books):
    sign_in("accountant")
    page = client.get("/office/ledger/")
    assert page.status_code == 200 and "勘定と残高" in page.get_data(as_text=True)
    assert "配分する" not in page.get_data(as_text=True)
    assert client.get("/office/ledger/allocate").status_code == 403
    response = client.post("/office/ledger/allocate", data={
        "csrf_token": token(client, "/office/ledger/"), "source": "fund:general",
        "project_id": books["scalpel"], "amount": "1000", "memo": "m"})
    assert response.status_code == 403 and db.session.query(Allocation).count() == 0


def spend(client, **fields):
    data = {"project_id": "", "vendor": "東陽テクニカ", "invoice_number": "INV-7",
            "spent_on": "２０２６／０５／１０", "amount": "１２，０００", "memo": "プローブ",
            "csrf_token": token(client, "/office/ledger/spend"), **fields}
    return client.post("/office/ledger/spend", data=data, content_type="multipart/form-data")


def test_a_spend_with_its_invoice_pdf_then_reversed(client, sign_in, books):
    user = sign_in("office").user
    english(client)
    allocations.allocate(source="fund:general", project=books["scalpel"], amount=50_000,
                         memo="m", staff=user)
    response = spend(client, project_id=books["scalpel"],
                     attachment=(io.BytesIO(PDF), "invoice.pdf"))
    assert response.status_code == 302
    row = db.session.query(Spend).one()
    assert balances()["fund:project:quantum-scalpel"] == 38_000
    invoice = client.get(f"/office/ledger/spends/{row.id}/invoice.pdf")
    assert invoice.data == PDF and invoice.mimetype == "application/pdf"

    page = client.get(f"/office/ledger/entries/{row.entry_id}/reverse").get_data(as_text=True)
    assert "Book the reversal" in page and "¥12,000" in page
    csrf = token(client, f"/office/ledger/entries/{row.entry_id}")
    refused = client.post(f"/office/ledger/entries/{row.entry_id}/reverse",
                          data={"csrf_token": csrf, "reason": ""})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    done = client.post(f"/office/ledger/entries/{row.entry_id}/reverse",
                       data={"csrf_token": csrf, "reason": "請求書の誤り"})
    assert done.status_code == 302
    assert balances()["fund:project:quantum-scalpel"] == 50_000
    reversal = db.session.query(Entry).filter_by(reverses_id=row.entry_id).one()
    page = client.get(f"/office/ledger/entries/{row.entry_id}").get_data(as_text=True)
    assert f"Entry {reversal.id}" in page
    again = client.post(f"/office/ledger/entries/{reversal.id}/reverse",
                        data={"csrf_token": csrf, "reason": "x"})
    assert again.status_code == 400
    assert "a reversal cannot be reversed" in again.get_data(as_text=True)


@pytest.mark.parametrize("fields, problem", [
    ({"amount": "50001"}, "cannot spend"),
    ({"vendor": ""}, "vendor"),
    ({"invoice_number": ""}, "invoice number"),
    ({"spent_on": "2099/01/01"}, "cannot be in the future"),
    ({"spent_on": "someday"}, "Write the date"),
    ({"attachment": (io.BytesIO(b"<html>"), "invoice.pdf")}, "not a PDF"),
])
def test_each_bad_spend_is_refused_with_its_message(client, sign_in, books, fields, problem):
    user = sign_in("office").user
    english(client)
    allocations.allocate(source="fund:general", project=books["scalpel"], amount=50_000,
                         memo="m", staff=user)
    before = balances()
    response = spend(client, project_id=books["scalpel"], **fields)
    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)
    assert balances() == before and db.session.query(Spend).count() == 0
