"""Spends: money a project paid a vendor (an invoice), booked from the project's fund.

    from fund.ledger import spends
    row = spends.record_spend(project=project, vendor="東陽テクニカ", invoice_number="INV-1",
                              spent_on=date(2026, 6, 1), amount=80_000, memo="プローブ",
                              staff=user, attachment=("invoice.pdf", pdf_bytes),
                              fixed_asset=False, lang="ja")       # commits
    row.state        # "booked" (at most LEDGER_APPROVAL_THRESHOLD) or "pending"
    spends.approve(row.id, staff=other_admin, lang="ja")          # commits, books
    spends.reject(row.id, staff=other_admin, note="…", lang="ja") # commits

A booked spend is the entry `spend:<spend id>` (category `spend`, its
`fixed_asset` flag for equipment): debit `fund:project:<slug>` (the fund's
balance goes down), credit the bank account it was paid from
(LEDGER_BANK_ACCOUNT). Neither may go below zero. Refused with a message and
nothing changed: no vendor or invoice number, no date or a future one, an
amount that is not positive whole yen, more than the project holds, an invoice
already recorded for that vendor, an attachment that is not a PDF or is larger
than SPEND_ATTACHMENT_MAX; the same request-and-approve rule as allocations
(fund.ledger.approval).
"""
from datetime import date

from flask import current_app

from fund.campaigns.models import Project
from fund.core import audit, clock
from fund.core.errors import FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.ledger import accounts, approval
from fund.ledger.models import Category, Entry, RequestState, Spend
from fund.ledger.posting import Cr, Dr, Overdraft, lock_accounts, post

PDF_MAGIC = b"%PDF-"
MAX_VENDOR = 200
MAX_INVOICE = 100


def key(spend):
    return f"spend:{spend.id}"


def attachment_limit():
    return int(current_app.config.get("SPEND_ATTACHMENT_MAX", 5 * 1024 * 1024))


