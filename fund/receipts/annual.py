"""Annual summaries (年間寄附金受領証明書): one receipt for a donor's calendar year.

For monthly supporters and anyone who prefers one document
(Donor.receipt_preference == "annual"). The summary lists every paid gift
of the year with its date and amount net of refunds. A gift is never on two
valid receipts: per-gift receipts of those gifts are voided when the summary
takes them over, and a summary that must change (a late gift) is reissued
under its number.
"""
from datetime import date, datetime, time

from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.payments.models import Payment
from fund.receipts.models import Receipt, ReceiptLine
from fund.payments.models import PaymentState
from fund.receipts.models import ReceiptStatus
from fund.core import audit
from fund.core import clock
from fund.receipts import issuing as receipts
from fund.receipts import holds, rules

CONSOLIDATED_REASON = "年間寄附金受領証明書にまとめて発行 / consolidated into the annual receipt"
UPDATED_REASON = "年間寄附金受領証明書の更新 / annual receipt updated"
NOT_ELIGIBLE_REASON = "寄附金控除の対象外の寄附を除外 / a gift that is not eligible was removed"
MIN_YEAR, MAX_YEAR = 2000, 2100


def check_year(year):
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"Give a calendar year between {MIN_YEAR} and {MAX_YEAR}.",
                               errors={"year": ["invalid"]})
    return year


def is_finished(year):
    """True once the calendar year has ended in Japan (from 1 January JST of year + 1)."""
    return year < clock.today_jst().year


def check_finished(year):
    """Refuse an annual summary of a year that has not ended: it would certify gifts
    "received from 1 January to 31 December" before December is over."""
    check_year(year)
    if not is_finished(year):
        raise Conflict(
            f"{year}年の年間寄附金受領証明書は{year + 1}年1月1日（日本時間）から発行できます。"
            "それまでは途中経過（受領証明書ではありません）をご利用ください。 / "
            f"The annual receipt for {year} can be issued from 1 January {year + 1} "
            "(Japan time). Until then, an interim statement (not a receipt) is available.",
            code="year_not_finished")
    return year


def year_bounds(year):
    """The calendar year in Japan as UTC-comparable aware datetimes."""
    start = datetime.combine(date(year, 1, 1), time(), tzinfo=clock.JST)
    end = datetime.combine(date(year + 1, 1, 1), time(), tzinfo=clock.JST)
    return start, end


def paid_gifts(year, donor_ids=None):
    """Gifts paid in `year` (Japan time) that want a receipt and may have one, in date order."""
    start, end = year_bounds(year)
    query = (db.select(Donation).join(Payment)
             .where(Payment.state == PaymentState.SUCCEEDED, Payment.succeeded_at >= start,
                    Payment.succeeded_at < end, Donation.wants_receipt.is_(True),
                    Donation.no_receipt_at.is_(None))
             .order_by(Payment.succeeded_at, Donation.id))
    if donor_ids is not None:
        query = query.where(Donation.donor_id.in_(donor_ids))
    gifts = db.session.execute(query).scalars().unique().all()
    # A gift under an open dispute joins the summary once the dispute is won.
    return [gift for gift in gifts if gift.is_paid and receipts.net_amount(gift) > 0
            and not gift.has_open_dispute]


def annual_donors(year):
    """Donors who prefer an annual summary and gave in `year`; nobody before it ends."""
    if not is_finished(year):
        return []
    donor_ids = {gift.donor_id for gift in paid_gifts(year)}
    if not donor_ids:
        return []
    return db.session.execute(
        db.select(Donor).where(Donor.id.in_(donor_ids), Donor.receipt_preference == "annual")
        .order_by(Donor.id)).scalars().all()


def valid_annual(donor, year):
    return db.session.execute(db.select(Receipt).where(
        Receipt.donor_id == donor.id, Receipt.year == year, Receipt.kind == "annual",
        Receipt.status == ReceiptStatus.VALID)).scalar_one_or_none()


def is_current(donor, year):
    """True when the donor's valid summary already lists exactly what it should."""
    existing = valid_annual(donor, year)
    if existing is None:
        return False
    wanted = {(g.id, receipts.net_amount(g)) for g in paid_gifts(year, [donor.id])}
    return wanted == {(line.donation_id, line.amount) for line in existing.lines}


