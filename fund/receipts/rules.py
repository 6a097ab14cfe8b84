"""When a gift may have a receipt at all: the "no receipt" mark and open disputes.

A receipt voided because the gift was not eligible marks the gift "no receipt",
so no later run ("issue missing receipts", annual summaries, a reissue) brings
it back; only the office lifts the mark, with a reason, audited. One gift of an
annual summary is marked the same way (fund.receipts.annual.mark_gift_not_eligible:
the summary is reissued without it). While a dispute (chargeback) is open the
money is not ours to certify: no receipt is issued, one issued before is voided
when the chargeback opens, and it comes back once the dispute is won
(fund.receipts.reactions).
"""
from fund.core import audit, clock
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db

MAX_REASON = 500


def check_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason.", errors={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"The reason is too long (at most {MAX_REASON} characters).",
                               errors={"reason": ["too long"]})
    return reason


def refusal(donation):
    """Why this gift may not have a receipt now, as an error to raise, or None."""
    if donation.no_receipt_at is not None:
        return Conflict(
            f"Gift #{donation.id} is marked \"no receipt\" ({donation.no_receipt_reason}); "
            "lift the mark on the gift's page first if it is eligible after all.",
            code="no_receipt")
    if donation.has_open_dispute:
        return Conflict(f"Gift #{donation.id} has an open dispute; its receipt is issued "
                        "once the dispute is won.", code="disputed")
    return None


def check_issuable(donation):
    error = refusal(donation)
    if error is not None:
        raise error


def mark_no_receipt(donation, reason, actor):
    """Mark a gift "no receipt" inside the caller's transaction (no commit)."""
    reason = check_reason(reason)
    donation.no_receipt_reason = reason
    donation.no_receipt_at = clock.now()
    audit.record(actor, "donation.no_receipt", donation, reason=reason)


def lift_no_receipt(*, donation, reason, confirmed, actor):
    """The office lifts a gift's "no receipt" mark, with a reason; commits.

    Issues nothing by itself: the office then issues the receipt as usual.
    """
    if donation.no_receipt_at is None:
        raise Conflict(f"Gift #{donation.id} is not marked \"no receipt\".", code="not_marked")
    reason = check_reason(reason)
    if not confirmed:
        raise ValidationFailed("Tick the box to confirm that this gift is eligible for a receipt.",
                               errors={"confirm": ["required"]})
    audit.record(actor, "donation.no_receipt_lifted", donation, reason=reason,
                 was=donation.no_receipt_reason)
    donation.no_receipt_reason = None
    donation.no_receipt_at = None
    db.session.commit()
    return donation
