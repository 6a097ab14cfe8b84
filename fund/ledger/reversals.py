"""Corrections by reversal only: the office undoes an entry with its mirror entry.

    from fund.ledger import reversals
    reversal = reversals.reverse(entry_id, staff=user, reason="二重計上", lang="ja")  # commits

The reversal (key `reversal:<entry id>`, category `reversal`) credits what the
entry debited and debits what it credited; both entries stay visible and
point at each other (`Entry.reverses` / `Entry.reversed_by`). Refused with a
message, nothing booked: a reversal of a reversal, an entry reversed already,
an entry the office does not book (gifts, fees, refunds, disputes and payouts
are corrected by the services that record them, so the ledger keeps agreeing
with the payments), no reason given, or a reversal that would take a fund
below zero (a project's allocation it has already spent).
"""
from fund.core import audit
from fund.core.errors import FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.ledger import approval
from fund.ledger.models import Category, Entry
from fund.ledger.posting import LedgerError, Overdraft, lock_accounts, post_reversal

OFFICE_CATEGORIES = (Category.ALLOCATION, Category.CAMPAIGN_CLOSE, Category.SPEND,
                     Category.ADJUSTMENT)


def key(entry):
    return f"reversal:{entry.id}"


def problem(entry, lang=None):
    """Why `entry` cannot be reversed by the office, or None."""
    if entry.is_reversal:
        return gettext_for(lang, "Entry %(id)s is itself a reversal; a reversal cannot be "
                           "reversed. Book the correction again instead.", id=entry.id)
    if entry.reversed_by is not None:
        return gettext_for(lang, "Entry %(id)s was already reversed by entry %(by)s.",
                           id=entry.id, by=entry.reversed_by.id)
    if entry.category not in OFFICE_CATEGORIES:
        return gettext_for(lang, "Entry %(id)s records money moved at Stripe or received; it is "
                           "corrected by a refund or by its own record, not reversed here.",
                           id=entry.id)
    return None


def reverse(entry_id, *, staff, reason, lang=None):
    """Reverse entry `entry_id` for `reason` (office staff or admin). Returns the
    reversing Entry; commits. Refusals raise FundError and roll back."""
    try:
        approval.check_requester(staff, lang)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed(gettext_for(lang, "Say why the entry is reversed."),
                                   errors={"reason": "required"})
        if len(reason) > approval.MAX_NOTE:
            raise ValidationFailed(gettext_for(lang, "A memo has at most %(n)s characters.",
                                               n=approval.MAX_NOTE), errors={"reason": "too_long"})
        entry = db.session.get(Entry, entry_id)
        if entry is None:
            raise FundError(gettext_for(lang, "There is no such entry."), status=404,
                            code="not_found")
        lock_accounts(line.account_id for line in entry.lines)
        db.session.refresh(entry)
        found = problem(entry, lang)
        if found:
            raise LedgerError(found, code="not_reversible")
        actor = audit.staff(staff)
        try:
            reversal = post_reversal(entry, key=key(entry), actor=actor, memo=reason)
        except Overdraft as err:
            approval.refuse_overdraft(err, lang)
        audit.record(actor, "ledger.reversed", entry, reversal_id=reversal.id, reason=reason,
                     amount=entry.amount, category=entry.category)
        db.session.commit()
        return reversal
    except FundError:
        db.session.rollback()
        raise
