"""Receipts held for the office: a name or address no installed font can print.

A receipt prints the donor's name and address exactly; a character without a
glyph would come out as 〓 (or an empty box) and the receipt would name
someone else. So such a gift's receipt is not issued: a ReceiptHold records
the characters, the office dashboard lists it under "Needs a person", and the
office corrects the donor's details (for example 𠮷 → 吉, as the donor agrees)
or installs a font that has it, then releases the hold, which issues the
receipt and mails its link.

An annual summary is held the same way (kind "annual", the donor and the
year, no gift): the January run holds it instead of issuing it, and releasing
the hold issues the summary of that year.
"""
from fund.core import audit, clock
from fund.core.errors import Conflict, NotFound
from fund.core.extensions import db
from fund.receipts import fonts
from fund.receipts.models import ReceiptHold


class ReceiptHeld(Conflict):
    code = "receipt_held"


def unprintable(donor):
    """(field, characters) of the first donor field a receipt could not print, or None."""
    fields = (("name", donor.receipt_name),
              ("representative", donor.representative if donor.kind == "corporation" else None),
              ("address", donor.address))
    for field, value in fields:
        chars = fonts.missing(value or "")
        if chars:
            return field, "".join(sorted(chars))
    return None


def open_hold(donation):
    return db.session.execute(db.select(ReceiptHold).where(
        ReceiptHold.donation_id == donation.id,
        ReceiptHold.released_at.is_(None))).scalar_one_or_none()


def hold_if_unprintable(*, donation, actor):
    """Hold the gift's receipt (no commit) if the donor's details cannot be printed.

    Returns the open hold, or None when the receipt can be issued.
    """
    hold = open_hold(donation)
    if hold is not None:
        return hold
    found = unprintable(donation.donor)
    if found is None:
        return None
    field, chars = found
    hold = ReceiptHold(donation_id=donation.id, donor_id=donation.donor_id, field=field,
                       characters=chars[:200])
    db.session.add(hold)
    db.session.flush()
    audit.record(actor, "receipt.held", hold, donation=donation.id, field=field,
                 characters=chars, codepoints=[f"U+{ord(c):04X}" for c in chars])
    return hold


def open_annual_hold(donor, year):
    return db.session.execute(db.select(ReceiptHold).where(
        ReceiptHold.kind == "annual", ReceiptHold.donor_id == donor.id,
        ReceiptHold.year == year, ReceiptHold.released_at.is_(None))).scalar_one_or_none()


def open_annual_holds(year):
    return db.session.execute(db.select(ReceiptHold).where(
        ReceiptHold.kind == "annual", ReceiptHold.year == year,
        ReceiptHold.released_at.is_(None))).scalars().all()


def hold_annual_if_unprintable(*, donor, year, actor):
    """Hold the donor's annual summary of `year` (no commit) if their details cannot be
    printed. Returns the open hold, or None when the summary can be issued."""
    found = unprintable(donor)
    if found is None:
        return None
    hold = open_annual_hold(donor, year)
    if hold is not None:
        return hold
    field, chars = found
    hold = ReceiptHold(kind="annual", year=year, donor_id=donor.id, field=field,
                       characters=chars[:200])
    db.session.add(hold)
    db.session.flush()
    audit.record(actor, "receipt.held", hold, kind="annual", year=year, field=field,
                 characters=chars, codepoints=[f"U+{ord(c):04X}" for c in chars])
    return hold


def refuse_unprintable(donation):
    """Raise ReceiptHeld when the gift is held or its donor cannot be printed."""
    hold = open_hold(donation)
    refuse_donor(donation.donor)
    if hold is not None:
        raise ReceiptHeld("This gift's receipt is held for review; release the hold on the "
                          "office's held receipts page.")


def refuse_donor(donor):
    """Raise ReceiptHeld when a receipt could not print the donor's details."""
    found = unprintable(donor)
    if found is not None:
        field, chars = found
        codes = ", ".join(f"U+{ord(c):04X}" for c in chars)
        raise ReceiptHeld(
            f"The donor's {field} has characters no installed font can print ({chars}: "
            f"{codes}); correct it (or install a font that has them) before a receipt is "
            "issued.", errors={field: ["unprintable"]})


def open_holds():
    return db.session.execute(db.select(ReceiptHold).where(ReceiptHold.released_at.is_(None))
                              .order_by(ReceiptHold.id)).scalars().all()


def release(*, hold_id, actor, issue):
    """Release a hold once the donor's details print: `issue(hold)` issues the receipt
    (the gift's, or the annual summary of the hold's year).

    Refuses (nothing changed) while a character still cannot be printed. No commit.
    """
    hold = db.session.get(ReceiptHold, hold_id)
    if hold is None:
        raise NotFound("No such held receipt.")
    if hold.released_at is not None:
        raise Conflict("This hold was already released.", code="already_released")
    found = unprintable(hold.donor)
    if found is not None:
        field, chars = found
        raise ReceiptHeld(f"The donor's {field} still has characters no installed font can "
                          f"print ({chars}); correct the donor's details first.",
                          errors={field: ["unprintable"]})
    hold.released_at = clock.now()
    hold.released_by = str(actor)
    db.session.flush()
    receipt = issue(hold)
    hold.receipt_id = receipt.id
    audit.record(actor, "receipt.hold_released", hold, donation=hold.donation_id,
                 kind=hold.kind, year=hold.year, receipt=receipt.number)
    return receipt
