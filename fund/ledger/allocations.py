"""Allocations: money moved from the general fund or a campaign's pool to a project.

    from fund.ledger import allocations
    row = allocations.allocate(source="fund:general", project=project, amount=300_000,
                               memo="磁場測定装置", staff=user, lang="ja")   # commits
    row.state          # "booked" (at most LEDGER_APPROVAL_THRESHOLD) or "pending"
    allocations.approve(row.id, staff=other_admin, lang="ja")            # commits, books
    allocations.reject(row.id, staff=other_admin, note="…", lang="ja")   # commits

Each allocation is a row (`Allocation`) and, once booked, the entry
`alloc:<allocation id>` (category `allocation`): debit the source fund, credit
`fund:project:<slug>`. Refused with a FundError whose message names the
problem, and nothing changed (the session is rolled back):
- an amount that is not a positive whole number of yen;
- more than the source holds (checked again under the account lock when booked,
  so concurrent allocations from one fund serialise and it never goes below zero);
- a closed project;
- designated money leaving its designation: a campaign's pool goes only to its
  own campaign's project, a project's money stays with the project, and only
  funds can be a source;
- a request without a memo;
- by anyone but office staff or admins; approving is for an admin who did not
  make the request.

`close_campaign_to_project(campaign, actor=)` moves a successful campaign's whole
pool to its project in one entry (`campaign_close:<campaign id>`, category
`campaign_close`); it never commits, and a second call books nothing.
"""
import logging

from fund.campaigns.models import Campaign, Project
from fund.core import audit, clock
from fund.core.errors import FundError, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.ledger import accounts, approval
from fund.ledger.models import Account, Allocation, Category, Entry, RequestState
from fund.ledger.posting import Cr, Dr, Overdraft, lock_accounts, post

log = logging.getLogger(__name__)


class DesignationError(ValidationFailed):
    code = "designation"


def key(allocation):
    return f"alloc:{allocation.id}"


def campaign_close_key(campaign):
    return f"campaign_close:{campaign.id}"


def _project(project, lang):
    if isinstance(project, Project):
        return project
    found = None
    if isinstance(project, int):
        found = db.session.get(Project, project)
    elif isinstance(project, str):
        slug = project.removeprefix("fund:project:").removeprefix("project:")
        found = db.session.execute(db.select(Project).filter_by(slug=slug)).scalar_one_or_none()
    if found is None:
        raise ValidationFailed(gettext_for(lang, "Choose the project the money goes to."),
                               errors={"project": "unknown"})
    return found


def _source(source, lang):
    try:
        return accounts.get(source)
    except accounts.UnknownAccount as err:
        raise ValidationFailed(gettext_for(
            lang, "Choose where the money comes from: the general fund or a campaign's pool."),
            errors={"source": "unknown"}) from err


def check_designation(source, project, lang=None):
    """Refuse (DesignationError) moving `source`'s money to `project` when its designation forbids it."""
    if not source.is_fund:
        raise DesignationError(gettext_for(
            lang, "Allocate from the general fund or a campaign's pool, not from %(account)s.",
            account=source.code), errors={"source": "not_a_fund"})
    if source.project_id is not None:
        raise DesignationError(gettext_for(
            lang, "Money given to the project “%(project)s” stays with that project; it cannot "
            "be allocated elsewhere.", project=source.title(lang or "ja")),
            errors={"source": "project_money"})
    if source.campaign_id is not None:
        campaign = db.session.get(Campaign, source.campaign_id)
        if campaign.project_id != project.id:
            raise DesignationError(gettext_for(
                lang, "Money given to the campaign “%(campaign)s” can go only to its own "
                "project, not to “%(project)s”.", campaign=campaign.title(lang or "ja"),
                project=project.title(lang or "ja")), errors={"source": "designation"})


def _check_open(project, lang):
    if not project.is_open:
        raise ValidationFailed(gettext_for(
            lang, "The project “%(project)s” is closed; it takes no allocations.",
            project=project.title(lang or "ja")), errors={"project": "closed"})


def _check_balance(source, amount, lang):
    if amount > source.balance:
        raise ValidationFailed(gettext_for(
            lang, "%(account)s holds %(balance)s; it cannot allocate %(amount)s.",
            account=source.title(lang or "ja"), balance=format_yen(source.balance),
            amount=format_yen(amount)), errors={"amount": "more_than_balance"})


def _book(row, actor, lang):
    """Post the allocation's entry under the accounts' locks (no commit)."""
    locked = lock_accounts([row.from_account_id, row.to_account_id])
    _check_balance(locked[row.from_account_id], row.amount, lang)
    try:
        entry = post(key=key(row), category=Category.ALLOCATION,
                     lines=[Dr(locked[row.from_account_id], row.amount),
                            Cr(locked[row.to_account_id], row.amount)],
                     actor=actor, effective_date=clock.today_jst(), source=row, memo=row.memo)
    except Overdraft as err:
        approval.refuse_overdraft(err, lang)
    row.entry_id = entry.id
    row.state = RequestState.BOOKED.value
    return entry


