"""Refunds: made by the office here or in Stripe's dashboard, recorded once.

A refund the office asks for is committed as a `created` row first, then
sent to Stripe with an idempotency key made from that row's id, so a retry
(by this code after a timeout, or by stripe-sync later) can never refund
twice. Every state after `created` comes from a refund freshly read from
Stripe: the API's answer, a re-read after a webhook, or stripe-sync.
"""
import logging

from fund.core import audit, mail, signals
from fund.core.errors import Conflict, FundError, NotFound, PaymentUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.payments.stripe import api as gateway
from fund.payments.models import Refund
from fund.payments.models import (REFUND_TRANSITIONS, REFUND_UNFINISHED_STATES, PaymentState,
                                  RefundState)
from fund.core.money import format_yen
from fund.payments import services as payments
from fund.payments.webhooks import handles

log = logging.getLogger(__name__)

TRANSITIONS = REFUND_TRANSITIONS

STRIPE_STATES = {"pending": RefundState.PENDING, "requires_action": RefundState.REQUIRES_ACTION,
                 "succeeded": RefundState.SUCCEEDED, "failed": RefundState.FAILED, "canceled": RefundState.CANCELED}

MAX_REASON = 500


def can_transition(current, new):
    return new in TRANSITIONS[current]


def idempotency_key(refund):
    return f"fund-refund-{refund.id}"


def request_refund(*, donation, amount, reason, actor):
    """Refund `amount` yen of a paid donation for `reason`; returns the Refund row.

    Refused before Stripe is called when the gift is unpaid, disputed, or
    when `amount` is more than what is left to refund (refunds still in
    flight count as given back). Stripe being unreachable raises
    PaymentUnavailable and leaves the row `created`: stripe-sync finishes it
    with the same idempotency key.
    """
    reason = (reason or "").strip()
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = "Enter a positive amount in whole yen."
    if not reason:
        errors["reason"] = "Say why the gift is refunded (kept in the audit log)."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Use at most {MAX_REASON} characters."
    if errors:
        raise ValidationFailed("Please check the refund form.", errors=errors)
    payment = donation.succeeded_payment
    if payment is None:
        raise FundError("This gift has not been paid, so there is nothing to refund.",
                        code="not_paid")
    payment = _lock(payment)
    donation = payment.donation
    if donation.has_open_dispute:
        raise Conflict("The card issuer has an open dispute on this gift; Stripe does not "
                       "allow a refund until it is closed.", code="disputed")
    left = donation.refundable_amount
    if amount > left:
        raise Conflict(f"At most {format_yen(left)} of this gift can still be refunded; "
                       f"{format_yen(amount)} was asked.", code="over_refund",
                       errors={"amount": f"At most {format_yen(left)}."})
    refund = Refund(payment=payment, amount=amount, currency=payment.currency,
                    reason=reason, state=RefundState.CREATED)
    db.session.add(refund)
    db.session.flush()
    audit.record(actor, "refund.created", refund, amount=amount, reason=reason,
                 donation=donation.id, payment=payment.id)
    db.session.commit()
    return submit(refund, actor)


def submit(refund, actor):
    """Send a `created` refund to Stripe (again) under its own idempotency key."""
    payment = refund.payment
    try:
        info = gateway.create_refund(
            idempotency_key=idempotency_key(refund), payment_intent=payment.stripe_payment_intent_id,
            amount=refund.amount,
            metadata={"refund_id": str(refund.id), "payment_id": str(payment.id),
                      "donation_id": str(payment.donation_id)})
    except PaymentUnavailable:
        log.warning("refund %s not confirmed: Stripe unreachable", refund.id)
        raise
    except FundError as err:
        # Stripe refused it (e.g. already refunded in the dashboard): nothing moved.
        cause = str(err.errors.get("stripe") or err.message)[:200]
        refund = _lock_refund(refund.id)
        if refund.state == RefundState.CREATED:
            refund.state = RefundState.FAILED
            refund.failure_reason = cause
            audit.record(actor, "refund.failed", refund, previous=RefundState.CREATED, cause=cause)
        db.session.commit()
        raise FundError(f"Stripe refused the refund: {cause}", code="refund_refused") from err
    record(info, actor)
    db.session.refresh(refund)
    return refund


