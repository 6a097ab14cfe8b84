"""Before 確定申告: remind donors who have not opened their receipt of last year, once.

From RECEIPT_REMINDER_DAY of February (Japan time; filing opens on 16
February) until the season ends on 15 March, the periodic task mails each
donor one message listing that year's valid receipts they have never opened
(Receipt.opened_at), each with a fresh link. A ReceiptReminder row per
receipt, written in the mail's transaction, makes it once: a second run, or
a run killed and started again, skips what was reminded.
"""
from datetime import date, timedelta

from flask import current_app

from fund.core import audit, clock, jobs, mail
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.receipts import annual, links
from fund.receipts.models import Receipt, ReceiptStatus
from fund.receipts.run_models import ReceiptReminder, ReceiptRun, RunState

TASK = "fund.receipt_reminder"
KIND = "reminder"
BATCH = 50


def due_year(today=None):
    today = today or clock.today_jst()
    start = date(today.year, 2, current_app.config["RECEIPT_REMINDER_DAY"])
    return today.year - 1 if start <= today <= date(today.year, 3, 15) else None


@jobs.task(TASK, every=timedelta(hours=1))
def scheduled(today=None):
    year = due_year(today)
    if year is None:
        return None
    return run(year=year).id


def unopened(year):
    """Valid receipts of `year` never opened nor reminded, of donors who get receipts by email."""
    reminded = db.select(ReceiptReminder.receipt_id).where(
        ReceiptReminder.receipt_id == Receipt.id)
    return (db.select(Receipt).join(Donor, Donor.id == Receipt.donor_id)
            .where(Receipt.year == year, Receipt.status == ReceiptStatus.VALID,
                   Receipt.opened_at.is_(None), ~reminded.exists(),
                   Donor.receipt_delivery == "email")
            .order_by(Receipt.donor_id, Receipt.id))


def run(*, year, actor=audit.SYSTEM):
    """Send the reminders of `year` not yet sent; returns the ReceiptRun (one per year)."""
    annual.check_finished(year)
    row = db.session.execute(db.select(ReceiptRun).filter_by(kind=KIND, year=year)
                             ).scalar_one_or_none()
    if row is None:
        row = ReceiptRun(kind=KIND, year=year, state=RunState.RUNNING)
        db.session.add(row)
        db.session.commit()
    while True:
        row = db.session.execute(db.select(ReceiptRun).where(ReceiptRun.id == row.id)
                                 .with_for_update().execution_options(populate_existing=True)
                                 ).scalar_one()
        receipts = db.session.execute(unopened(year).limit(BATCH * 5)).scalars().all()
        if not receipts:
            row.state, row.finished_at = RunState.DONE, clock.now()
            row.updated_at = row.finished_at
            row.message = f"{row.mailed} reminders sent"
            db.session.commit()
            return row
        by_donor = {}
        for receipt in receipts:
            by_donor.setdefault(receipt.donor_id, []).append(receipt)
        for donor_id in list(by_donor)[:BATCH]:
            _remind(by_donor[donor_id], year, actor)
            row.mailed += 1
        row.done = row.total = row.mailed
        row.updated_at = clock.now()
        db.session.commit()
        mail.deliver_committed()


def _remind(receipts, year, actor):
    donor = receipts[0].donor
    lang = "en" if donor.locale == "en" else "ja"
    items = [{"number": r.number, "kind": r.kind, "amount": r.amount,
              "url": links.receipt_url(r), "until": links.last_day(r)} for r in receipts]
    rendered = mail.render("receipt_reminder", lang, donor=donor, year=year, receipts=items,
                           season_start=date(year + 1, 2, 16), season_end=date(year + 1, 3, 15))
    mail.queue_rendered(rendered, to=donor.email, kind="receipt_reminder", donor=donor)
    for receipt in receipts:
        db.session.add(ReceiptReminder(receipt_id=receipt.id, reminded_at=clock.now()))
    audit.record(actor, "receipt.reminded", donor, year=year,
                 receipts=[r.number for r in receipts])