def issue_annual(*, donor, year, actor, language=None, commit=True):
    """Issue (or bring up to date) the donor's annual summary for `year`.

    Refuses when there are no gifts or the valid summary is already current.
    `commit=False` leaves the transaction and the SHA-256 to a bulk run.
    """
    check_finished(year)
    receipts.pdf_check()
    holds.refuse_donor(donor)  # never 〓 on a receipt (fund/receipts/holds.py)
    gifts = paid_gifts(year, [donor.id])
    if not gifts:
        raise Conflict(f"{donor.receipt_name} has no paid gifts in {year} to summarise.",
                       code="nothing_to_summarise")
    existing = valid_annual(donor, year)
    if existing is not None:
        if is_current(donor, year):
            raise Conflict(f"The annual receipt {existing.number} for {year} is already "
                           "up to date.", code="already_issued")
        receipts.mark_void(existing, UPDATED_REASON, actor)
    # Per-gift receipts hand their gifts over to the summary.
    for gift in gifts:
        single = receipts.covering_receipt(gift)
        if single is not None:
            receipts.mark_void(single, CONSOLIDATED_REASON, actor)
    if existing is not None:
        sequence, revision = existing.sequence, receipts.latest_revision(existing) + 1
    else:
        sequence, revision = receipts.next_sequence(year), 1
    lang = language or (existing.language if existing is not None else
                        ("en" if donor.locale == "en" else "ja"))
    lines = [ReceiptLine(donation_id=g.id, amount=receipts.net_amount(g),
                         received_on=clock.jst_date(g.received_at),
                         purpose=g.purpose(lang)) for g in gifts]
    summary = Receipt(
        series_year=year, sequence=sequence, revision=revision,
        number=receipts.format_number(year, sequence, revision), kind="annual",
        status=ReceiptStatus.VALID, language=lang, amount=sum(line.amount for line in lines),
        currency="JPY", received_on=max(line.received_on for line in lines), year=year,
        purpose=None, issued_on=clock.today_jst(),
        replaces_id=existing.id if existing is not None else None,
        reissue_reason=UPDATED_REASON if existing is not None else None,
        **receipts.donor_snapshot(donor), **receipts.issuer_snapshot())
    summary.lines.extend(lines)
    db.session.add(summary)
    db.session.flush()
    audit.record(actor, "receipt.issued", summary, number=summary.number, kind="annual",
                 year=year, gifts=len(lines), amount=summary.amount)
    if commit:
        summary.sha256 = receipts.hash_of(summary)
        db.session.commit()
    return summary


def removal_reason(gift, why):
    """What the void and the reissue print when one gift leaves a summary: the gift
    (date and amount) and why, within the 500 characters a reason may have."""
    head = (f"{gift.id}番の寄附（{clock.jst_date(gift.received_at).isoformat()}、"
            f"¥{receipts.net_amount(gift):,}）を除外 / gift #{gift.id} removed: ")
    return head + why[:receipts.MAX_REASON - len(head)]


def summary_line(summary, donation):
    """The summary's active line of `donation`, or a refusal the office can act on."""
    if summary.kind != "annual" or summary.status != ReceiptStatus.VALID:
        raise Conflict(f"Receipt {summary.number} is not a valid annual summary.",
                       code="not_a_valid_summary")
    for line in summary.lines:
        if line.donation_id == donation.id and line.active:
            return line
    raise Conflict(f"Gift #{donation.id} is not on the annual receipt {summary.number}.",
                   code="not_on_summary")


def without_gift(summary, donation, reason, actor):
    """Void `summary` and reissue it under its number without `donation` (no commit).

    Returns the reissue, or None when that gift was the summary's only one (then the
    summary just stays void). The reissue names the summary it replaces and `reason`.
    """
    summary_line(summary, donation)
    receipts.mark_void(summary, reason, actor)
    if not any(line.donation_id != donation.id and receipts.net_amount(line.donation) > 0
               for line in summary.lines):
        return None
    return receipts.reissue_in_transaction(summary, actor, reason, without=[donation])


def mark_gift_not_eligible(*, summary, donation, reason, actor):
    """One gift of an annual summary is not eligible (no commit).

    The gift is marked "no receipt" (so no later summary takes it until the office
    lifts the mark, fund.receipts.rules) and the summary is voided and reissued
    without it. Returns the reissue, or None when nothing remains to certify.
    """
    reason = rules.check_reason(reason)
    summary_line(summary, donation)
    rules.mark_no_receipt(donation, reason, actor)
    return without_gift(summary, donation, removal_reason(donation, reason), actor)
