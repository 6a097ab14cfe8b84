"""What the office reads about donors: a list found by a word, and one donor's whole story."""
from dataclasses import dataclass

from sqlalchemy import func

from fund.core.extensions import db
from fund.core.models import OutboundEmail
from fund.donors import names
from fund.donors.models import Donor
from fund.giving.models import Donation, Pledge
from fund.office import search
from fund.office.models import GiftFact
from fund.receipts.models import Receipt

PAGE_SIZE = 50


def find(term, page=1):
    """Active donors whose name, kana, company, email or phone contain `term` (newest first)."""
    query = db.select(Donor).where(Donor.merged_into_id.is_(None))
    key = names.email_key(term) if term and "@" in term else names.fold(term)
    if key:
        query = query.where(search.donor_condition(key))
    page = max(page, 1)
    rows = db.session.execute(query.order_by(Donor.id.desc()).limit(PAGE_SIZE + 1)
                              .offset((page - 1) * PAGE_SIZE)).scalars().all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@dataclass
class DonorStory:
    donor: Donor
    gifts: list        # [(GiftFact, Donation)]
    totals: dict
    pledges: list
    receipts: list
    mails: list
    messages: list     # [Donation] with a message
    merged_from: list  # donors merged into this one


def story(donor):
    """Everything the office knows of one donor."""
    gifts = db.session.execute(
        db.select(GiftFact, Donation).join(Donation, Donation.id == GiftFact.donation_id)
        .where(GiftFact.donor_id == donor.id).order_by(GiftFact.at.desc())).all()
    sums = db.session.execute(
        db.select(func.count(), func.coalesce(func.sum(GiftFact.paid), 0),
                  func.coalesce(func.sum(GiftFact.net), 0))
        .where(GiftFact.donor_id == donor.id)).one()
    return DonorStory(
        donor=donor, gifts=gifts, totals={"gifts": sums[0], "paid": sums[1], "net": sums[2]},
        pledges=db.session.execute(db.select(Pledge).where(Pledge.donor_id == donor.id)
                                   .order_by(Pledge.id.desc())).scalars().all(),
        receipts=db.session.execute(db.select(Receipt).where(Receipt.donor_id == donor.id)
                                    .order_by(Receipt.id.desc())).scalars().all(),
        mails=db.session.execute(db.select(OutboundEmail).where(OutboundEmail.donor_id == donor.id)
                                 .order_by(OutboundEmail.id.desc()).limit(100)).scalars().all(),
        messages=[d for _fact, d in gifts if d.message],
        merged_from=db.session.execute(db.select(Donor).where(Donor.merged_into_id == donor.id)
                                       ).scalars().all())
