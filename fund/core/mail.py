"""Outgoing mail through an outbox table.

Messages are queued in the transaction that causes them and sent after it
commits, so a mail server that is down never loses or rolls back a payment;
failed sends keep their error for the office and are retried.
"""
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import inspect

from fund.core.extensions import db
from fund.core.models import MailStatus, OutboundEmail
from fund.core import clock, jobs, signals

log = logging.getLogger(__name__)


PENDING_KEY = "fund.mail.pending"


@dataclass(frozen=True)
class Rendered:
    """A mail rendered in one language: subject, plain text and (optional) HTML."""

    subject: str
    text: str
    html: str | None


def render(name, lang, *, subject=None, **context):
    """Render `templates/email/<name>.txt` and, if it exists, `<name>.html` in `lang`.

    The subject is the template's own `{% set subject = _('…') %}` when it sets
    one, else `subject` (translate it with `gettext_for(lang, …)`). Both
    templates get `lang` and the context; the HTML one is autoescaped.
    """
    env = current_app.jinja_env
    with force_locale(lang):
        values = dict(context, lang=lang)
        current_app.update_template_context(values)
        module = env.get_template(f"email/{name}.txt").make_module(values)
        title = str(getattr(module, "subject", "") or subject or "").strip()
        if not title:
            raise ValueError(f"mail template {name} has no subject")
        values["subject"] = title
        try:
            html = env.get_template(f"email/{name}.html").render(values)
        except TemplateNotFound:
            html = None
    return Rendered(subject=title, text=str(module).lstrip("\n"), html=html)


def queue(*, to, subject, body, kind, receipt=None, donation=None, html=None, donor=None):
    """Add a message to the outbox in the current transaction (no commit).

    `body` is the plain text; `html`, when given, is sent beside it as
    multipart/alternative. The donor is taken from `donor`, the donation or
    the receipt, so the office sees every mail on the donor's page.
    The service that commits then calls `deliver_committed()` to send what
    this session queued; a rolled-back transaction sends nothing.
    """
    donor_id = (donor.id if donor is not None else donation.donor_id if donation is not None
                else receipt.donor_id if receipt is not None else None)
    message = OutboundEmail(to_address=to, subject=subject, body=body, html=html, kind=kind,
                            donor_id=donor_id,
                            receipt_id=receipt.id if receipt else None,
                            donation_id=donation.id if donation else None)
    db.session.add(message)
    db.session.info.setdefault(PENDING_KEY, []).append(message)
    return message


def queue_rendered(rendered, *, to, kind, **links):
    """Queue a `render()`ed mail (no commit); `links` as for `queue` (donor, donation, receipt)."""
    return queue(to=to, subject=rendered.subject, body=rendered.text, html=rendered.html,
                 kind=kind, **links)


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


def build(message):
    """The message as it goes on the wire: text, HTML beside it, attachments."""
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id or make_msgid(domain="qst-fund.local")
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for filename, data, mimetype in _attachments(message):
        maintype, _, subtype = mimetype.partition("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return email


def _send(message):
    """Hand the message to the SMTP server; MailStatus.SENT, or LOGGED without a server."""
    cfg = current_app.config
    email = build(message)
    message.message_id = email["Message-ID"]
    if not cfg["MAIL_SERVER"]:
        if cfg.get("FUND_ENV") == "development":
            # A development machine has no mail server: the mail is shown in the log.
            log.info("mail (no MAIL_SERVER set) to %s: %s\n%s", message.to_address,
                     message.subject, message.body)
        else:  # never a donor's address or text in a production log
            log.warning("mail %s not sent: no MAIL_SERVER is configured", message.id)
        return MailStatus.LOGGED
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)
    return MailStatus.SENT


def deliver(message_ids=None):
    """Send queued (or given) messages; return (sent or logged, failed) counts.

    Each message is locked while it is sent (skipping one another process holds),
    so the periodic retry and a request's own delivery never send it twice.
    """
    waiting = OutboundEmail.status.in_([MailStatus.QUEUED, MailStatus.FAILED])
    query = db.select(OutboundEmail.id).where(waiting)
    if message_ids is not None:
        if not message_ids:
            return 0, 0
        query = query.where(OutboundEmail.id.in_(message_ids))
    ids = db.session.execute(query.order_by(OutboundEmail.id)).scalars().all()
    db.session.commit()
    sent = failed = 0
    for message_id in ids:
        message = db.session.execute(
            db.select(OutboundEmail).where(OutboundEmail.id == message_id, waiting)
            .with_for_update(skip_locked=True)).scalar_one_or_none()
        if message is None:
            db.session.rollback()
            continue
        message.attempts += 1
        try:
            outcome = _send(message)
        except (OSError, smtplib.SMTPException) as err:
            message.status = MailStatus.FAILED
            message.last_error = str(err)[:500]
            failed += 1
            log.warning("mail %s failed: %s", message.id, type(err).__name__)
        else:
            message.status = outcome
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
