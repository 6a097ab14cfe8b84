"""Issuing, voiding and reissuing receipts (寄附金受領証明書).

A receipt copies everything it prints from the donor, donation and
configuration when it is issued; later edits to a donor never change it.
Numbers come from a per-year series row incremented in the issuing
transaction, so they are unique and gapless. A wrong receipt is never edited:
it is voided (its PDF then says 無効) and reissued under the same number with
a -N suffix (再発行). A partial unique index on active receipt lines makes
"each gift on at most one valid receipt" a database fact.

`issue_for_donation`, `mark_void` and `reissue_in_transaction` do not commit
(they run inside the payment's or refund's transaction); `void` and `reissue`
are office actions and commit. fund.receipts.reactions follows refunds and
lost disputes.
"""
import hashlib
import logging
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from sqlalchemy.exc import IntegrityError

from fund.receipts import fonts, holds, pdf, rules, storage, verification
from fund.core.errors import Conflict, FundError, ReceiptUnavailable, ValidationFailed
from fund.core.extensions import db
from fund.receipts.models import Receipt, ReceiptLine, ReceiptSeries
from fund.receipts.models import RECEIPT_TRANSITIONS, ReceiptStatus
from fund.core import audit
from fund.core import clock

log = logging.getLogger(__name__)

PRINTED_FIELDS = (
    "number", "kind", "status", "void_reason", "language", "donor_kind", "donor_name",
    "donor_representative", "donor_postal_code", "donor_address", "amount", "currency",
    "received_on", "year", "purpose", "issuer_name", "issuer_address",
    "issuer_representative", "issued_on",
    "issuer_office", "issuer_phone", "issuer_email", "issuer_corporate_number",
)
REFUND_REASON = "返金 / refunded"
REISSUE_REASON = "再発行のため無効 / superseded by a reissue"
# A chargeback opened on a gift of a valid receipt: the money is not ours to certify
# until the issuer decides (fund.receipts.reactions).
DISPUTE_REASON = "チャージバック（支払異議）の申立て中 / a chargeback (dispute) is open"
DISPUTE_WON_REASON = "チャージバック（支払異議）が当基金の勝訴で終了 / the chargeback was won"
MAX_REASON = 500


def format_number(year, sequence, revision=1):
    base = f"{year}-{sequence:06d}"
    return base if revision == 1 else f"{base}-{revision}"


def next_sequence(year):
    """Take the next number of `year`'s series inside the current transaction."""
    table = ReceiptSeries.__table__
    bump = (table.update().where(table.c.year == year)
            .values(last_number=table.c.last_number + 1)
            .returning(table.c.last_number))
    value = db.session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(table.insert().values(year=year, last_number=1))
        return 1
    except IntegrityError:
        # Another transaction created the series first; its row lock now orders us.
        return db.session.execute(bump).scalar_one()


def covering_receipt(donation):
    """The valid receipt that covers this gift, if any."""
    return db.session.execute(
        db.select(Receipt).join(ReceiptLine).where(
            ReceiptLine.donation_id == donation.id, ReceiptLine.active.is_(True))
    ).scalar_one_or_none()


def issuer_snapshot():
    """What a receipt prints of its issuer, from configuration at issue time.

    A configured seal image that is not there refuses the receipt: it would
    otherwise be printed as if the seal were omitted on purpose.
    """
    cfg = current_app.config
    seal = cfg.get("RECEIPT_SEAL_IMAGE") or None
    if seal and not Path(seal).is_file():
        raise ReceiptUnavailable(
            f"The seal image RECEIPT_SEAL_IMAGE={seal} is not there; no receipt can be "
            "issued until it is (or the setting is removed).", code="seal_missing")
    return dict(issuer_name=cfg["RECEIPT_ISSUER_NAME"],
                issuer_address=cfg["RECEIPT_ISSUER_ADDRESS"],
                issuer_representative=cfg["RECEIPT_ISSUER_REPRESENTATIVE"],
                issuer_seal=seal,
                issuer_office=cfg.get("RECEIPT_ISSUER_OFFICE") or None,
                issuer_phone=cfg.get("FUND_CONTACT_PHONE") or None,
                issuer_email=cfg.get("FUND_CONTACT_EMAIL") or None,
                issuer_corporate_number=cfg.get("RECEIPT_ISSUER_CORPORATE_NUMBER") or None)


