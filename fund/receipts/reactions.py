"""How receipts follow the money: a refund or a lost dispute voids and reissues.

Receivers of fund.core.signals, run inside the sender's transaction (no commit).
"""
import logging

from flask import current_app

from fund.core import signals
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.receipts import issuing
from fund.receipts import mail as receipt_mail
from fund.receipts import notices
from fund.receipts.models import Receipt

log = logging.getLogger(__name__)


def follow_net_amount(*, donation, actor):
    """Void the gift's valid receipt and, while money remains, reissue it for what remains.

    Returns the reissue or None; the donor is sent the reissue's link and what changed
    (the refund mail itself says the old receipt is void).
    """
    receipt = issuing.covering_receipt(donation)
    if receipt is None:
        return None
    if all(line.amount == issuing.net_amount(line.donation) for line in receipt.lines):
        return None  # e.g. a duplicate payment refunded: what the receipt states still holds
    issuing.mark_void(receipt, issuing.REFUND_REASON, actor)
    if not any(issuing.net_amount(line.donation) > 0 for line in receipt.lines):
        return None
    new = issuing.reissue_in_transaction(receipt, actor, issuing.REFUND_REASON)
    notices.queue_reissue_notice(new)
    return new


@signals.net_amount_changed.connect
def _on_net_amount_changed(donation, actor):
    # A receipt problem (e.g. a missing font) is logged for the office and does
    # not undo money Stripe already moved.
    try:
        with db.session.begin_nested():
            follow_net_amount(donation=donation, actor=actor)
    except FundError as err:
        log.error("receipt for donation %s not updated after refund: %s", donation.id, err.message)


@signals.dispute_won.connect
def _on_dispute_won(dispute, actor):
    """The receipt held back while the dispute was open is issued now, as wished."""
    donation = dispute.payment.donation
    try:
        with db.session.begin_nested():
            receipt = issuing.issue_after_payment(donation=donation, actor=actor)
            if receipt is not None:
                receipt_mail.queue_receipt_mail(receipt)
    except FundError as err:
        log.error("receipt for donation %s not issued after its dispute was won: %s",
                  donation.id, err.message)


@signals.mail_attachments.connect
def _receipt_pdf(message):
    """Attach the receipt's PDF to its mail when RECEIPT_ATTACH_PDF is set."""
    if message.receipt_id is None or not current_app.config["RECEIPT_ATTACH_PDF"]:
        return []
    receipt = db.session.get(Receipt, message.receipt_id)
    return [(f"receipt-{receipt.number}.pdf", issuing.pdf_bytes(receipt), "application/pdf")]
