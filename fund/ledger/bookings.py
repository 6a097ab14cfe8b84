"""What each money event books, and the receivers of fund.payments' signals.

Every function here books inside the caller's transaction and never commits;
each is idempotent through its key, so a webhook replayed, stripe-sync run
twice or an import repeated books nothing twice.

| event | key | debit | credit |
| --- | --- | --- | --- |
| gift paid (G) | `gift:<payment id>` | stripe (or the asset given) | the designation's fund |
| Stripe fee (F) | `fee:<payment id>` | the fund LEDGER_FEE_POLICY names | stripe |
| refund (R) | `refund:<refund id>` | the gift's fund | stripe |
| refund failed after success | `refund_failed:<refund id>` | reversal of the refund | |
| chargeback, money withdrawn | `dispute:<dispute id>` | the gift's fund | stripe |
| dispute fee | `dispute_fee:<dispute id>` | the fee policy's fund | stripe |
| dispute won | `dispute_won:<dispute id>` | reversal of the withdrawal | |
| payout paid (P) | `payout:<po id>` | bank | stripe |

A chargeback is booked when Stripe withdraws the money (a dispute that is not
an inquiry, `warning_*`), as Stripe's balance shows it; winning reverses it,
losing leaves it.

Refunds, chargebacks and fees are facts that already happened at Stripe, so
they are always booked. Each takes what the fund it reduces holds, and the
rest from the general fund in the same entry (a ¥5,000 gift to a project left
¥4,820 after its fee; refunding it takes ¥4,820 from the project and ¥180 from
the general fund). Only when the general fund cannot cover that rest does it go
below zero; `flask fund ledger check` reports it until the office covers it.
"""
from flask import current_app

from fund.core import clock, signals
from fund.ledger import accounts
from fund.ledger.models import Category, Entry
from fund.ledger.posting import Cr, Dr, lock_accounts, post, post_reversal
from fund.core.extensions import db


def fee_policy():
    return current_app.config.get("LEDGER_FEE_POLICY", "designation")


def fee_fund(donation):
    """The fund that pays a gift's card fee under LEDGER_FEE_POLICY."""
    return accounts.general() if fee_policy() == "general" else accounts.for_donation(donation)


def bank_account():
    return accounts.get(current_app.config.get("LEDGER_BANK_ACCOUNT", accounts.DEFAULT_BANK))


def lock_for_payment(payment, asset=None):
    """Lock, once and in id order, every account a payment's events may touch.

    A gift, its fee, a refund or a chargeback each post separately, often
    several in one transaction (the settlement books the fee, then the success
    books the gift). Were each posting to lock only its own accounts, one
    transaction would lock a project and Stripe, then the general fund, while
    another holds the general fund and waits for Stripe: a deadlock. Locking
    the union first (the asset, Stripe, the general fund, the gift's fund) makes
    every later lock in the transaction one it already holds. The accounts are
    made in one fixed order too, so concurrent first uses wait rather than cross.
    """
    touched = [accounts.stripe(), accounts.general(), accounts.for_donation(payment.donation)]
    if asset is not None:
        touched.append(accounts.get(asset))
    return lock_accounts(account.id for account in touched)


def gift_key(payment):
    return f"gift:{payment.id}"


def book_gift(payment, *, actor, asset=None, memo=None):
    """Book a paid gift: debit `asset` (Stripe's balance by default), credit its designation's fund.

    For a payment recorded outside Stripe pass the asset that received it
    (`accounts.bank("main")`, `accounts.cash()`); the effective date is the
    Japan-time date of `payment.succeeded_at`.
    """
    donation = payment.donation
    lock_for_payment(payment, asset)
    asset = asset if asset is not None else accounts.stripe()
    day = clock.jst_date(payment.succeeded_at or clock.now())
    return post(key=gift_key(payment), category=Category.GIFT,
                lines=[Dr(asset, payment.amount), Cr(accounts.for_donation(donation), payment.amount)],
                actor=actor, effective_date=day, source=payment,
                memo=memo or f"寄附 #{donation.id} ({payment.method})")


def book_fee(payment, *, actor, fee=None, day=None):
    """Book Stripe's fee on a gift (`payment.fee` unless given); None when there is none."""
    fee = payment.fee if fee is None else fee
    if not fee:
        return None
    lock_for_payment(payment)
    book_gift(payment, actor=actor)  # the fee may be known before the success is told
    return _reduce(f"fee:{payment.id}", Category.FEE, fee_fund(payment.donation), fee,
                   actor=actor, day=day or clock.jst_date(payment.succeeded_at), source=payment,
                   memo=f"Stripe手数料 寄附 #{payment.donation_id} ({fee_policy()})")


def book_refund(refund, *, actor, day=None):
    payment = refund.payment
    lock_for_payment(payment)
    book_gift(payment, actor=actor)
    return _reduce(f"refund:{refund.id}", Category.REFUND, accounts.for_donation(payment.donation),
                   refund.amount, actor=actor, day=day, source=refund,
                   memo=f"返金 寄附 #{payment.donation_id}")


