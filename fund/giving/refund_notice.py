"""The donor hears of every refund, in their language: the amount, the card, the receipt.

A receiver of signals.refund_succeeded (an office refund, or one made in
Stripe's dashboard), run in the refund's transaction; the refund service
commits and sends it. It is sent before receipts follow the net amount, so it
can say what will happen to the receipt the gift has now.
"""
from fund.core import mail, signals
from fund.core.extensions import db
from fund.receipts import issuing


def refund_mail(refund):
    """Queue the refund mail for the refund's gift (no commit); returns the message."""
    donation = refund.payment.donation
    db.session.expire(donation)
    rendered = mail.render(
        "refund", donation.locale, donation=donation, donor=donation.donor,
        refunded=refund.amount, method=refund.payment.method, remaining=max(donation.net_amount, 0),
        had_receipt=issuing.covering_receipt(donation) is not None)
    return mail.queue_rendered(rendered, to=donation.donor.email, kind="refund",
                               donation=donation)


@signals.refund_succeeded.connect
def _on_refund_succeeded(refund, actor):
    refund_mail(refund)
