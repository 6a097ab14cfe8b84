"""The office's receipt actions: each changes what it must, mails the donor, and commits once."""
from fund.core import mail
from fund.core.errors import ValidationFailed
from fund.core.extensions import db
from fund.receipts import annual, holds, issuing, notices
from fund.receipts import mail as receipt_mail
from fund.receipts.models import ReceiptStatus


def _commit_and_send(receipt):
    receipt_mail.queue_receipt_mail(receipt)
    db.session.commit()
    mail.deliver_committed()
    return receipt


def issue_and_send(*, donation, actor):
    """Issue the missing receipt of a paid gift and send the donor its link."""
    return _commit_and_send(issuing.issue_for_donation(donation=donation, actor=actor))


def reissue_and_send(*, receipt, actor, reason):
    """Reissue under the same number (-N), voiding the old one, and send the new link
    with what changed.

    The amount is the gift's net of refunds and lost disputes: never typed.
    """
    new = issuing.reissue_in_transaction(receipt, actor, reason)
    notices.queue_reissue_notice(new)
    db.session.commit()
    mail.deliver_committed()
    return new


def void_and_tell(*, receipt, reason, actor, ineligible=False):
    """Void a receipt with a reason (marking the gift "no receipt" when ineligible) and
    tell the donor why."""
    issuing.void_in_transaction(receipt, reason, actor, ineligible=ineligible)
    # The notice joins the void's transaction: announced exactly when it happened.
    notices.queue_void_notice(receipt)
    db.session.commit()
    mail.deliver_committed()
    return receipt


def not_eligible_in_summary(*, summary, donation, reason, actor):
    """Mark one gift of an annual summary not eligible, with a reason: the summary is
    voided and reissued without it (the donor is sent the reissue and what changed), or,
    when it was the summary's only gift, stays void (the donor is told why). Commits."""
    new = annual.mark_gift_not_eligible(summary=summary, donation=donation, reason=reason,
                                        actor=actor)
    if new is not None:
        notices.queue_reissue_notice(new)
    else:
        notices.queue_void_notice(summary)
    db.session.commit()
    mail.deliver_committed()
    return new


def send_again(*, receipt):
    """Send the link of a valid receipt once more."""
    if receipt.status != ReceiptStatus.VALID:
        raise ValidationFailed("A void receipt is not sent to the donor.")
    receipt_mail.send_link(receipt)
    return receipt


def annual_and_send(*, donor, year, actor):
    """Issue (or bring up to date) a donor's annual summary and send its link."""
    summary = annual.issue_annual(donor=donor, year=year, actor=actor, commit=False)
    summary.sha256 = issuing.hash_of(summary)
    return _commit_and_send(summary)


def release_and_send(*, hold_id, actor):
    """Release a held receipt once the donor's details print; issue it and send its link."""
    def issue(hold):
        if hold.kind == "annual":
            summary = annual.issue_annual(donor=hold.donor, year=hold.year, actor=actor,
                                          commit=False)
            summary.sha256 = issuing.hash_of(summary)
            return summary
        return issuing.issue_for_donation(donation=hold.donation, actor=actor)

    return _commit_and_send(holds.release(hold_id=hold_id, actor=actor, issue=issue))