def check_attachment(attachment, lang=None):
    """(name, bytes) of a valid invoice PDF, or None; refuses anything else."""
    if attachment is None:
        return None
    name, data = attachment
    if not data:
        return None
    if len(data) > attachment_limit():
        raise ValidationFailed(gettext_for(
            lang, "The attached file is larger than %(limit)s MB.",
            limit=attachment_limit() // (1024 * 1024)), errors={"attachment": "too_large"})
    if not data.startswith(PDF_MAGIC):
        raise ValidationFailed(gettext_for(lang, "The attached file is not a PDF."),
                               errors={"attachment": "not_pdf"})
    name = (name or "invoice.pdf").replace("\\", "/").rsplit("/", 1)[-1][:200] or "invoice.pdf"
    return name, data


def _text(value, limit, message, field, lang):
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, errors={field: "required"})
    if len(value) > limit:
        raise ValidationFailed(gettext_for(lang, "Use at most %(n)s characters.", n=limit),
                               errors={field: "too_long"})
    return value


def _project(project, lang):
    if isinstance(project, int):
        project = db.session.get(Project, project)
    elif isinstance(project, str):
        slug = project.removeprefix("fund:project:").removeprefix("project:")
        project = db.session.execute(db.select(Project).filter_by(slug=slug)).scalar_one_or_none()
    if not isinstance(project, Project):
        raise ValidationFailed(gettext_for(lang, "Choose the project that spent the money."),
                               errors={"project": "unknown"})
    return project


def _check_duplicate(vendor, invoice_number, lang):
    earlier = db.session.execute(
        db.select(Spend).outerjoin(Entry, Entry.reverses_id == Spend.entry_id)
        .where(Spend.vendor == vendor, Spend.invoice_number == invoice_number,
               Spend.state != RequestState.REJECTED.value, Entry.id.is_(None))
    ).scalars().first()
    if earlier is not None:
        raise ValidationFailed(gettext_for(
            lang, "Invoice %(invoice)s from %(vendor)s is already recorded (spend %(id)s).",
            invoice=invoice_number, vendor=vendor, id=earlier.id),
            errors={"invoice_number": "duplicate"})


def _check_balance(fund, amount, lang):
    if amount > fund.balance:
        raise ValidationFailed(gettext_for(
            lang, "%(account)s holds %(balance)s; it cannot spend %(amount)s.",
            account=fund.title(lang or "ja"), balance=format_yen(fund.balance),
            amount=format_yen(amount)), errors={"amount": "more_than_balance"})


def _book(row, actor, lang):
    locked = lock_accounts([row.fund_account_id, row.paid_from_id])
    _check_balance(locked[row.fund_account_id], row.amount, lang)
    memo = f"{row.vendor} {row.invoice_number} {row.memo}".strip()[:500]
    try:
        entry = post(key=key(row), category=Category.SPEND,
                     lines=[Dr(locked[row.fund_account_id], row.amount),
                            Cr(locked[row.paid_from_id], row.amount)],
                     actor=actor, effective_date=row.spent_on, source=row, memo=memo,
                     fixed_asset=row.fixed_asset)
    except Overdraft as err:
        approval.refuse_overdraft(err, lang)
    row.entry_id = entry.id
    row.state = RequestState.BOOKED.value
    return entry


def record_spend(*, project, vendor, invoice_number, spent_on, amount, staff, memo="",
                 attachment=None, fixed_asset=False, lang=None):
    """Record what `project` (a Project, its id or slug) paid: `vendor`, `invoice_number`,
    `spent_on` (a date, not in the future), `amount` (yen), `memo`, `attachment`
    ((filename, bytes) of a PDF, or None), `fixed_asset` (equipment).

    Booked at once at most LEDGER_APPROVAL_THRESHOLD, else pending for another
    admin. Returns the Spend; commits. Refusals raise FundError and roll back.
    """
    try:
        approval.check_requester(staff, lang)
        project = _project(project, lang)
        vendor = _text(vendor, MAX_VENDOR, gettext_for(lang, "Enter the vendor's name."),
                       "vendor", lang)
        invoice_number = _text(invoice_number, MAX_INVOICE,
                               gettext_for(lang, "Enter the invoice number."),
                               "invoice_number", lang)
        if not isinstance(spent_on, date) or hasattr(spent_on, "hour"):
            raise ValidationFailed(gettext_for(lang, "Enter the date the money was spent."),
                                   errors={"spent_on": "required"})
        if spent_on > clock.today_jst():
            raise ValidationFailed(gettext_for(lang, "The date spent cannot be in the future."),
                                   errors={"spent_on": "future"})
        approval.check_amount(amount, lang)
        memo = approval.check_memo(memo, lang, required=False)
        attachment = check_attachment(attachment, lang)
        _check_duplicate(vendor, invoice_number, lang)
        fund = accounts.for_project(project)
        paid_from = accounts.get(current_app.config.get("LEDGER_BANK_ACCOUNT",
                                                        accounts.DEFAULT_BANK))
        book_now = not approval.needs_approval(amount)
        if book_now:  # before the row's foreign keys take KEY SHARE on the accounts
            lock_accounts([fund.id, paid_from.id])
        _check_balance(fund, amount, lang)
        row = Spend(project_id=project.id, fund_account_id=fund.id, paid_from_id=paid_from.id,
                    vendor=vendor, invoice_number=invoice_number, spent_on=spent_on,
                    amount=amount, memo=memo, fixed_asset=bool(fixed_asset),
                    state=RequestState.PENDING.value, requested_by_id=staff.id,
                    requested_at=clock.now())
        if attachment is not None:
            row.attachment_name, row.attachment = attachment
            row.attachment_size = len(attachment[1])
        db.session.add(row)
        db.session.flush()
        actor = audit.staff(staff)
        audit.record(actor, "spend.requested", row, amount=amount, project=fund.code,
                     vendor=vendor, invoice_number=invoice_number,
                     attachment=row.attachment_name)
        if book_now:
            entry = _book(row, actor, lang)
            audit.record(actor, "spend.booked", row, entry_id=entry.id, amount=amount)
        db.session.commit()
        return row
    except FundError:
        db.session.rollback()
        raise


def _id(value):
    return value.id if isinstance(value, Spend) else value


def approve(spend_id, *, staff, note="", lang=None):
    """An admin other than the requester approves a pending spend: it is booked. Commits."""
    return approval.approve_request(Spend, _id(spend_id), staff=staff, note=note, lang=lang,
                                    kind="spend", book=_book)


def reject(spend_id, *, staff, note="", lang=None):
    """An admin rejects a pending spend: nothing is booked. Commits."""
    return approval.reject_request(Spend, _id(spend_id), staff=staff, note=note, lang=lang,
                                   kind="spend")


def pending():
    return db.session.execute(db.select(Spend).where(
        Spend.state == RequestState.PENDING.value).order_by(Spend.id)).scalars().all()
