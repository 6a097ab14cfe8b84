"""What a paid gift entails, whatever the method: the receipt if wanted, then the thank-you.

This is the one settlement path. fund.payments sends signals.payment_succeeded
when a card, konbini, bank-transfer or monthly-invoice payment succeeds; the
receiver here issues the receipt the donor asked for and queues the mail (a
monthly gift gets the monthly mail with its cancel link). It runs inside the
payment's transaction and never commits; the sender commits and sends the mail.
"""
import logging

from flask_babel import force_locale, gettext

from fund.core import audit, clock, signals
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.core.money import format_yen
from fund.giving import donor_mail, pledges
from fund.receipts import issuing as receipts
from fund.receipts import links

log = logging.getLogger(__name__)


def settle_gift(*, donation, actor):
    """Issue the receipt if wanted and queue the thank-you mail; return the mail ids.

    A receipt that cannot be issued (e.g. no Japanese font) is logged for the
    office and never undoes the payment.
    """
    receipt = None
    flag_duplicate(donation, actor)
    if donation.wants_receipt:
        try:
            with db.session.begin_nested():
                # Donors who prefer one annual summary get no per-gift receipt.
                receipt = receipts.issue_after_payment(donation=donation, actor=actor)
        except FundError as err:
            # The payment stands; the office issues the receipt once fixed.
            log.error("receipt for donation %s not issued: %s", donation.id, err.message)
            receipt = None
    if not donation.donor.email:
        # A donor known only from a paper form: the office posts the receipt.
        db.session.flush()
        return []
    if donation.pledge is not None:
        pledge = donation.pledge
        message = pledges.pledge_mail(pledge, "paid", donation=donation, receipt=receipt,
                                      first=len(pledge.donations) == 1)
    else:
        message = thank_you_mail(donation, receipt)
    db.session.flush()
    return [message.id]


def flag_duplicate(donation, actor):
    """A second payment succeeded on one gift: flag the excess for refund (the office
    sees it on the gift and the dashboard); the receipt states the gift, never both."""
    succeeded = [p for p in donation.payments if p.state == "succeeded"]
    if len(succeeded) < 2 or donation.refund_due <= 0 or donation.duplicate_payment_at:
        return
    donation.duplicate_payment_at = clock.now()
    audit.record(actor, "donation.duplicate_payment", donation,
                 payments=[p.id for p in succeeded], refund_due=donation.refund_due)


def thank_you_mail(donation, receipt):
    """Queue the thank-you mail of a one-off gift, in the donor's language (text and HTML)."""
    lang = donation.locale
    with force_locale(lang):
        if receipt:
            subject = gettext("QST Future Fund: thank you for your gift (receipt %(number)s)",
                              number=receipt.number)
        else:
            subject = gettext("QST Future Fund: thank you for your gift")
    return donor_mail.queue(
        "thanks", lang=lang, donor=donation.donor, subject=subject, kind="thanks",
        receipt=receipt, donation=donation, amount=format_yen(donation.amount),
        receipt_url=links.receipt_url(receipt) if receipt else None,
        link_until=links.last_day(receipt) if receipt else None,
        purpose=donation.purpose(lang))


def expired_mail(payment):
    """Queue the mail telling the donor their konbini/bank-transfer request lapsed."""
    donation = payment.donation
    with force_locale(donation.locale):
        subject = gettext("QST Future Fund: your payment deadline has passed")
    return donor_mail.queue(
        "instructions_expired", lang=donation.locale, donor=donation.donor, subject=subject,
        kind="instructions_expired", donation=donation, amount=format_yen(payment.amount),
        method=payment.method)


@signals.payment_succeeded.connect
def _on_payment_succeeded(payment, actor):
    settle_gift(donation=payment.donation, actor=actor)


@signals.payment_expired.connect
def _on_payment_expired(payment, actor):
    expired_mail(payment)