def donor_snapshot(donor):
    return dict(donor_id=donor.id, donor_kind=donor.kind, donor_name=donor.receipt_name,
                donor_representative=donor.representative if donor.kind == "corporation" else None,
                donor_postal_code=donor.postal_code, donor_address=donor.address)


def net_amount(donation):
    """What the receipt may state: the gift's amount at most, less refunds and lost
    disputes (a duplicate payment is flagged for refund, never certified)."""
    return donation.receipt_amount


def issue_after_payment(*, donation, actor):
    """The receipt a just-paid gift gets by the donor's choice, or None.

    Donors who prefer one annual summary (monthly supporters) get no
    per-gift receipt; their gifts go on the 年間寄附金受領証明書.
    """
    if not donation.wants_receipt or donation.donor.receipt_preference != "per_gift":
        return None
    if rules.refusal(donation) is not None or covering_receipt(donation) is not None:
        return None  # marked "no receipt", disputed, or a duplicate payment's second success
    # A name no font can print is held for the office, never printed as 〓 (holds.py).
    if holds.hold_if_unprintable(donation=donation, actor=actor) is not None:
        return None
    return issue_for_donation(donation=donation, actor=actor)


def issue_for_donation(*, donation, actor, language=None, with_hash=True):
    """Issue the receipt for one paid gift; refuses a second valid receipt.

    Does not commit: the caller commits it with whatever caused it.
    `with_hash=False` leaves the SHA-256 to a bulk render (see receipt_jobs).
    """
    pdf_check()
    if not donation.is_paid:
        raise FundError("This gift has not been paid, so no receipt can be issued.",
                        code="not_paid")
    rules.check_issuable(donation)
    amount = net_amount(donation)
    if amount <= 0:
        raise Conflict("This gift was refunded in full, so no receipt can be issued.",
                       code="refunded")
    if covering_receipt(donation) is not None:
        raise Conflict("This gift already has a valid receipt.", code="already_issued")
    holds.refuse_unprintable(donation)  # glyph check (fund/receipts/holds.py)
    donor = donation.donor
    received_on = clock.jst_date(donation.received_at)
    year = received_on.year
    sequence = next_sequence(year)
    lang = language or ("en" if donation.locale == "en" and donor.locale == "en" else "ja")
    purpose = donation.purpose("ja" if lang == "ja" else "en")
    receipt = Receipt(
        series_year=year, sequence=sequence, revision=1,
        number=format_number(year, sequence), kind="single", status=ReceiptStatus.VALID,
        language=lang, amount=amount, currency=donation.currency, received_on=received_on,
        year=year, purpose=purpose, issued_on=clock.today_jst(),
        **donor_snapshot(donor), **issuer_snapshot(),
    )
    receipt.lines.append(ReceiptLine(donation_id=donation.id, amount=amount,
                                     received_on=received_on, purpose=purpose))
    db.session.add(receipt)
    db.session.flush()
    if with_hash:
        receipt.sha256 = hash_of(receipt)
    audit.record(actor, "receipt.issued", receipt, number=receipt.number,
                 donation=donation.id, amount=receipt.amount)
    return receipt


# --- void and reissue --------------------------------------------------------

def void(*, receipt, reason, actor, ineligible=False):
    """Void a valid receipt with a reason; its PDF then carries 無効. Commits.

    `ineligible`: the gift was not eligible, so it is marked "no receipt" and
    nothing issues it again until the office lifts the mark.
    """
    void_in_transaction(receipt, reason, actor, ineligible=ineligible)
    db.session.commit()
    return receipt


