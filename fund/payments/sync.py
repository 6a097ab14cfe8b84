"""Repair what lost or late webhooks left behind, from Stripe as the source of truth.

`sync(since=...)` re-reads recent PaymentIntents, the payments we still hold
in a non-final state, refunds and open disputes, and applies each through
the same code the webhooks use (payments.settle, refunds.record,
disputes.record). Those are idempotent, so running it twice, or alongside
the webhooks, changes nothing the second time. `flask fund stripe-sync` and a
periodic job call it.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from fund.core.errors import FundError, NotFound, PaymentUnavailable
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.models import FINAL_PAYMENT_STATES, Payment, PaymentState, RefundState
from fund.core import audit
from fund.core import clock, jobs
from fund.payments import disputes
from fund.payments import services as payments
from fund.payments import refunds

log = logging.getLogger(__name__)

ACTOR = audit.Actor("system", "stripe-sync")


@dataclass
class Report:
    repaired: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    checked: int = 0

    def note(self, line):
        log.info("stripe-sync: %s", line)
        self.repaired.append(line)


def sync(*, since, actor=ACTOR):
    """Re-apply Stripe's view of everything since `since` (an aware datetime)."""
    report = Report()
    seen = set()
    for intent in gateway.list_intents(since):
        payment = payments.payment_for_intent(intent)
        if payment is None:
            continue  # not one of ours (another integration on the account)
        seen.add(payment.id)
        _settle(payment, intent, actor, report)
    stuck = db.session.execute(
        db.select(Payment).where(Payment.state.not_in(FINAL_PAYMENT_STATES),
                                 Payment.stripe_payment_intent_id.is_not(None))
        .order_by(Payment.id)).scalars().all()
    for payment in stuck:
        if payment.id in seen:
            continue
        try:
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
        except NotFound:
            report.problems.append(f"payment {payment.id}: Stripe has no intent "
                                   f"{payment.stripe_payment_intent_id}")
            continue
        _settle(payment, intent, actor, report)
    _abandon(since, seen, actor, report)
    _settlements(report)
    _refunds(since, actor, report)
    _disputes(actor, report)
    return report


ABANDON_AFTER = timedelta(days=1)


def _abandon(since, seen, actor, report):
    """Close card attempts that never reached Stripe (an outage, a closed tab).

    Only attempts made inside the window just listed, and older than a day:
    had Stripe made an intent for one, the listing above would have found it
    by the payment id in its metadata.
    """
    cutoff = clock.now() - ABANDON_AFTER
    rows = db.session.execute(
        db.select(Payment).where(Payment.state == PaymentState.CREATED,
                                 Payment.stripe_payment_intent_id.is_(None),
                                 Payment.method == "card",
                                 Payment.created_at >= since, Payment.created_at < cutoff)
        .order_by(Payment.id)).scalars().all()
    for payment in rows:
        if payment.id in seen:
            continue
        payment = payments.lock(payment.id)
        if payments.cancel_abandoned(payment, actor=actor):
            report.note(f"payment {payment.id}: created -> canceled (never reached Stripe)")
        db.session.commit()


def _settle(payment, intent, actor, report):
    report.checked += 1
    before = payment.state
    payment = payments.settle(payment, intent, actor)  # commits; receipt and mail once
    if payment.state != before:
        report.note(f"payment {payment.id} ({intent.id}): {before} -> {payment.state}")


def _settlements(report):
    """Fee, net and availability date for succeeded charges that lack them."""
    missing = db.session.execute(
        db.select(Payment).where(Payment.state == PaymentState.SUCCEEDED, Payment.fee.is_(None),
                                 Payment.stripe_charge_id.is_not(None))).scalars().all()
    for payment in missing:
        payments.record_settlement(payment)
        if payment.fee is not None:
            report.note(f"payment {payment.id}: fee {payment.fee}, net {payment.net} recorded")
        db.session.commit()


def _refunds(since, actor, report):
    for info in gateway.list_refunds(since=since):
        _record_refund(info, actor, report)
    for refund in refunds.unfinished():
        if refund.stripe_refund_id:
            _record_refund(gateway.retrieve_refund(refund.stripe_refund_id), actor, report)
            continue
        if refund.state != RefundState.CREATED:
            continue
        # Stripe may have made it while our answer was lost; the same
        # idempotency key returns that refund instead of making a second one.
        charge = refund.payment.stripe_charge_id
        for info in gateway.list_refunds(charge_id=charge) if charge else []:
            if info.metadata.get("refund_id") == str(refund.id):
                _record_refund(info, actor, report)
                break
        else:
            try:
                refunds.submit(refund, actor)
                report.note(f"refund {refund.id}: sent to Stripe again -> {refund.state}")
            except PaymentUnavailable:
                report.problems.append(f"refund {refund.id}: Stripe still unreachable")
            except FundError as err:
                report.problems.append(f"refund {refund.id}: {err.message}")


def _record_refund(info, actor, report):
    report.checked += 1
    outcome = refunds.record(info, actor)
    if outcome in ("recorded", "updated"):
        report.note(f"refund {info.id}: {outcome} ({info.status}, {info.amount} {info.currency})")


def _disputes(actor, report):
    for dispute in disputes.unfinished():
        report.checked += 1
        info = gateway.retrieve_dispute(dispute.stripe_dispute_id)
        outcome = disputes.record(info, actor)
        if outcome in ("recorded", "updated"):
            report.note(f"dispute {info.id}: {outcome} ({info.status})")


SYNC_WINDOW = timedelta(days=3)


@jobs.task("fund.stripe_sync", every=timedelta(hours=1))
def sync_recent():
    """Periodic: repair what the last few days' lost webhooks left behind."""
    report = sync(since=clock.now() - SYNC_WINDOW)
    return {"repaired": len(report.repaired), "problems": len(report.problems)}