def allocate(*, source, project, amount, memo, staff, lang=None):
    """Allocate `amount` yen from `source` (an Account or code: `fund:general`,
    `fund:campaign:<slug>`) to `project` (a Project, its id or slug), with `memo`.

    `staff` (a StaffUser with the office or admin role) asks. At most
    LEDGER_APPROVAL_THRESHOLD it is booked at once; above it the row stays
    pending for another admin. Returns the Allocation; commits. Refusals raise
    FundError (DesignationError, ValidationFailed, approval.NotAllowed) and
    roll back.
    """
    try:
        approval.check_requester(staff, lang)
        approval.check_amount(amount, lang)
        memo = approval.check_memo(memo, lang, required=True)
        project = _project(project, lang)
        source = _source(source, lang)
        check_designation(source, project, lang)
        _check_open(project, lang)
        target = accounts.for_project(project)
        book_now = not approval.needs_approval(amount)
        if book_now:
            # Lock before the row's insert: its foreign keys take KEY SHARE on both
            # accounts, and a FOR UPDATE after that deadlocks with a concurrent allocator.
            lock_accounts([source.id, target.id])
        _check_balance(source, amount, lang)
        row = Allocation(from_account_id=source.id, to_account_id=target.id,
                         project_id=project.id, amount=amount, memo=memo,
                         state=RequestState.PENDING.value, requested_by_id=staff.id,
                         requested_at=clock.now())
        db.session.add(row)
        db.session.flush()
        actor = audit.staff(staff)
        audit.record(actor, "allocation.requested", row, amount=amount, source=source.code,
                     target=target.code, memo=memo)
        if book_now:
            entry = _book(row, actor, lang)
            audit.record(actor, "allocation.booked", row, entry_id=entry.id, amount=amount)
        db.session.commit()
        return row
    except FundError:
        db.session.rollback()
        raise


def approve(allocation_id, *, staff, note="", lang=None):
    """An admin other than the requester approves a pending allocation: it is booked
    (the balance and designation are checked again). Returns the row; commits."""
    def recheck(row):
        project = db.session.get(Project, row.project_id)
        check_designation(db.session.get(Account, row.from_account_id), project, lang)
        _check_open(project, lang)

    return approval.approve_request(Allocation, _id(allocation_id), staff=staff, note=note,
                                    lang=lang, kind="allocation", book=_book, recheck=recheck)


def reject(allocation_id, *, staff, note="", lang=None):
    """An admin rejects a pending allocation: nothing is booked. Returns the row; commits."""
    return approval.reject_request(Allocation, _id(allocation_id), staff=staff, note=note,
                                   lang=lang, kind="allocation")


def _id(value):
    return value.id if isinstance(value, Allocation) else value


def pending():
    """Allocations waiting for an admin, oldest first."""
    return db.session.execute(db.select(Allocation).where(
        Allocation.state == RequestState.PENDING.value).order_by(Allocation.id)).scalars().all()


def close_campaign_to_project(campaign, *, actor=audit.SYSTEM):
    """Move a successful campaign's whole pool to its project in one entry (no commit).

    Idempotent: the key is `campaign_close:<campaign id>`, and a campaign whose
    pool was moved already returns that entry. Returns None (and books
    nothing) when the pool is empty, the campaign has no project, or its
    project is closed: the money then stays in the pool, and the audit log says why.
    """
    done = db.session.execute(
        db.select(Entry).filter_by(key=campaign_close_key(campaign))).scalar_one_or_none()
    if done is not None:
        return done
    pool = accounts.for_campaign(campaign)
    project = campaign.project
    if project is None or not project.is_open:
        audit.record(actor, "campaign.pool_kept", campaign, pool=pool.balance,
                     reason="no project" if project is None else "project closed")
        return None
    target = accounts.for_project(project)
    locked = lock_accounts([pool.id, target.id])
    amount = locked[pool.id].balance
    if amount <= 0:
        return None
    entry = post(key=campaign_close_key(campaign), category=Category.CAMPAIGN_CLOSE,
                 lines=[Dr(locked[pool.id], amount), Cr(locked[target.id], amount)],
                 actor=actor, effective_date=clock.today_jst(), source=campaign,
                 memo=f"{campaign.title('ja')} → {project.title('ja')}")
    audit.record(actor, "campaign.pool_allocated", campaign, entry_id=entry.id, amount=amount,
                 project=target.code)
    return entry