def record(info, actor):
    """Apply a refund freshly read from Stripe; commits. Returns the outcome.

    Finds our row by Stripe id, then by the refund_id we put in its metadata
    (our own call's answer may not be stored yet), else records a refund made
    in Stripe's dashboard as a new row. Repeats change nothing.
    """
    payment = payments.payment_for_stripe_object(intent_id=info.payment_intent,
                                                 charge_id=info.charge)
    if payment is None:
        return "unknown_object"
    payment = _lock(payment)
    if payment.state != PaymentState.SUCCEEDED:
        # Stripe refunded money, so it collected it: catch up with the payment first.
        payment = payments.catch_up(payment, actor)
        if payment.state != PaymentState.SUCCEEDED:
            log.warning("refund %s for unpaid payment %s left for stripe-sync", info.id, payment.id)
            return "deferred"
        payment = _lock(payment)
    refund = _find(info, payment)
    outcome = "unchanged"
    if refund is None:
        refund = Refund(payment=payment, amount=info.amount, currency=info.currency,
                        reason=_dashboard_reason(info), state=RefundState.CREATED, stripe_refund_id=info.id)
        db.session.add(refund)
        db.session.flush()
        audit.record(actor, "refund.recorded", refund, stripe_refund=info.id,
                     amount=info.amount, donation=payment.donation_id)
        outcome = "recorded"
    elif refund.stripe_refund_id is None:
        refund.stripe_refund_id = info.id
    if _apply_state(refund, info, actor):
        outcome = "recorded" if outcome == "recorded" else "updated"
    db.session.commit()
    mail.deliver_committed()  # the reissued receipt's link, if the amount changed
    return outcome


def _apply_state(refund, info, actor):
    new = STRIPE_STATES.get(info.status)
    old = refund.state
    if new is None or new == old or not can_transition(old, new):
        return False
    refund.state = new
    if new == RefundState.FAILED:
        refund.failure_reason = (info.failure_reason or "failed")[:200]
    audit.record(actor, f"refund.{new}", refund, previous=old, stripe_refund=info.id,
                 amount=refund.amount)
    if RefundState.SUCCEEDED in (old, new):
        # The net amount moved: the ledger books it, the receipt follows it.
        db.session.flush()
        sent = signals.refund_succeeded if new == RefundState.SUCCEEDED else signals.refund_failed
        sent.send(refund, actor=actor)
        donation = refund.payment.donation
        db.session.expire(donation)
        signals.net_amount_changed.send(donation, actor=actor)
    return True


def _find(info, payment):
    refund = db.session.execute(
        db.select(Refund).filter_by(stripe_refund_id=info.id)).scalar_one_or_none()
    if refund is not None:
        return refund
    ours = str(info.metadata.get("refund_id") or "")
    if ours.isdigit():
        refund = db.session.get(Refund, int(ours))
        if (refund is not None and refund.payment_id == payment.id
                and refund.stripe_refund_id is None):
            return refund
    return None


def _dashboard_reason(info):
    return f"Refunded in Stripe ({info.reason})" if info.reason else "Refunded in Stripe"


def _lock(payment):
    payment = payments.lock(payment.id)
    # Collections loaded before the lock may be stale.
    db.session.expire(payment, ["refunds", "disputes"])
    return payment


def _lock_refund(refund_id):
    return db.session.execute(
        db.select(Refund).where(Refund.id == refund_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def unfinished():
    """Our refunds Stripe has not confirmed yet (stripe-sync resends or re-reads them)."""
    return db.session.execute(
        db.select(Refund).where(Refund.state.in_(REFUND_UNFINISHED_STATES))
        .order_by(Refund.id)).scalars().all()


# --- webhooks -------------------------------------------------------------

@handles("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
def on_refund_event(event, obj):
    """refund.created / refund.updated / refund.failed / charge.refund.updated."""
    try:
        info = gateway.retrieve_refund(obj["id"])
    except NotFound:
        return "unknown_object"
    outcome = record(info, audit.stripe_event(event.stripe_event_id))
    return "processed" if outcome in ("recorded", "updated", "unchanged") else outcome


@handles("charge.refunded")
def on_charge_refunded(event, obj):
    """charge.refunded: re-read every refund of the charge and record each once."""
    try:
        infos = gateway.list_refunds(charge_id=obj["id"])
    except NotFound:
        return "unknown_object"
    actor = audit.stripe_event(event.stripe_event_id)
    outcomes = [record(info, actor) for info in infos]
    if not outcomes or all(o == "unknown_object" for o in outcomes):
        return "unknown_object"
    return "deferred" if "deferred" in outcomes else "processed"
