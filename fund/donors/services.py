"""Donors: find the donor a form describes, or record a new one."""
from fund.core.extensions import db
from fund.donors.models import Donor


def find_or_create(data, lang):
    """Reuse the donor with the same email and receipt name, updating contact details.

    `data` is a loaded donation form. A changed address updates the donor
    only; receipts already issued keep the address they were printed with.
    Does not commit.
    """
    receipt_name = data["company_name"] if data["donor_kind"] == "corporation" else data["name"]
    candidates = db.session.execute(
        db.select(Donor).filter_by(email=data["email"], kind=data["donor_kind"])
        .order_by(Donor.id)).scalars()
    donor = next((d for d in candidates if d.receipt_name == receipt_name), None)
    if donor is None:
        donor = Donor(email=data["email"], kind=data["donor_kind"])
        db.session.add(donor)
    donor.name = data["name"]
    donor.name_kana = data["name_kana"]
    donor.company_name = data.get("company_name") or None
    donor.representative = data.get("representative") or None
    donor.postal_code = data["postal_code"]
    donor.address = data["address"]
    donor.phone = data.get("phone") or None
    donor.locale = lang
    donor.publish_name = data["publish_name"]
    return donor
