"""Mail that carries a receipt link: annual summaries and reissues.

The first receipt of a gift goes out with the thank-you mail
(fund.giving.settlement); these go through the same outbox, so a failed send
is visible at /office/mail and retried by `flask fund mail-retry`.
"""
from flask import current_app, render_template

from fund.core.money import format_yen
from fund.core import mail
from fund.core.extensions import db
from fund.receipts import links

SUBJECTS = {
    ("ja", "single"): "【QST未来基金】寄附金受領証明書 {number}",
    ("ja", "annual"): "【QST未来基金】{year}年 年間寄附金受領証明書 {number}",
    ("en", "single"): "[QST Future Fund] Donation receipt {number}",
    ("en", "annual"): "[QST Future Fund] Annual receipt {year} {number}",
}


def queue_receipt_mail(receipt):
    """Queue the mail with the signed link (no commit); returns the message."""
    lang = "en" if receipt.language == "en" else "ja"
    donor = receipt.donor
    subject = SUBJECTS[lang, receipt.kind].format(number=receipt.number, year=receipt.year)
    if receipt.is_reissue:
        subject += "（再発行）" if lang == "ja" else " (reissued)"
    body = render_template(
        f"receipts/mail.{lang}.txt", receipt=receipt, name=donor.name,
        amount=format_yen(receipt.amount), url=links.receipt_url(receipt),
        max_age_days=current_app.config["RECEIPT_LINK_MAX_AGE_DAYS"])
    return mail.queue(to=donor.email, subject=subject, body=body, kind="receipt",
                      receipt=receipt)


def send_link(receipt):
    """Queue the receipt's link for its donor, commit, and send it now."""
    queue_receipt_mail(receipt)
    db.session.commit()
    mail.deliver_committed()
