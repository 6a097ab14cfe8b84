"""Bank statements: import a CSV, suggest what each line is, and record what a person decides.

A statement is read whole or refused whole (fund.accounting.bank_csv); a file
already imported is refused by its SHA-256, and a line an earlier, overlapping
statement brought in is skipped by its fingerprint. Deposits are then matched
by fund.accounting.matching to the offline gifts the office recorded, to
pledge instalments not yet received and to Stripe payouts; a person confirms
each match. Confirming a gift links the line to it (the gift was booked when
it was recorded); confirming a payout books it, once (`payout:<po id>`).
Lines nobody could match stay open until matched, recorded as a new gift
(fund.giving.offline) or dismissed with a reason.
"""
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert

from fund.accounting import bank_csv, csvfiles, matching, payouts
from fund.accounting.models import (BankAccount, BankLine, BankStatement, LineState,
                                    StripePayout)
from fund.core import audit, clock
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.payments.models import Payment, PaymentState

DEFAULT_BANK_NAME = "普通預金"


@dataclass(frozen=True)
class Imported:
    statement: BankStatement
    added: int
    skipped: int
    suggested: int


def default_code():
    return current_app.config.get("LEDGER_BANK_ACCOUNT", "bank:main")


def bank_account(code, lang, *, create_default=True):
    """The BankAccount of a ledger code `bank:<slug>`; the configured default is made if missing."""
    slug = (code or "").partition(":")[2] if (code or "").startswith("bank:") else ""
    bank = db.session.execute(db.select(BankAccount).filter_by(slug=slug)).scalar_one_or_none()
    if bank is None and create_default and code == default_code():
        bank = BankAccount(slug=slug, name=DEFAULT_BANK_NAME, mapping={})
        db.session.add(bank)
        db.session.flush()
    if bank is None or not bank.active:
        raise NotFound(gettext_for(lang, "There is no bank account “%(code)s”.", code=code or "—"),
                       code="bank_account")
    return bank


def bank_accounts():
    """Active bank accounts; the configured default is listed even before its first use."""
    rows = db.session.execute(
        db.select(BankAccount).filter_by(active=True).order_by(BankAccount.id)).scalars().all()
    default_slug = default_code().partition(":")[2]
    if not any(row.slug == default_slug for row in rows):
        rows.insert(0, BankAccount(slug=default_slug, name=DEFAULT_BANK_NAME, mapping={}))
    return rows


