"""Stripe payouts in the ledger: the Stripe balance moves to the bank, booked once.

`payout:<po id>` is the key (fund.ledger.bookings.book_payout), so a payout
booked when Stripe reported it paid, and confirmed again on the bank
statement, is booked once. A negative payout (Stripe taking money back from
the bank) books the other way.
"""
from flask import current_app

from fund.core import clock
from fund.ledger import bookings


def bank_code():
    """The bank account Stripe pays out to (LEDGER_BANK_ACCOUNT)."""
    return current_app.config.get("LEDGER_BANK_ACCOUNT", "bank:main")


def book(payout, actor):
    """Book `payout` (a StripePayout) from Stripe to the bank; no commit. Returns the entry."""
    return bookings.book_payout(payout_id=payout.stripe_payout_id, amount=payout.amount,
                                arrival_date=payout.arrival_on or clock.today_jst(),
                                actor=actor, source=payout,
                                memo=f"Stripe入金 {payout.stripe_payout_id}")
