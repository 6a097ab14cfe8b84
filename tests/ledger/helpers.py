"""Ledger test helpers: reading balances and entries as an accountant would."""
from fund.core.extensions import db
from fund.ledger.models import Account, Entry


def balances():
    """{code: balance} of every account with a non-zero balance, fresh from the database."""
    db.session.expire_all()
    return {a.code: a.balance for a in db.session.query(Account) if a.balance}


def entries():
    """[(key, category, [(code, side, amount)…])…] in posting order."""
    db.session.expire_all()
    return [(e.key, e.category, [(line.account.code, line.side, line.amount) for line in e.lines])
            for e in db.session.query(Entry).order_by(Entry.id)]


def keys():
    return [key for key, _, _ in entries()]