def save_bank_account(*, slug, name, mapping, staff, lang):
    """Create a bank account or change its name and column mapping; commits."""
    slug = (slug or "").strip().lower()
    if not slug or not slug.replace("-", "").replace("_", "").isalnum() or len(slug) > 40:
        raise ValidationFailed(gettext_for(lang, "The account's short name may use letters, "
                                                 "digits and hyphens only."),
                               errors={"slug": "invalid"})
    if not (name or "").strip():
        raise ValidationFailed(gettext_for(lang, "Give the account a name."),
                               errors={"name": "required"})
    unknown = set(mapping) - set(bank_csv.FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown columns: {', '.join(sorted(unknown))}")
    bank = db.session.execute(db.select(BankAccount).filter_by(slug=slug)).scalar_one_or_none()
    before = dict(bank.mapping) if bank else None
    if bank is None:
        bank = BankAccount(slug=slug, mapping={})
        db.session.add(bank)
    bank.name = name.strip()
    bank.mapping = {field: value.strip() for field, value in mapping.items() if value and value.strip()}
    db.session.flush()
    audit.record(audit.staff(staff), "bank_account.saved", bank, before=before,
                 mapping=bank.mapping, name=bank.name)
    db.session.commit()
    return bank


def fingerprint(bank_id, line):
    text = "|".join(str(part) for part in (bank_id, line.on.isoformat(), line.deposit,
                                           line.withdrawal, line.balance, line.description,
                                           line.payer))
    return hashlib.sha256(text.encode()).hexdigest()


def import_statement(*, bank_code, filename, data, staff, lang):
    """Read, store and match a statement file; commits. Refused whole with a message."""
    bank = bank_account(bank_code, lang)
    digest = csvfiles.sha256(data or b"")
    earlier = db.session.execute(
        db.select(BankStatement).filter_by(sha256=digest)).scalar_one_or_none()
    if earlier is not None:
        raise Conflict(gettext_for(
            lang, "This file was already imported on %(day)s (%(name)s); nothing was imported "
                  "again.", day=clock.jst_date(earlier.created_at).isoformat(),
            name=earlier.filename or "—"), code="already_imported")
    statement_data = bank_csv.parse(data, bank.mapping, lang)
    lines = statement_data.lines
    first, last = min(line.on for line in lines), max(line.on for line in lines)
    known = set(db.session.execute(
        db.select(BankLine.fingerprint).where(BankLine.bank_account_id == bank.id,
                                              BankLine.booked_on.between(first, last))).scalars())
    statement = BankStatement(bank_account=bank, filename=(filename or "")[:255], sha256=digest,
                              encoding=statement_data.encoding, first_on=first, last_on=last,
                              imported_by=staff.id)
    db.session.add(statement)
    db.session.flush()
    rows = []
    for line in lines:
        mark = fingerprint(bank.id, line)
        if mark in known:
            continue
        known.add(mark)
        rows.append({"statement_id": statement.id, "bank_account_id": bank.id, "row": line.row,
                     "booked_on": line.on, "description": line.description[:500],
                     "payer": line.payer[:200], "payer_key": line.payer_key[:200],
                     "deposit": line.deposit, "withdrawal": line.withdrawal,
                     "balance": line.balance, "fingerprint": mark,
                     "state": LineState.UNMATCHED.value})
    if rows:
        db.session.execute(insert(BankLine), rows)
    statement.lines = len(rows)
    statement.skipped = len(lines) - len(rows)
    if not bank.mapping:
        bank.mapping = statement_data.mapping  # found with the usual header names: reuse it
    audit.record(audit.staff(staff), "bank_statement.imported", statement, lines=len(rows),
                 skipped=statement.skipped, sha256=digest, encoding=statement_data.encoding)
    db.session.flush()
    new_lines = db.session.execute(
        db.select(BankLine).filter_by(statement_id=statement.id)).scalars().all()
    suggested = sum(1 for options in matching.suggest(new_lines).values() if options)
    db.session.commit()
    return Imported(statement=statement, added=len(rows), skipped=statement.skipped,
                    suggested=suggested)


def open_lines(bank_id=None, limit=200):
    """Lines nobody has dealt with yet, oldest first."""
    query = db.select(BankLine).filter_by(state=LineState.UNMATCHED.value)
    if bank_id:
        query = query.filter_by(bank_account_id=bank_id)
    return db.session.execute(
        query.order_by(BankLine.booked_on, BankLine.id).limit(limit)).scalars().all()


def open_line(line_id, lang):
    """The line, locked, if still undecided; refused with a message otherwise."""
    line = db.session.execute(
        db.select(BankLine).where(BankLine.id == line_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if line is None:
        raise NotFound(gettext_for(lang, "This statement line does not exist."))
    if line.state != LineState.UNMATCHED:
        raise Conflict(gettext_for(lang, "This statement line was already dealt with (%(state)s).",
                                   state=state_label(line.state, lang)), code="line_decided")
    return line


def state_label(state, lang):
    return {"unmatched": gettext_for(lang, "open"), "matched": gettext_for(lang, "matched"),
            "dismissed": gettext_for(lang, "dismissed")}[state]


def _decide(line, staff_id, state, **fields):
    line.state = state
    line.decided_by = staff_id
    line.decided_at = clock.now()
    for name, value in fields.items():
        setattr(line, name, value)


def link_gift(line, payment, *, actor, lang="ja"):
    """Mark a deposit line as this gift's arrival (no commit); the gift is booked already."""
    if line.deposit != payment.amount:
        raise ValidationFailed(gettext_for(
            lang, "The line is a deposit of %(line)s; the gift is %(gift)s.",
            line=format_yen(line.deposit), gift=format_yen(payment.amount)))
    taken = db.session.execute(
        db.select(BankLine.id).filter_by(payment_id=payment.id)).scalar_one_or_none()
    if taken is not None:
        raise Conflict(gettext_for(lang, "This gift is already matched to another statement "
                                         "line."), code="gift_matched")
    _decide(line, int(actor.id) if actor.type == "staff" else None, LineState.MATCHED.value,
            match_kind="gift", payment_id=payment.id)
    db.session.flush()
    audit.record(actor, "bank_line.matched", line, kind="gift", payment=payment.id)


def confirm_gift(*, line_id, payment_id, staff, lang):
    """A person confirms that a deposit is a recorded offline gift; commits. Books nothing."""
    line = open_line(line_id, lang)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.provider != "office" or payment.state != PaymentState.SUCCEEDED:
        raise NotFound(gettext_for(lang, "There is no recorded offline gift #%(id)s.",
                                   id=payment_id))
    link_gift(line, payment, actor=audit.staff(staff), lang=lang)
    db.session.commit()
    return line


def confirm_payout(*, line_id, payout_id, staff, lang):
    """A person confirms that a line is a Stripe payout; books it once and commits."""
    line = open_line(line_id, lang)
    payout = db.session.get(StripePayout, payout_id)
    if payout is None:
        raise NotFound(gettext_for(lang, "There is no Stripe payout #%(id)s.", id=payout_id))
    amount = line.deposit or -line.withdrawal
    if amount != payout.amount:
        raise ValidationFailed(gettext_for(
            lang, "The line is %(line)s; the payout is %(payout)s.", line=format_yen(amount),
            payout=format_yen(payout.amount)))
    if line.bank_account.ledger_account != payouts.bank_code():
        raise ValidationFailed(gettext_for(
            lang, "Stripe pays out to %(code)s, not to this account.", code=payouts.bank_code()))
    taken = db.session.execute(
        db.select(BankLine.id).filter_by(payout_id=payout.id)).scalar_one_or_none()
    if taken is not None:
        raise Conflict(gettext_for(lang, "This payout is already matched to another statement "
                                         "line."), code="payout_matched")
    actor = audit.staff(staff)
    payouts.book(payout, actor)
    _decide(line, staff.id, LineState.MATCHED.value, match_kind="payout", payout_id=payout.id)
    db.session.flush()
    audit.record(actor, "bank_line.matched", line, kind="payout", payout=payout.stripe_payout_id)
    db.session.commit()
    return line


def dismiss(*, line_id, reason, staff, lang):
    """Set a line aside with a reason (a bank fee, a transfer between our accounts…); commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext_for(lang, "Say why this line is set aside."),
                               errors={"reason": "required"})
    line = open_line(line_id, lang)
    _decide(line, staff.id, LineState.DISMISSED.value, dismiss_reason=reason[:500])
    audit.record(audit.staff(staff), "bank_line.dismissed", line, reason=reason[:500])
    db.session.commit()
    return line
