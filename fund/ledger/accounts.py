"""Accounts by name: `stripe`, `bank:<name>`, `cash`, `fund:general`,
`fund:campaign:<slug>`, `fund:project:<slug>`.

An account is made the first time something is booked on it (inside the
caller's transaction, no commit). Funds are found by their campaign or project
row, so a slug edited later still finds the same account.
"""
from sqlalchemy.exc import IntegrityError

from fund.campaigns.models import Campaign, Project
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.ledger.models import Account, AccountKind

STRIPE = "stripe"
CASH = "cash"
GENERAL = "fund:general"
DEFAULT_BANK = "bank:main"


class UnknownAccount(FundError):
    status = 404
    code = "unknown_account"


def _find(**where):
    return db.session.execute(db.select(Account).filter_by(**where)).scalar_one_or_none()


def _make(code, kind, *, allow_negative=False, **fields):
    """The account, made once; a concurrent maker's row wins and is returned."""
    account = _find(code=code)
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = Account(code=code, kind=kind, allow_negative=allow_negative, balance=0,
                              **fields)
            db.session.add(account)
    except IntegrityError:
        account = _find(code=code)
    return account


def for_project(project):
    account = _find(project_id=project.id)
    return account or _make(f"fund:project:{project.slug}", AccountKind.FUND,
                            project_id=project.id)


def for_campaign(campaign):
    account = _find(campaign_id=campaign.id)
    return account or _make(f"fund:campaign:{campaign.slug}", AccountKind.FUND,
                            campaign_id=campaign.id)


def general():
    return _make(GENERAL, AccountKind.FUND)


def stripe():
    # Stripe's balance goes negative when refunds exceed what is pending there.
    return _make(STRIPE, AccountKind.ASSET, allow_negative=True)


def cash():
    return _make(CASH, AccountKind.ASSET)


def bank(name="main"):
    return _make(f"bank:{name}", AccountKind.ASSET)


def for_donation(donation):
    """The fund a gift's designation names (the general fund, a campaign's pool, a project)."""
    if donation.designation == "campaign":
        return for_campaign(donation.campaign)
    if donation.designation == "project":
        return for_project(donation.project)
    return general()


def get(code):
    """The account named `code`, made when it is one of the known shapes.

    Raises UnknownAccount for a name that is none of them, or a fund whose
    campaign or project does not exist.
    """
    if isinstance(code, Account):
        return code
    code = (code or "").strip()
    if code == STRIPE:
        return stripe()
    if code == CASH:
        return cash()
    if code == GENERAL:
        return general()
    prefix, _, rest = code.partition(":")
    if prefix == "bank" and rest and len(code) <= 100:
        return bank(rest)
    if prefix == "fund":
        kind, _, slug = rest.partition(":")
        if kind == "project":
            project = db.session.execute(db.select(Project).filter_by(slug=slug)).scalar_one_or_none()
            if project is not None:
                return for_project(project)
        elif kind == "campaign":
            campaign = db.session.execute(
                db.select(Campaign).filter_by(slug=slug)).scalar_one_or_none()
            if campaign is not None:
                return for_campaign(campaign)
        existing = _find(code=code)
        if existing is not None:
            return existing
    raise UnknownAccount(f"There is no ledger account “{code}”. Accounts are stripe, cash, "
                         "bank:<name>, fund:general, fund:campaign:<slug> and "
                         "fund:project:<slug> of an existing campaign or project.")


def all_accounts():
    """Every account: money held first, then the funds, each by code."""
    return db.session.execute(
        db.select(Account).order_by(Account.kind, Account.code)).scalars().all()
