"""Telling the donor when a receipt changes: bulk issues mailed, voids and reissues announced.

A void is announced with its reason; a reissue with what changed (amount,
name, address, gifts) and its new link. When the notice comes after the
filing season for the receipt's year has opened (16 February of the next
year), the donor may already have filed with the old receipt, so the mail
says how to correct the return (修正申告, or 更正の請求 when the deduction
grows). Nothing here commits: each mail joins the transaction of its change.
"""
from datetime import date

from fund.core import clock, mail
from fund.core.extensions import db
from fund.receipts import links
from fund.receipts import mail as receipt_mail
from fund.receipts.models import Receipt, ReceiptStatus

COMPARED = (("amount", "amount"), ("donor_name", "name"), ("donor_representative",
            "representative"), ("donor_postal_code", "postal_code"),
            ("donor_address", "address"))


def filing_opened(year):
    """16 February of year + 1: from then a donor may have filed with the receipt."""
    return date(year + 1, 2, 16)


def may_have_filed(receipt, today=None):
    return (today or clock.today_jst()) >= filing_opened(receipt.year)


def _lang(receipt):
    return "en" if receipt.language == "en" else "ja"


def changes(old, new):
    """What a reissue changed, as (field, before, after), in print order."""
    found = [(label, getattr(old, attr), getattr(new, attr)) for attr, label in COMPARED
             if getattr(old, attr) != getattr(new, attr)]
    before, after = len(old.lines), len(new.lines)
    if before != after:
        found.append(("gifts", before, after))
    return found


def queue_void_notice(receipt):
    """The mail saying a receipt is void and why (no commit)."""
    rendered = mail.render("receipt_void", _lang(receipt), donor=receipt.donor, receipt=receipt,
                           voided_on=clock.jst_date(receipt.voided_at or clock.now()),
                           filed=may_have_filed(receipt))
    return mail.queue_rendered(rendered, to=receipt.donor.email, kind="receipt_void",
                               receipt=receipt)


def queue_reissue_notice(new):
    """The mail with the reissue's link, the receipt it replaces and what changed (no commit)."""
    old = db.session.get(Receipt, new.replaces_id) if new.replaces_id else None
    if old is None:
        return receipt_mail.queue_receipt_mail(new)
    rendered = mail.render("receipt_reissued", _lang(new), donor=new.donor, receipt=new, old=old,
                           changes=changes(old, new), filed=may_have_filed(new),
                           url=links.receipt_url(new), link_until=links.last_day(new))
    return mail.queue_rendered(rendered, to=new.donor.email, kind="receipt", receipt=new)


def mail_issued(receipt):
    """Queue the link of a receipt a bulk run issued, in the transaction that stores its
    file (no commit): committed together, so a run killed at any point leaves no stored
    receipt unmailed and mails none twice. A void one is not mailed."""
    if receipt.status != ReceiptStatus.VALID:
        return None
    return receipt_mail.queue_receipt_mail(receipt)