def void_in_transaction(receipt, reason, actor, *, ineligible=False):
    """`void` without the commit, for callers that add to the same transaction."""
    if ineligible and receipt.kind != "single":
        raise ValidationFailed("An annual summary covers several gifts: mark the one gift "
                               "that is not eligible in the summary's list of gifts; the "
                               "summary is then reissued without it.")
    mark_void(receipt, reason, actor)
    if ineligible:
        for line in receipt.lines:
            rules.mark_no_receipt(line.donation, reason, actor)


def reissue(*, receipt, actor, reason):
    """Reissue a receipt under its number with the next -N suffix. Commits.

    A still-valid receipt is voided first; the reissue prints the donor's
    current name and address and the gift's amount net of refunds and lost
    disputes; there is no free amount. `reason` says why, printed and audited.
    """
    new = reissue_in_transaction(receipt, actor, reason)
    db.session.commit()
    return new


def mark_void(receipt, reason, actor):
    """Void a valid receipt inside the caller's transaction (no commit)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason for voiding the receipt.",
                               errors={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"The reason is too long (at most {MAX_REASON} characters).",
                               errors={"reason": ["too long"]})
    if ReceiptStatus.VOID not in RECEIPT_TRANSITIONS[receipt.status]:
        raise Conflict(f"Receipt {receipt.number} is already void.", code="already_void")
    receipt.status = ReceiptStatus.VOID
    receipt.void_reason = reason
    receipt.voided_at = clock.now()
    for line in receipt.lines:
        line.active = False
    db.session.flush()
    receipt.void_sha256 = hash_of(receipt)
    audit.record(actor, "receipt.voided", receipt, number=receipt.number, reason=reason)


def latest_revision(receipt):
    return db.session.execute(
        db.select(db.func.max(Receipt.revision)).where(
            Receipt.series_year == receipt.series_year, Receipt.sequence == receipt.sequence)
    ).scalar_one()


def reissue_in_transaction(receipt, actor, reason, *, without=(), add=()):
    """Void (if still valid) and reissue under the same number (no commit).

    `without`: gifts the reissue leaves out (an annual summary's gift marked not
    eligible, or under an open dispute); `add`: gifts it takes (back) in, at what
    remains of them. Neither is a free amount: each line is the gift's net.
    """
    pdf_check()
    reason = rules.check_reason(reason)
    latest = latest_revision(receipt)
    if latest != receipt.revision:
        current = format_number(receipt.series_year, receipt.sequence, latest)
        raise Conflict(f"Receipt {receipt.number} was already reissued as {current}; "
                       f"work on that one.", code="superseded")
    lines = _reissue_lines(receipt, without={d.id for d in without}, add=add)
    if receipt.status == ReceiptStatus.VALID:
        mark_void(receipt, REISSUE_REASON, actor)
    for line in lines:
        if covering_receipt(line.donation) is not None:
            raise Conflict("A gift on this receipt already has another valid receipt.",
                           code="already_issued")
    revision = latest + 1
    new = Receipt(
        series_year=receipt.series_year, sequence=receipt.sequence, revision=revision,
        number=format_number(receipt.series_year, receipt.sequence, revision),
        kind=receipt.kind, status=ReceiptStatus.VALID, language=receipt.language,
        amount=sum(line.amount for line in lines), currency=receipt.currency,
        # A summary states its latest gift's date; it may change with its gifts.
        received_on=(max(line.received_on for line in lines) if receipt.kind == "annual"
                     else receipt.received_on),
        year=receipt.year, purpose=receipt.purpose,
        issued_on=clock.today_jst(), replaces_id=receipt.id, reissue_reason=reason,
        **donor_snapshot(receipt.donor), **issuer_snapshot(),
    )
    new.lines.extend(lines)
    db.session.add(new)
    db.session.flush()
    new.sha256 = hash_of(new)
    audit.record(actor, "receipt.reissued", new, number=new.number, replaces=receipt.number,
                 reason=reason, amount=new.amount)
    return new


def _reissue_lines(receipt, *, without=frozenset(), add=()):
    """New lines: each gift at what remains of it after refunds and lost disputes."""
    lines = []
    for old in receipt.lines:
        if old.donation_id in without:
            continue
        rules.check_issuable(old.donation)
        remaining = net_amount(old.donation)
        if remaining > 0:
            lines.append(ReceiptLine(donation_id=old.donation_id, donation=old.donation,
                                     amount=remaining, received_on=old.received_on,
                                     purpose=old.purpose))
    listed = {line.donation_id for line in lines}
    lang = "en" if receipt.language == "en" else "ja"
    for gift in add:
        if gift.id in listed or gift.id in without:
            continue
        rules.check_issuable(gift)
        if receipt.kind == "single" and lines:
            raise Conflict(f"Receipt {receipt.number} is for one gift only.", code="single")
        remaining = net_amount(gift)
        if remaining > 0:
            lines.append(ReceiptLine(donation_id=gift.id, donation=gift, amount=remaining,
                                     received_on=clock.jst_date(gift.received_at),
                                     purpose=gift.purpose(lang)))
    if add:
        lines.sort(key=lambda line: (line.received_on, line.donation_id))
    if not lines:
        raise Conflict(f"The gift on receipt {receipt.number} was refunded in full; "
                       "there is nothing to reissue.", code="refunded")
    return lines


# --- rendering ---------------------------------------------------------------

def pdf_check():
    try:
        fonts.require_japanese_font()
    except fonts.FontMissing as err:
        raise ReceiptUnavailable(str(err), code="font_missing") from err


def startup_check(app):
    """Log at start whether receipts can be issued (fonts); never stops the app."""
    try:
        family = fonts.require_japanese_font()
    except fonts.FontMissing as err:
        app.logger.error("receipts disabled: %s (run `make fonts`)", err)
        return False
    app.logger.info("receipts: Japanese font %s found", family)
    return True


def printable(receipt):
    """The receipt's printed fields, detached from the session, for the renderer."""
    fields = {name: getattr(receipt, name) for name in PRINTED_FIELDS}
    fields["is_reissue"] = receipt.revision > 1
    fields["lines"] = [SimpleNamespace(received_on=line.received_on, amount=line.amount,
                                       purpose=line.purpose) for line in receipt.lines]
    fields["seal_image"] = receipt.issuer_seal
    fields["voided_on"] = clock.jst_date(receipt.voided_at) if receipt.voided_at else None
    fields["verify_url"] = verification.url_for_number(receipt.number)
    fields["replaces_number"] = receipt.replaces.number if receipt.replaces else None
    fields["reissue_reason"] = receipt.reissue_reason
    return SimpleNamespace(**fields)


