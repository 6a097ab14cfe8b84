"""The request-and-approve rule shared by allocations and spends.

At most `LEDGER_APPROVAL_THRESHOLD` yen (fund/core/config.py) office staff book
at once; above it their request waits (`RequestState.PENDING`) until an admin
other than the requester approves (then it is booked) or rejects it. Every
step is in the audit log; the checks here raise a FundError with a message a
person can act on and change nothing.
"""
from flask import current_app

from fund.core import audit, clock
from fund.core.errors import Conflict, FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.ledger.models import RequestState
from fund.ledger.posting import Overdraft

MAX_NOTE = 500


class NotAllowed(FundError):
    status = 403
    code = "not_allowed"


def threshold():
    return int(current_app.config.get("LEDGER_APPROVAL_THRESHOLD", 100_000))


def needs_approval(amount):
    """True when `amount` is above the configured threshold."""
    return amount > threshold()


def check_amount(amount, lang):
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(gettext_for(lang, "Enter an amount above ¥0 in whole yen."),
                               errors={"amount": "positive"})


def check_requester(staff, lang):
    if staff is None or not staff.has_role("office"):
        raise NotAllowed(gettext_for(
            lang, "Only office staff and admins can move or spend the fund's money."))


def check_memo(memo, lang, *, required):
    memo = (memo or "").strip()
    if required and not memo:
        raise ValidationFailed(gettext_for(lang, "Write a memo saying what the money is for."),
                               errors={"memo": "required"})
    if len(memo) > MAX_NOTE:
        raise ValidationFailed(gettext_for(lang, "A memo has at most %(n)s characters.", n=MAX_NOTE),
                               errors={"memo": "too_long"})
    return memo


def locked_request(model, request_id, lang):
    """The request row, locked so two admins cannot decide it at once."""
    row = db.session.execute(
        db.select(model).where(model.id == request_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise FundError(gettext_for(lang, "There is no such request."), status=404,
                        code="not_found")
    return row


def state_text(state, lang):
    """What a person reads for a request's state."""
    if state == RequestState.PENDING:
        return gettext_for(lang, "awaiting approval")
    if state == RequestState.BOOKED:
        return gettext_for(lang, "booked")
    return gettext_for(lang, "rejected")


def check_decider(row, staff, lang, *, approving):
    """Refuse unless `row` is pending and `staff` is an admin who may decide it."""
    if row.state != RequestState.PENDING:
        raise Conflict(gettext_for(lang, "This request was already decided (%(state)s).",
                                   state=state_text(row.state, lang)))
    if staff is None or not staff.active or staff.role != "admin":
        raise NotAllowed(gettext_for(lang, "Only an admin can approve or reject a request."))
    if approving and staff.id == row.requested_by_id:
        raise NotAllowed(gettext_for(
            lang, "You made this request; another admin must approve it."))


def decide(row, staff, state, note):
    row.state = state.value
    row.decided_by_id = staff.id
    row.decided_at = clock.now()
    row.decision_note = (note or "").strip()[:MAX_NOTE]


def approve_request(model, request_id, *, staff, note, lang, kind, book, recheck=None):
    """Approve a pending `model` request and book it with `book(row, actor, lang)`.

    `recheck(row)` repeats what may have changed since the request (a designation,
    a project closed). One transaction: the row, its entry and the audit line
    commit together, or a FundError rolls all of it back.
    """
    try:
        row = locked_request(model, request_id, lang)
        check_decider(row, staff, lang, approving=True)
        if recheck is not None:
            recheck(row)
        actor = audit.staff(staff)
        entry = book(row, actor, lang)
        decide(row, staff, RequestState.BOOKED, note)
        audit.record(actor, f"{kind}.approved", row, entry_id=entry.id, amount=row.amount,
                     note=row.decision_note)
        db.session.commit()
        return row
    except FundError:
        db.session.rollback()
        raise


def reject_request(model, request_id, *, staff, note, lang, kind):
    """Reject a pending `model` request: nothing is booked; audited and committed."""
    try:
        row = locked_request(model, request_id, lang)
        check_decider(row, staff, lang, approving=False)
        decide(row, staff, RequestState.REJECTED, note)
        audit.record(audit.staff(staff), f"{kind}.rejected", row, amount=row.amount,
                     note=row.decision_note)
        db.session.commit()
        return row
    except FundError:
        db.session.rollback()
        raise


def overdraft_message(error, lang):
    """A refused posting, said in the page's language."""
    return gettext_for(lang, "%(account)s holds %(balance)s; %(amount)s would take it below "
                       "zero. Nothing was booked.", account=error.account.title(lang or "ja"),
                       balance=format_yen(error.balance), amount=format_yen(error.needed))


def refuse_overdraft(error, lang):
    raise ValidationFailed(overdraft_message(error, lang), errors={"amount": "overdraft"},
                           code="overdraft") from error


def audit_actor(staff):
    return audit.staff(staff)


__all__ = ["NotAllowed", "Overdraft", "needs_approval", "threshold"]
