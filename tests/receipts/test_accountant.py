"""The accountant's desk: filters, one PDF, a period as a ZIP, annual summaries, jobs."""
import csv
import io
import time
import zipfile
from datetime import datetime, timezone

import pytest

from fund.core.extensions import db
from fund.campaigns.models import Campaign
from fund.receipts.models import Receipt, ReceiptJob
from fund.receipts import bulk as receipt_jobs
from fund.receipts import issuing as receipts
from tests.receipts.helpers import ACTOR, donor, paid_gift, pdf_text


def _gift_at(y, m, d, **kw):
    gift = paid_gift(at=datetime(y, m, d, 3, tzinfo=timezone.utc), **kw)
    receipt = receipts.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    return receipt


@pytest.fixture
def book(ctx, seeded):
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    rows = {
        "mar25": _gift_at(2025, 3, 20),
        "apr25": _gift_at(2025, 4, 2, designation="campaign", campaign=campaign),
        "dec25": _gift_at(2025, 12, 1, donor_row=donor(name="=HYPERLINK(\"x\")")),
        "feb26": _gift_at(2026, 2, 10),
        "apr26": _gift_at(2026, 4, 1),
    }
    receipts.void(receipt=rows["feb26"], reason="テスト", actor=ACTOR)
    return rows, campaign


def _numbers(client, **args):
    page = client.get("/accountant/", query_string=args)
    assert page.status_code == 200
    return {r.number for r in db.session.execute(db.select(Receipt)).scalars()
            if f'data-receipt="{r.number}"' in page.get_data(as_text=True)}


def test_desk_needs_the_accountant_role(client, ctx, sign_in):
    assert client.get("/accountant/").status_code == 302  # to the sign-in page
    sign_in("office")
    assert client.get("/accountant/").status_code == 403


def test_filters_by_year_fiscal_year_campaign_status(client, book, sign_in):
    rows, campaign = book
    sign_in("accountant")
    n = {k: v.number for k, v in rows.items()}
    assert _numbers(client, year=2025) == {n["mar25"], n["apr25"], n["dec25"]}
    assert _numbers(client, fiscal_year=2025) == {n["apr25"], n["dec25"], n["feb26"]}
    assert _numbers(client, campaign_id=campaign.id) == {n["apr25"]}
    assert _numbers(client, status="void") == {n["feb26"]}
    assert client.get("/accountant/?year=abc").status_code == 422


def test_download_one_pdf(client, book, sign_in):
    rows, _ = book
    sign_in("accountant")
    response = client.get(f"/accountant/receipts/{rows['apr25'].id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert rows["apr25"].number in pdf_text(response.data)


def test_export_fiscal_year_zip_with_csv_index(client, book, sign_in, inline_jobs):
    rows, _ = book
    token = sign_in("accountant").csrf
    response = client.post("/accountant/exports", data={"fiscal_year": "2025",
                                                         "csrf_token": token})
    assert response.status_code == 302
    job = db.session.execute(db.select(ReceiptJob)).scalar_one()
    assert job.state == "done" and job.done == job.total == 3
    status = client.get(f"/accountant/jobs/{job.id}.json").get_json()
    assert status["percent"] == 100 and status["download"]
    archive = zipfile.ZipFile(io.BytesIO(client.get(status["download"]).data))
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    for row in index:  # written as ="…" so that a spreadsheet keeps it as text
        assert row["number"].startswith('="')
        row["number"] = row["number"][2:-1]
    assert [r["number"] for r in index] == [rows[k].number for k in ("apr25", "dec25", "feb26")]
    for row in index:
        data = archive.read(row["file"])
        import hashlib
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["number"] in pdf_text(data)
    by_number = {r["number"]: r for r in index}
    assert by_number[rows["feb26"].number]["status"] == "void"
    assert by_number[rows["feb26"].number]["sha256"] == rows["feb26"].void_sha256
    assert by_number[rows["apr25"].number]["sha256"] == rows["apr25"].sha256
    # A formula-looking donor name is text in the spreadsheet.
    assert by_number[rows["dec25"].number]["donor"].startswith("'=")


def test_export_needs_a_period(client, book, sign_in):
    token = sign_in("accountant").csrf
    response = client.post("/accountant/exports", data={"status": "valid", "csrf_token": token})
    assert response.status_code == 422


@pytest.mark.usefixtures("after_year_end")
def test_annual_summaries_in_bulk(client, ctx, sign_in, inline_jobs):
    supporters = [donor(receipt_preference="annual") for _ in range(3)]
    for person in supporters:
        for month in (1, 6, 11):
            paid_gift(person, amount=2000, at=datetime(2026, month, 5, tzinfo=timezone.utc))
    paid_gift(donor(), at=datetime(2026, 2, 5, tzinfo=timezone.utc))  # per-gift donor
    db.session.commit()
    token = sign_in("accountant").csrf
    client.post("/accountant/annual", data={"year": "2026", "csrf_token": token})
    job = db.session.execute(db.select(ReceiptJob)).scalar_one()
    assert job.state == "done", job.message
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/accountant/jobs/{job.id}/download").data))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 3
    text = "".join(pdf_text(archive.read(pdfs[0])).split())
    assert "年間寄附金受領証明書" in text and "金6,000円" in text
    summaries = db.session.execute(db.select(Receipt)).scalars().all()
    assert all(r.sha256 for r in summaries) and len(summaries) == 3


def test_background_job_reports_progress_until_done(app, client, ctx, sign_in):
    for i in range(3):
        paid_gift(amount=1000 + i, at=datetime(2026, 3, 1 + i, tzinfo=timezone.utc))
    db.session.commit()
    token = sign_in("accountant").csrf
    response = client.post("/accountant/issue", data={"year": "2026", "csrf_token": token})
    job_url = response.headers["Location"]
    assert "progressbar" in client.get(job_url).get_data(as_text=True)
    deadline = time.monotonic() + 60
    while True:
        status = client.get(job_url + ".json").get_json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["state"] == "done" and status["done"] == status["total"] == 3
    assert "3 receipts" in status["message"]
    db.session.expire_all()
    numbers = sorted(r.number for r in db.session.execute(db.select(Receipt)).scalars())
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]


@pytest.mark.usefixtures("after_year_end")
def test_issue_year_is_idempotent_and_respects_preference(ctx):
    per_gift = paid_gift(at=datetime(2026, 1, 9, tzinfo=timezone.utc))
    supporter = donor(receipt_preference="annual")
    paid_gift(supporter, at=datetime(2026, 2, 9, tzinfo=timezone.utc))
    paid_gift(donor(receipt_preference="none"), at=datetime(2026, 2, 9, tzinfo=timezone.utc))
    no_receipt = paid_gift(wants_receipt=False, at=datetime(2026, 2, 9, tzinfo=timezone.utc))
    db.session.commit()
    seen = []
    counts = receipt_jobs.issue_year(year=2026, actor=ACTOR,
                                     progress=lambda d, t: seen.append((d, t)))
    assert counts == {"single": 1, "annual": 1}
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert receipts.covering_receipt(per_gift).kind == "single"
    assert receipts.covering_receipt(no_receipt) is None
    assert receipt_jobs.issue_year(year=2026, actor=ACTOR) == {"single": 0, "annual": 0}
