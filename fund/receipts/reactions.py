"""How receipts follow the money: a refund or a lost dispute voids and reissues; a
chargeback opened on a gift voids its receipt (a summary is reissued without the gift)
until the dispute is won, when the receipt is issued again naming the one it replaces.

Receivers of fund.core.signals, run inside the sender's transaction (no commit).
"""
import logging

from flask import current_app

from fund.core import signals
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.receipts import annual, issuing
from fund.receipts import mail as receipt_mail
from fund.receipts import notices
from fund.receipts.models import Receipt, ReceiptLine, ReceiptStatus

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


def _in_savepoint(donation, failed, follow, refresh=None):
    """Run `follow()` in a savepoint: a receipt problem (e.g. a missing font) is logged for
    the office ("receipt for donation N not <failed>") and never undoes money Stripe
    already moved. `refresh`, a payment, has its disputes read again first."""
    try:
        with db.session.begin_nested():
            if refresh is not None:
                db.session.expire(refresh, ["disputes"])
            follow()
    except FundError as err:
        log.error("receipt for donation %s not %s: %s", donation.id, failed, err.message)


@signals.net_amount_changed.connect
def _on_net_amount_changed(donation, actor):
    _in_savepoint(donation, "updated after refund",
                  lambda: follow_net_amount(donation=donation, actor=actor))


def withdraw_for_dispute(*, donation, actor):
    """A chargeback opened on the gift: no receipt certifies it while the dispute is open.

    A per-gift receipt is voided with the reason; an annual summary is voided and
    reissued without the gift (or stays void if it was its only gift). The donor is
    told in the same transaction. Returns the receipt voided, or None.
    """
    receipt = issuing.covering_receipt(donation)
    if receipt is None:
        return None
    if receipt.kind == "annual":
        new = annual.without_gift(receipt, donation, issuing.DISPUTE_REASON, actor)
        if new is not None:
            notices.queue_reissue_notice(new)
            return receipt
    else:
        issuing.mark_void(receipt, issuing.DISPUTE_REASON, actor)
    notices.queue_void_notice(receipt)
    return receipt


def voided_for_dispute(donation):
    """The last receipt voided because a chargeback opened on this gift, or None."""
    return db.session.execute(
        db.select(Receipt).join(ReceiptLine).where(
            ReceiptLine.donation_id == donation.id, Receipt.status == ReceiptStatus.VOID,
            Receipt.void_reason == issuing.DISPUTE_REASON)
        .order_by(Receipt.id.desc()).limit(1)).scalar_one_or_none()


def restore_after_dispute(*, donation, actor):
    """The dispute was won: the receipt voided for it comes back under its number (-N),
    naming the one it replaces; a summary takes the gift back. Returns the reissue, a
    new receipt (none was issued before the dispute), or None."""
    if issuing.covering_receipt(donation) is not None or donation.has_open_dispute:
        return None
    voided = voided_for_dispute(donation)
    if voided is None:  # held back while the dispute was open: issued now, as wished
        receipt = issuing.issue_after_payment(donation=donation, actor=actor)
        if receipt is not None:
            receipt_mail.queue_receipt_mail(receipt)
        return receipt
    latest = db.session.execute(db.select(Receipt).where(
        Receipt.series_year == voided.series_year, Receipt.sequence == voided.sequence,
        Receipt.revision == issuing.latest_revision(voided))).scalar_one()
    if latest.status == ReceiptStatus.VOID and latest.id != voided.id:
        return None  # voided since for another reason: the office decides
    new = issuing.reissue_in_transaction(latest, actor, issuing.DISPUTE_WON_REASON,
                                         add=[donation])
    notices.queue_reissue_notice(new)
    return new


@signals.dispute_opened.connect
def _on_dispute_opened(dispute, actor):
    donation = dispute.payment.donation
    _in_savepoint(donation, "voided when its dispute opened",
                  lambda: withdraw_for_dispute(donation=donation, actor=actor),
                  refresh=dispute.payment)


@signals.dispute_won.connect
def _on_dispute_won(dispute, actor):
    """The receipt voided or held back while the dispute was open is issued now."""
    donation = dispute.payment.donation
    _in_savepoint(donation, "issued after its dispute was won",
                  lambda: restore_after_dispute(donation=donation, actor=actor),
                  refresh=dispute.payment)


@signals.mail_attachments.connect
def _receipt_pdf(message):
    """Attach the receipt's PDF to its mail when RECEIPT_ATTACH_PDF is set."""
    if message.receipt_id is None or not current_app.config["RECEIPT_ATTACH_PDF"]:
        return []
    receipt = db.session.get(Receipt, message.receipt_id)
    return [(f"receipt-{receipt.number}.pdf", issuing.pdf_bytes(receipt), "application/pdf")]
