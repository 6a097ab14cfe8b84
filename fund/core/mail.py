"""Outgoing mail through an outbox table.

Messages are queued in the transaction that causes them and sent after it
commits, so a mail server that is down never loses or rolls back a payment;
failed sends keep their error for the office and are retried.
"""
import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.core.models import FAILED, QUEUED, SENT
from fund.core import clock

log = logging.getLogger(__name__)


def queue(*, to, subject, body, kind, receipt=None, donation=None):
    message = OutboundEmail(to_address=to, subject=subject, body=body, kind=kind,
                            receipt_id=receipt.id if receipt else None,
                            donation_id=donation.id if donation else None)
    db.session.add(message)
    return message


def _attachments(message):
    if message.receipt_id is None or not current_app.config["RECEIPT_ATTACH_PDF"]:
        return []
    from fund.receipts import issuing as receipts
    receipt = db.session.get(receipts.Receipt, message.receipt_id)
    return [(f"receipt-{receipt.number}.pdf", receipts.pdf_bytes(receipt))]


def _send(message):
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="qst-fund.local")
    email.set_content(message.body)
    for filename, data in _attachments(message):
        email.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    if not cfg["MAIL_SERVER"]:
        log.info("mail (no MAIL_SERVER set) to %s: %s\n%s", message.to_address,
                 message.subject, message.body)
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


def deliver(message_ids=None):
    """Send queued (or given) messages; return (sent, failed) counts."""
    query = db.select(OutboundEmail).where(OutboundEmail.status.in_([QUEUED, FAILED]))
    if message_ids is not None:
        if not message_ids:
            return 0, 0
        query = query.where(OutboundEmail.id.in_(message_ids))
    sent = failed = 0
    for message in db.session.execute(query.order_by(OutboundEmail.id)).scalars():
        message.attempts += 1
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as err:
            message.status = FAILED
            message.last_error = str(err)[:500]
            failed += 1
            log.warning("mail %s to %s failed: %s", message.id, message.to_address, err)
        else:
            message.status = SENT
            message.sent_at = clock.now()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed
