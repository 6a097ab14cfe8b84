"""Outgoing mail through an outbox table.

Messages are queued in the transaction that causes them and sent after it
commits, so a mail server that is down never loses or rolls back a payment;
failed sends keep their error for the office and are retried.
"""
import logging
from datetime import timedelta
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import inspect

from fund.core.extensions import db
from fund.core.models import MailStatus, OutboundEmail
from fund.core import clock, jobs, signals

log = logging.getLogger(__name__)


PENDING_KEY = "fund.mail.pending"


def queue(*, to, subject, body, kind, receipt=None, donation=None):
    """Add a message to the outbox in the current transaction (no commit).

    The service that commits then calls `deliver_committed()` to send what
    this session queued; a rolled-back transaction sends nothing.
    """
    message = OutboundEmail(to_address=to, subject=subject, body=body, kind=kind,
                            receipt_id=receipt.id if receipt else None,
                            donation_id=donation.id if donation else None)
    db.session.add(message)
    db.session.info.setdefault(PENDING_KEY, []).append(message)
    return message


def deliver_committed():
    """Send the messages this session queued and committed since the last call."""
    pending = db.session.info.pop(PENDING_KEY, [])
    # The identity key, not `message.id`: reading an attribute after commit would
    # reload the row, and a rolled-back message has no identity at all.
    ids = [inspect(message).identity[0] for message in pending if inspect(message).identity]
    return deliver(ids) if ids else (0, 0)


def _attachments(message):
    files = []
    for _receiver, result in signals.mail_attachments.send(message):
        files.extend(result or [])
    return files


def _send(message):
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="qst-fund.local")
    email.set_content(message.body)
    for filename, data, mimetype in _attachments(message):
        maintype, _, subtype = mimetype.partition("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if not cfg["MAIL_SERVER"]:
        if cfg.get("FUND_ENV") == "development":
            # A development machine has no mail server: the mail is shown in the log.
            log.info("mail (no MAIL_SERVER set) to %s: %s\n%s", message.to_address,
                     message.subject, message.body)
        else:  # never a donor's address or text in a production log
            log.warning("mail %s not sent: no MAIL_SERVER is configured", message.id)
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


def deliver(message_ids=None):
    """Send queued (or given) messages; return (sent, failed) counts."""
    query = db.select(OutboundEmail).where(OutboundEmail.status.in_([MailStatus.QUEUED, MailStatus.FAILED]))
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
            message.status = MailStatus.FAILED
            message.last_error = str(err)[:500]
            failed += 1
            log.warning("mail %s failed: %s", message.id, type(err).__name__)
        else:
            message.status = MailStatus.SENT
            message.sent_at = clock.now()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed


@jobs.task("fund.mail_retry", every=timedelta(minutes=10))
def retry():
    """Periodic: send queued and failed mail again."""
    sent, failed = deliver()
    return {"sent": sent, "failed": failed}
