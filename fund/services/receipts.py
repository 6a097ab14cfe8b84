"""Issuing receipts (寄附金受領証明書).

A receipt copies everything it prints from the donor, donation and
configuration when it is issued; later edits to a donor never change it.
Numbers come from a per-year series row incremented in the issuing
transaction, so they are unique and gapless.
"""
import hashlib
import logging
from types import SimpleNamespace

from flask import current_app
from sqlalchemy.exc import IntegrityError

from fund import pdf
from fund.errors import Conflict, FundError, ReceiptUnavailable
from fund.extensions import db
from fund.models import Receipt, ReceiptLine, ReceiptSeries
from fund.services import audit, clock

log = logging.getLogger(__name__)

PRINTED_FIELDS = (
    "number", "kind", "status", "void_reason", "language", "donor_kind", "donor_name",
    "donor_representative", "donor_postal_code", "donor_address", "amount", "currency",
    "received_on", "year", "purpose", "issuer_name", "issuer_address",
    "issuer_representative", "issued_on",
)


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


def _issuer():
    cfg = current_app.config
    return dict(issuer_name=cfg["RECEIPT_ISSUER_NAME"],
                issuer_address=cfg["RECEIPT_ISSUER_ADDRESS"],
                issuer_representative=cfg["RECEIPT_ISSUER_REPRESENTATIVE"])


def issue_for_donation(*, donation, actor, language=None):
    """Issue the receipt for one paid gift; refuses a second valid receipt.

    Does not commit: the caller commits it with whatever caused it.
    """
    pdf_check()
    if not donation.is_paid:
        raise FundError("This gift has not been paid, so no receipt can be issued.",
                        code="not_paid")
    if covering_receipt(donation) is not None:
        raise Conflict("This gift already has a valid receipt.", code="already_issued")
    donor = donation.donor
    received_on = clock.jst_date(donation.received_at)
    year = received_on.year
    sequence = next_sequence(year)
    lang = language or ("en" if donation.locale == "en" and donor.locale == "en" else "ja")
    purpose = donation.purpose("ja" if lang == "ja" else "en")
    receipt = Receipt(
        series_year=year, sequence=sequence, revision=1,
        number=format_number(year, sequence), kind="single", status="valid",
        language=lang, donor_id=donor.id, donor_kind=donor.kind,
        donor_name=donor.receipt_name,
        donor_representative=donor.representative if donor.kind == "corporation" else None,
        donor_postal_code=donor.postal_code, donor_address=donor.address,
        amount=donation.amount, currency=donation.currency, received_on=received_on,
        year=year, purpose=purpose, issued_on=clock.today_jst(), **_issuer(),
    )
    receipt.lines.append(ReceiptLine(donation_id=donation.id, amount=donation.amount,
                                     received_on=received_on, purpose=purpose))
    db.session.add(receipt)
    db.session.flush()
    receipt.sha256 = hashlib.sha256(pdf_bytes(receipt)).hexdigest()
    audit.record(actor, "receipt.issued", receipt, number=receipt.number,
                 donation=donation.id, amount=receipt.amount)
    return receipt


def pdf_check():
    try:
        pdf.require_japanese_font()
    except pdf.FontMissing as err:
        raise ReceiptUnavailable(str(err), code="font_missing") from err


def printable(receipt):
    """The receipt's printed fields, detached from the session, for the renderer."""
    fields = {name: getattr(receipt, name) for name in PRINTED_FIELDS}
    fields["is_reissue"] = receipt.revision > 1
    fields["lines"] = [SimpleNamespace(received_on=line.received_on, amount=line.amount,
                                       purpose=line.purpose) for line in receipt.lines]
    fields["seal_image"] = current_app.config.get("RECEIPT_SEAL_IMAGE")
    return SimpleNamespace(**fields)


def pdf_bytes(receipt):
    """Render the receipt from its row; warns if the bytes no longer match the stored hash."""
    pdf_check()
    data = pdf.render_receipt(printable(receipt))
    if receipt.status == "valid" and receipt.sha256 and hashlib.sha256(data).hexdigest() != receipt.sha256:
        log.warning("receipt %s renders differently from its stored SHA-256", receipt.number)
    return data
