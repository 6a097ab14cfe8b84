"""Mail that carries a receipt link: annual summaries and reissues.

The first receipt of a gift goes out with the thank-you mail
(fund.giving.settlement); these go through the same outbox, so a failed send
is visible at /office/mail and retried by `flask fund mail-retry`.
"""
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from fund.core.money import format_yen
from fund.core import audit, clock, mail
from fund.core.extensions import db
from fund.receipts import links

SUBJECTS = {
    "single": _l("[QST Future Fund] Donation receipt %(number)s"),
    "annual": _l("[QST Future Fund] Annual receipt %(year)s %(number)s"),
    "single_reissue": _l("[QST Future Fund] Donation receipt %(number)s (reissued)"),
    "annual_reissue": _l("[QST Future Fund] Annual receipt %(year)s %(number)s (reissued)"),
}


def queue_receipt_mail(receipt):
    """Queue the mail with the signed link (no commit); returns the message."""
    lang = "en" if receipt.language == "en" else "ja"
    donor = receipt.donor
    key = receipt.kind + ("_reissue" if receipt.is_reissue else "")
    with force_locale(lang):
        subject = str(SUBJECTS[key]) % {"number": receipt.number, "year": receipt.year}
        body = render_template(
            "receipts/mail.txt", receipt=receipt, name=donor.name,
            amount=format_yen(receipt.amount), url=links.receipt_url(receipt),
            link_until=links.last_day(receipt))
    return mail.queue(to=donor.email, subject=subject, body=body, kind="receipt",
                      receipt=receipt)


def send_link(receipt):
    """Queue the receipt's link for its donor, commit, and send it now."""
    queue_receipt_mail(receipt)
    db.session.commit()
    mail.deliver_committed()


def record_opened(receipt):
    """Note the first time the donor opened the receipt's link (for the filing reminder)."""
    if receipt.opened_at is None:
        receipt.opened_at = clock.now()
        db.session.commit()


def send_renewed_link(receipt):
    """A new link for a donor whose link expired: only to the donor's address on file."""
    queue_receipt_mail(receipt)
    audit.record(audit.donor(receipt.donor_id), "receipt.link_renewed", receipt,
                 number=receipt.number)
    db.session.commit()
    mail.deliver_committed()
