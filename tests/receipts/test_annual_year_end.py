"""An annual summary covers a finished year only: refused before 1 January (JST)."""
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

from fund.core.errors import Conflict
from fund.core.extensions import db
from fund.receipts import annual as receipt_annual
from fund.receipts import bulk as receipt_jobs
from fund.receipts.models import Receipt, ReceiptJob
from tests.receipts.helpers import ACTOR, donor, paid_gift

NOVEMBER = "2026-11-20 03:00:00"
# 31 December 23:30 JST is still 2026; 1 January 00:30 JST is the first moment allowed.
LAST_MINUTE = "2026-12-31 14:30:00"
FIRST_MINUTE = "2026-12-31 15:30:00"


@pytest.fixture
def monthly(ctx):
    row = donor(receipt_preference="annual")
    paid_gift(donor_row=row, amount=3000, at=datetime(2026, 3, 1, 3, tzinfo=timezone.utc))
    paid_gift(donor_row=row, amount=3000, at=datetime(2026, 4, 1, 3, tzinfo=timezone.utc))
    db.session.commit()
    return row


def _receipts():
    return db.session.execute(db.select(db.func.count(Receipt.id))).scalar()


@pytest.mark.parametrize("moment", [NOVEMBER, LAST_MINUTE])
def test_summary_of_the_current_year_is_refused_and_nothing_changes(monthly, moment):
    with freeze_time(moment):
        with pytest.raises(Conflict, match="1 January 2027") as refused:
            receipt_annual.issue_annual(donor=monthly, year=2026, actor=ACTOR)
    assert refused.value.code == "year_not_finished"
    assert "途中経過" in refused.value.message
    assert _receipts() == 0


def test_summary_is_issued_from_the_first_minute_of_january_jst(monthly):
    with freeze_time(FIRST_MINUTE):
        summary = receipt_annual.issue_annual(donor=monthly, year=2026, actor=ACTOR)
    assert summary.amount == 6000 and str(summary.issued_on) == "2027-01-01"


def test_issuing_the_current_year_in_bulk_skips_the_summaries(monthly):
    with freeze_time(NOVEMBER):
        assert receipt_jobs.issue_year(year=2026, actor=ACTOR) == {"single": 0, "annual": 0}
    assert _receipts() == 0


def test_desk_refuses_annual_summaries_of_the_current_year(client, monthly, sign_in,
                                                          inline_jobs):
    with freeze_time(NOVEMBER, tick=True):
        token = sign_in("accountant").csrf
        response = client.post("/accountant/annual", data={"year": "2026", "csrf_token": token})
    assert response.status_code == 409
    assert "2027年1月1日" in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(ReceiptJob.id))).scalar() == 0
    assert _receipts() == 0


def test_office_is_refused_too(client, monthly, sign_in):
    with freeze_time(NOVEMBER, tick=True):
        token = sign_in("office").csrf
        response = client.post("/office/receipts/annual", data={
            "donor_id": str(monthly.id), "year": "2026", "csrf_token": token})
    assert response.status_code == 409
    assert "1 January 2027" in response.get_data(as_text=True)
    assert _receipts() == 0
