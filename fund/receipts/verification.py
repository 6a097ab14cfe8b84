"""Anyone can check a receipt: the QR code printed on it opens /verify/<token>.

The token signs the receipt's number with no timestamp, so the same receipt
always prints the same QR code and its PDF bytes stay the same. The page says
only what the receipt itself shows of its issue (number, date, amount),
its status now (valid, void, reissued as …) and the SHA-256 of the PDF one
should hold; nothing about the donor.
"""
from dataclasses import dataclass

from fund.core import signing
from fund.core.extensions import db
from fund.receipts.models import Receipt, ReceiptStatus

SALT = "receipt-verify"


def token_for(number):
    return signing.dumps_fixed(SALT, number)


def url_for_number(number):
    return signing.public_url(f"/verify/{token_for(number)}")


@dataclass
class Verdict:
    number: str
    issued_on: object
    amount: int
    status: str             # "valid", "void" or "reissued"
    reissued_as: str | None
    sha256: str | None
    void_sha256: str | None


def latest_of(receipt):
    return db.session.execute(db.select(Receipt).where(
        Receipt.series_year == receipt.series_year, Receipt.sequence == receipt.sequence)
        .order_by(Receipt.revision.desc()).limit(1)).scalar_one()


def verdict(receipt):
    """What the public may know of a receipt now."""
    status, reissued_as = receipt.status, None
    if receipt.status == ReceiptStatus.VOID:
        latest = latest_of(receipt)
        if latest.id != receipt.id:
            status, reissued_as = "reissued", latest.number
    return Verdict(number=receipt.number, issued_on=receipt.issued_on, amount=receipt.amount,
                   status=status, reissued_as=reissued_as, sha256=receipt.sha256,
                   void_sha256=receipt.void_sha256)


def from_token(token):
    """The verdict for a QR token; signing.LinkInvalid for a forged or unknown one."""
    number = signing.loads_fixed(SALT, token)
    receipt = db.session.execute(
        db.select(Receipt).filter_by(number=str(number))).scalar_one_or_none()
    if receipt is None:
        raise signing.LinkInvalid()
    return verdict(receipt)


def by_number(number):
    receipt = db.session.execute(
        db.select(Receipt).filter_by(number=(number or "").strip())).scalar_one_or_none()
    return verdict(receipt) if receipt is not None else None