def book_refund_failed(refund, *, actor):
    """A refund Stripe had confirmed came back (a bank refused it): its entry is reversed."""
    entry = _entry(f"refund:{refund.id}")
    if entry is None:
        return None
    lock_for_payment(refund.payment)
    return post_reversal(entry, key=f"refund_failed:{refund.id}", actor=actor,
                         memo=f"返金不成立 寄附 #{refund.payment.donation_id}")


def withdrawn(dispute):
    """True when Stripe took the money for this dispute (a chargeback, not an inquiry)."""
    return not (dispute.stripe_status or "").startswith("warning_")


def book_dispute(dispute, *, actor, day=None):
    """Book a chargeback's withdrawal (None for an inquiry, which takes no money)."""
    if not withdrawn(dispute):
        return None
    payment = dispute.payment
    lock_for_payment(payment)
    book_gift(payment, actor=actor)
    return _reduce(f"dispute:{dispute.id}", Category.DISPUTE,
                   accounts.for_donation(payment.donation), dispute.amount, actor=actor, day=day,
                   source=dispute, memo=f"チャージバック 寄附 #{payment.donation_id}")


def book_dispute_fee(dispute, *, fee, actor, day=None):
    """Book the fee Stripe charges for a dispute (known from its balance transaction)."""
    if not fee:
        return None
    lock_for_payment(dispute.payment)
    return _reduce(f"dispute_fee:{dispute.id}", Category.DISPUTE_FEE,
                   fee_fund(dispute.payment.donation), fee, actor=actor, day=day, source=dispute,
                   memo=f"チャージバック手数料 寄附 #{dispute.payment.donation_id}")


def book_dispute_won(dispute, *, actor):
    """The issuer decided for us: the withdrawal is reversed (Stripe returned the money)."""
    entry = book_dispute(dispute, actor=actor)
    if entry is None:
        return None
    return post_reversal(entry, key=f"dispute_won:{dispute.id}", actor=actor,
                         memo=f"チャージバック勝訴 寄附 #{dispute.payment.donation_id}")


def book_payout(*, payout_id, amount, actor, arrival_date, bank=None, source=None, memo=""):
    """Book a Stripe payout: debit the bank, credit stripe (a negative payout the other way).

    `payout_id` is Stripe's po_… id; `arrival_date` the Japan-time date it
    reached the bank; `source` the row it was recorded on, if any.
    """
    bank = bank if bank is not None else bank_account()
    lines = ([Dr(bank, amount), Cr(accounts.stripe(), amount)] if amount > 0
             else [Dr(accounts.stripe(), -amount), Cr(bank, -amount)])
    return post(key=f"payout:{payout_id}", category=Category.PAYOUT, lines=lines, actor=actor,
                effective_date=arrival_date, source=source, memo=memo or f"Stripe入金 {payout_id}")


def _reduce(key, category, fund, amount, *, actor, source, memo, day=None):
    """Book money Stripe took: from `fund` what it holds, the rest from the general fund.

    The split is decided under the funds' row locks, and only the first time:
    a replay returns the entry booked then.
    """
    existing = _entry(key)
    if existing is not None:
        return existing
    general = accounts.general()
    held = lock_accounts([fund.id, general.id])[fund.id].balance
    from_fund = amount if fund.id == general.id else min(max(held, 0), amount)
    lines = [Dr(fund, from_fund)] if from_fund else []
    if amount - from_fund:
        lines.append(Dr(general, amount - from_fund))
    lines.append(Cr(accounts.stripe(), amount))
    return post(key=key, category=category, lines=lines, actor=actor,
                effective_date=day or clock.today_jst(), source=source, allow_overdraft=True,
                memo=memo)


def _entry(key):
    return db.session.execute(db.select(Entry).filter_by(key=key)).scalar_one_or_none()


# --- receivers (inside the sender's transaction; they never commit) -----------

@signals.payment_succeeded.connect
def _on_payment_succeeded(payment, actor):
    if payment.provider == "stripe":
        book_gift(payment, actor=actor)


@signals.payment_settled.connect
def _on_payment_settled(payment, **_):
    if payment.provider == "stripe":
        book_fee(payment, actor="stripe:settlement")


@signals.refund_succeeded.connect
def _on_refund_succeeded(refund, actor):
    book_refund(refund, actor=actor)


@signals.refund_failed.connect
def _on_refund_failed(refund, actor):
    book_refund_failed(refund, actor=actor)


@signals.dispute_opened.connect
def _on_dispute_opened(dispute, actor):
    book_dispute(dispute, actor=actor)


@signals.dispute_lost.connect
def _on_dispute_lost(dispute, actor):
    book_dispute(dispute, actor=actor)


@signals.dispute_won.connect
def _on_dispute_won(dispute, actor):
    book_dispute_won(dispute, actor=actor)
