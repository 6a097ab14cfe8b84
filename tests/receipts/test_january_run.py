"""The January run of annual summaries, the filing reminder, and the notices of voids and reissues."""
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

from fund.core.errors import Conflict
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.receipts import annual, issuing, january, reminders
from fund.receipts import office as receipt_office
from fund.receipts.models import Receipt, ReceiptSeries
from fund.receipts.run_models import ReceiptReminder, ReceiptRun
from tests.receipts.helpers import ACTOR, donor, paid_gift, refund


def _at(month, day=15):
    return datetime(2026, month, day, 1, 0, tzinfo=timezone.utc)


def _mails(kind):
    return db.session.execute(db.select(OutboundEmail).filter_by(kind=kind)
                              .order_by(OutboundEmail.id)).scalars().all()


def _supporters(n):
    people = []
    for i in range(n):
        person = donor(receipt_preference="annual")
        paid_gift(person, amount=1000 + i, at=_at(3))
        paid_gift(person, amount=2000, at=_at(9))
        people.append(person)
    paid_gift(donor(), amount=7000, at=_at(4))  # a per-gift donor gets no summary
    db.session.commit()
    return people


@pytest.mark.usefixtures("after_year_end")
def test_january_run_issues_and_mails_every_summary_once(app, ctx):
    people = _supporters(5)
    row = january.run(year=2026, batch=2)
    assert (row.state, row.total, row.done, row.issued, row.mailed) == ("done", 5, 5, 5, 5)
    summaries = db.session.execute(db.select(Receipt).order_by(Receipt.sequence)).scalars().all()
    assert [s.donor_id for s in summaries] == [p.id for p in people]
    assert [s.sequence for s in summaries] == [1, 2, 3, 4, 5]
    assert all(s.kind == "annual" and s.sha256 for s in summaries)
    assert [m.receipt_id for m in _mails("receipt")] == [s.id for s in summaries]
    again = january.run(year=2026)  # a second run (the next beat) changes nothing
    assert again.id == row.id and again.issued == 5
    assert len(_mails("receipt")) == 5
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 5


