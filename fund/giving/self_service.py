"""Donor self-service: what a donor signed in by email link may see and change.

Everything here is scoped to the donor records that carry the signed-in
address; nothing of another donor is ever returned or changed (callers pass
the address from the session, never an id from the request alone).
"""
from dataclasses import dataclass

from flask_babel import force_locale, gettext
from sqlalchemy.orm import selectinload

from fund.core import audit, clock, mail
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.donors import services as donors
from fund.core.money import format_yen
from fund.giving import donor_mail, pledge_links
from fund.giving.models import Donation, Pledge, PledgeStatus
from fund.payments.models import Payment
from fund.payments.stripe import methods as stripe_methods
from fund.receipts.models import Receipt


@dataclass(frozen=True)
class Overview:
    donors: list
    gifts: list
    receipts: list
    pledges: list


def overview(email):
    """The donor records, gifts, receipts and monthly pledges of one address."""
    records = donors.donors_with_email(email)
    ids = [d.id for d in records]
    if not ids:
        return Overview([], [], [], [])
    gifts = db.session.execute(
        db.select(Donation).where(Donation.donor_id.in_(ids))
        .options(selectinload(Donation.payments).selectinload(Payment.refunds),
                 selectinload(Donation.payments).selectinload(Payment.disputes),
                 selectinload(Donation.campaign), selectinload(Donation.project))
        .order_by(Donation.created_at.desc(), Donation.id.desc())).scalars().all()
    receipts = db.session.execute(
        db.select(Receipt).where(Receipt.donor_id.in_(ids))
        .order_by(Receipt.issued_at.desc(), Receipt.id.desc())).scalars().all()
    monthly = db.session.execute(
        db.select(Pledge).where(Pledge.donor_id.in_(ids)).order_by(Pledge.id.desc())
    ).scalars().all()
    return Overview(records, [g for g in gifts if g.payments], receipts, monthly)


def own(model, row_id, email):
    """A row of `model` that belongs to a donor with this address, else NotFound."""
    row = db.session.get(model, row_id)
    if row is None or row.donor_id not in {d.id for d in donors.donors_with_email(email)}:
        raise NotFound(gettext("This page does not exist."))
    return row


def own_donor(donor_id, email):
    """A donor record with this address, else NotFound."""
    donor = next((d for d in donors.donors_with_email(email) if d.id == donor_id), None)
    if donor is None:
        raise NotFound(gettext("This page does not exist."))
    return donor


def change_pledge_amount(*, pledge, amount, lang, min_amount, max_amount):
    """A new monthly amount from the next invoice on; commits. Stripe first, then our row."""
    with force_locale(lang):
        if not isinstance(amount, int) or not min_amount <= amount <= max_amount:
            raise ValidationFailed(
                gettext("Choose an amount between ¥%(min)s and ¥%(max)s.",
                        min=f"{min_amount:,}", max=f"{max_amount:,}"),
                errors={"amount": "range"})
        if pledge.status not in (PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE):
            raise Conflict(gettext("This monthly gift has already stopped."), code="pledge_closed")
        if amount == pledge.amount:
            return pledge
    actor = audit.donor(pledge.donor_id)
    stripe_methods.change_subscription_amount(
        pledge.stripe_subscription_id, amount=amount,
        product=stripe_methods.ensure_monthly_product(),
        idempotency_key=f"fund-pledge-{pledge.id}-amount-{amount}-{clock.today_jst()}")
    previous = pledge.amount
    pledge.amount = amount
    audit.record(actor, "pledge.amount_changed", pledge, previous=previous, amount=amount)
    _amount_changed_mail(pledge, previous)
    db.session.commit()
    mail.deliver_committed()
    return pledge


def _amount_changed_mail(pledge, previous):
    with force_locale(pledge.locale):
        subject = gettext("QST Future Fund: your monthly gift is now %(amount)s",
                          amount=format_yen(pledge.amount))
    return donor_mail.queue(
        "pledge_changed", lang=pledge.locale, donor=pledge.donor, subject=subject,
        kind="pledge_changed", previous=format_yen(previous), amount=format_yen(pledge.amount),
        cancel_url=pledge_links.cancel_url(pledge))


def card_update_url(*, pledge, return_url):
    """Where the donor replaces the card of a monthly gift (Stripe's customer portal)."""
    if pledge.status not in (PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE) \
            or not pledge.stripe_customer_id:
        raise Conflict(gettext("This monthly gift has already stopped."), code="pledge_closed")
    return stripe_methods.card_update_url(customer=pledge.stripe_customer_id,
                                          return_url=return_url)
