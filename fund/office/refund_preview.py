"""What a refund will do, said before it is made: the amount, what stays, the receipt.

The office confirms a refund on a page that shows this; the refund itself is
fund.payments.refunds.request_refund, which checks the same rules again under
a row lock (two clerks confirming at once cannot refund more than was paid).
"""
from dataclasses import dataclass

from fund.core.errors import Conflict, FundError, ValidationFailed
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.payments.refunds import MAX_REASON
from fund.receipts import issuing


@dataclass(frozen=True)
class RefundPreview:
    amount: int
    reason: str
    refundable: int
    remaining: int          # what the fund keeps afterwards
    receipt: object         # the valid receipt covering the gift now, or None

    @property
    def receipt_outcome(self):
        """none | void (nothing left) | reissue (voided, reissued for what remains)."""
        if self.receipt is None:
            return "none"
        return "reissue" if self.remaining > 0 else "void"


def preview(*, donation, amount, reason, lang):
    """Check a refund the office is about to confirm; raises FundError with a message."""
    reason = (reason or "").strip()
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = gettext_for(lang, "Enter a positive amount in whole yen.")
    if not reason:
        errors["reason"] = gettext_for(lang, "Say why the gift is refunded (kept in the audit log).")
    elif len(reason) > MAX_REASON:
        errors["reason"] = gettext_for(lang, "Use at most %(count)s characters.", count=MAX_REASON)
    if errors:
        raise ValidationFailed(gettext_for(lang, "Please check the refund form."), errors=errors)
    if donation.succeeded_payment is None:
        raise FundError(gettext_for(lang, "This gift has not been paid, so there is nothing to refund."),
                        code="not_paid")
    if donation.has_open_dispute:
        raise Conflict(gettext_for(lang, "The card issuer has an open dispute on this gift; Stripe "
                                         "does not allow a refund until it is closed."),
                       code="disputed")
    left = donation.refundable_amount
    if amount > left:
        message = gettext_for(lang, "At most %(left)s of this gift can still be refunded; "
                                    "%(asked)s was asked.", left=format_yen(left),
                              asked=format_yen(amount))
        raise Conflict(message, code="over_refund", errors={"amount": message})
    return RefundPreview(amount=amount, reason=reason, refundable=left,
                         remaining=donation.net_amount - amount,
                         receipt=issuing.covering_receipt(donation))