@pytest.mark.usefixtures("after_year_end")
def test_a_run_stopped_mid_batch_resumes_without_gap_or_double(app, ctx, monkeypatch):
    people = _supporters(5)
    real = annual.issue_annual
    calls = []

    def dies_on_fourth(**kwargs):
        calls.append(kwargs["donor"].id)
        summary = real(**kwargs)
        if len(calls) == 4:  # the number was taken; the process dies before the commit
            raise KeyboardInterrupt
        return summary

    monkeypatch.setattr(annual, "issue_annual", dies_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        january.run(year=2026, batch=2)
    db.session.rollback()
    stopped = january.find(2026)
    assert (stopped.state, stopped.done, stopped.cursor) == ("running", 2, people[1].id)
    monkeypatch.setattr(annual, "issue_annual", real)
    row = january.run(year=2026, batch=2)
    assert (row.state, row.issued, row.resumed) == ("done", 5, 1)
    sequences = sorted(db.session.execute(db.select(Receipt.sequence)).scalars())
    assert sequences == [1, 2, 3, 4, 5]
    assert db.session.get(ReceiptSeries, 2026).last_number == 5
    assert sorted(m.donor_id for m in _mails("receipt")) == sorted(p.id for p in people)


def test_january_run_refuses_the_current_year(app, ctx):
    _supporters(1)
    with freeze_time("2026-12-31 14:59:00"):  # 23:59 on 31 December in Japan
        with pytest.raises(Conflict) as refused:
            january.run(year=2026)
    assert refused.value.code == "year_not_finished"
    assert db.session.scalar(db.select(db.func.count(ReceiptRun.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 0


def test_the_scheduled_task_runs_in_january_only(app, ctx):
    _supporters(2)
    with freeze_time("2026-12-20 03:00:00"):
        assert january.scheduled() is None
    with freeze_time("2027-01-02 03:00:00"):  # before RECEIPT_JANUARY_DAY (4 January)
        assert january.scheduled() is None
    with freeze_time("2027-01-04 03:00:00"):
        assert january.scheduled() is not None
    assert january.find(2026).issued == 2


def test_reminder_goes_once_to_donors_who_have_not_opened_their_receipt(app, ctx):
    people = _supporters(3)
    with freeze_time("2027-01-05 01:00:00"):
        january.run(year=2026)
    opened = annual.valid_annual(people[0], 2026)
    opened.opened_at = datetime(2027, 1, 10, tzinfo=timezone.utc)
    db.session.commit()
    with freeze_time("2027-01-31 03:00:00"):
        assert reminders.scheduled() is None  # before February
    with freeze_time("2027-02-02 03:00:00"):
        reminders.scheduled()
        reminders.scheduled()
    sent = _mails("receipt_reminder")
    assert sorted(m.donor_id for m in sent) == sorted(p.id for p in people[1:])
    assert "確定申告" in sent[0].body and annual.valid_annual(people[1], 2026).number in \
        next(m.body for m in sent if m.donor_id == people[1].id)
    assert db.session.scalar(db.select(db.func.count(ReceiptReminder.receipt_id))) == 2


def test_void_is_announced_with_reason_and_mentions_amended_return_after_filing_opens(app, ctx):
    gift = paid_gift(donor(locale="ja"), amount=8000, at=_at(5))
    receipt = issuing.issue_for_donation(donation=gift, actor=ACTOR)
    db.session.commit()
    with freeze_time("2026-12-01 03:00:00"):
        receipt_office.void_and_tell(receipt=receipt, reason="対象外の寄附でした", actor=ACTOR)
    notice = _mails("receipt_void")[-1]
    assert receipt.number in notice.body and "対象外の寄附でした" in notice.body
    assert "修正申告" not in notice.body
    later = issuing.issue_for_donation(donation=paid_gift(donor(), at=_at(6)), actor=ACTOR)
    db.session.commit()
    with freeze_time("2027-02-20 03:00:00"):
        receipt_office.void_and_tell(receipt=later, reason="二重の寄附", actor=ACTOR)
    assert "修正申告" in _mails("receipt_void")[-1].body
    with pytest.raises(Exception):
        receipt_office.void_and_tell(receipt=later, reason="again", actor=ACTOR)
    db.session.rollback()
    assert len(_mails("receipt_void")) == 2


def test_reissue_after_a_refund_says_what_changed(app, ctx):
    gift = paid_gift(donor(locale="en"), amount=10000, at=_at(5))
    receipt = issuing.issue_for_donation(donation=gift, actor=ACTOR, language="en")
    db.session.commit()
    refund(gift, 4000)
    with freeze_time("2027-03-01 03:00:00"):
        new = receipt_office.reissue_and_send(receipt=receipt, actor=ACTOR,
                                             reason="返金後の金額に訂正")
    notice = db.session.execute(db.select(OutboundEmail).filter_by(receipt_id=new.id)).scalar_one()
    assert receipt.number in notice.body and new.number in notice.body
    assert "¥10,000 → ¥6,000" in notice.body
    assert "修正申告" in notice.body and "返金後の金額に訂正" in notice.body


@pytest.mark.usefixtures("after_year_end", "inline_jobs")
def test_office_starts_the_run_and_sees_its_progress(client, ctx, sign_in):
    _supporters(3)
    token = sign_in("office").csrf
    empty = client.get("/office/receipts/runs").get_data(as_text=True)
    assert "No runs yet." in empty
    refused = client.post("/office/receipts/runs/january", data={"year": "2027",
                                                                  "csrf_token": token})
    assert refused.status_code == 409 and "2028" in refused.get_data(as_text=True)
    assert client.post("/office/receipts/runs/january", data={
        "year": "2026", "csrf_token": token}).status_code == 302
    page = client.get("/office/receipts/runs").get_data(as_text=True)
    assert 'data-run="january-2026"' in page and "3 / 3 (100%)" in page
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 3


@pytest.mark.usefixtures("after_year_end")
def test_the_run_renders_its_batches_on_worker_processes_with_the_same_bytes(
        app, ctx, monkeypatch):
    from fund.receipts import pdf, storage
    app.config["RECEIPT_WORKERS"] = 2
    _supporters(4)
    pools = []
    real_render = pdf.Renderer.render

    def render(self, receipts):
        pools.append(self.pool is not None)
        return real_render(self, receipts)

    monkeypatch.setattr(pdf.Renderer, "render", render)
    row = january.run(year=2026, batch=2)
    assert (row.state, row.issued) == ("done", 4)
    assert pools == [True, True]  # two batches, each on the run's two workers
    for summary in db.session.execute(db.select(Receipt)).scalars():
        assert storage.read(summary) == issuing.render(summary)  # as rendered alone, here