# --- stored files (fund/receipts/storage.py) -----------------------------------

def render(receipt):
    """A fresh render of the row: only ever stored, never served directly."""
    pdf_check()
    return pdf.render_receipt(printable(receipt))


def hash_of(receipt):
    """Render the receipt as it now stands (issued, or stamped 無効), store those bytes
    write-once and return their SHA-256 (no commit)."""
    return storage.keep(receipt, render(receipt))


def pdf_bytes(receipt):
    """The receipt's PDF as issued (or as voided): the stored bytes, checked.

    A receipt issued before files were stored gets its file on first download,
    only if a fresh render still matches the SHA-256 recorded at issue.
    """
    if storage.stored(receipt) is not None:
        return storage.read(receipt)
    expected = receipt.current_sha256
    if not expected:
        raise ReceiptUnavailable(f"Receipt {receipt.number} is still being prepared; "
                                 "try again in a few minutes.", code="receipt_pending")
    data = render(receipt)
    if hashlib.sha256(data).hexdigest() != expected:
        storage.refuse(receipt, data)
    storage.keep(receipt, data)
    db.session.commit()
    return data
# --- end of stored files ---------------------------------------------------------


def find_by_sha256(digest):
    """The receipt whose issued or voided PDF has this SHA-256 (checking a copy)."""
    digest = (digest or "").strip().lower()
    return db.session.execute(db.select(Receipt).where(
        (Receipt.sha256 == digest) | (Receipt.void_sha256 == digest))).scalar_one_or_none()
