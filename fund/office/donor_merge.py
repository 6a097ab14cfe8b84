"""名寄せ: two records of one person become one. Preview first, then merge in one transaction.

Gifts, pledges, receipts and mail move to the donor that is kept; receipts
keep the name and address they were printed with (their snapshot). The
merged record stays, marked, so an old link finds the donor it went into.
Consent is the stricter of the two: news or reports only if both agreed.
"""
from dataclasses import dataclass

from sqlalchemy import func, update

from fund.core import audit
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.models import OutboundEmail
from fund.core import clock
from fund.donors.models import Donor
from fund.giving import totals
from fund.giving.models import Donation, Pledge
from fund.office import facts
from fund.office.models import GiftFact
from fund.receipts.models import Receipt, ReceiptStatus


@dataclass(frozen=True)
class MergePreview:
    kept: Donor
    merged: Donor
    gifts: int
    pledges: int
    receipts: int
    mails: int


def _count(model, column, donor_id):
    return db.session.execute(db.select(func.count()).select_from(model)
                              .where(column == donor_id)).scalar_one()


def preview(*, kept, merged, lang):
    """What a merge would move; refuses, with a message, a merge that cannot be made."""
    if kept.id == merged.id:
        raise ValidationFailed(gettext_for(lang, "A donor cannot be merged into itself."),
                               errors={"merged": "same"})
    if kept.merged_into_id or merged.merged_into_id:
        raise Conflict(gettext_for(lang, "One of these donors was already merged into another."),
                       code="already_merged")
    if kept.kind != merged.kind:
        raise Conflict(gettext_for(lang, "An individual and a corporation cannot be merged: "
                                         "their receipts are addressed differently."),
                       code="kinds_differ")
    clash = _annual_clash(kept, merged)
    if clash:
        raise Conflict(gettext_for(
            lang, "Both donors have a valid annual receipt for %(year)s (%(numbers)s): one donor "
                  "would hold two valid receipts for the same gifts' year. Void one of them "
                  "first.", year=clash[0], numbers=", ".join(clash[1])), code="two_receipts")
    return MergePreview(kept=kept, merged=merged,
                        gifts=_count(Donation, Donation.donor_id, merged.id),
                        pledges=_count(Pledge, Pledge.donor_id, merged.id),
                        receipts=_count(Receipt, Receipt.donor_id, merged.id),
                        mails=_count(OutboundEmail, OutboundEmail.donor_id, merged.id))


def _annual_clash(kept, merged):
    """(year, [numbers]) when both hold a valid annual summary for one year, else None."""
    rows = db.session.execute(
        db.select(Receipt.year, Receipt.number, Receipt.donor_id)
        .where(Receipt.donor_id.in_((kept.id, merged.id)), Receipt.kind == "annual",
               Receipt.status == ReceiptStatus.VALID).order_by(Receipt.year, Receipt.number)).all()
    by_year = {}
    for year, number, donor_id in rows:
        by_year.setdefault(year, {})[donor_id] = number
    for year, holders in sorted(by_year.items()):
        if len(holders) == 2:
            return year, list(holders.values())
    return None


def merge(*, kept, merged, actor, lang):
    """Move everything of `merged` to `kept`; one transaction, audited on both. Commits."""
    first, second = sorted((kept.id, merged.id))
    for donor_id in (first, second):  # a fixed lock order: two merges cannot deadlock
        db.session.execute(db.select(Donor).where(Donor.id == donor_id).with_for_update()
                           .execution_options(populate_existing=True))
    found = preview(kept=kept, merged=merged, lang=lang)
    moved = {}
    for model in (Donation, Pledge, Receipt, OutboundEmail, GiftFact):
        result = db.session.execute(update(model).where(model.donor_id == merged.id)
                                    .values(donor_id=kept.id)
                                    .execution_options(synchronize_session=False))
        moved[model.__tablename__] = result.rowcount
    totals.donor_merged(kept_id=kept.id, merged_id=merged.id)
    facts.recount_donors((kept.id, merged.id))  # the bulk UPDATE above is noted by no flush
    kept.wants_news = kept.wants_news and merged.wants_news
    kept.wants_reports = kept.wants_reports and merged.wants_reports
    kept.publish_name = kept.publish_name and merged.publish_name
    kept.stripe_customer_id = kept.stripe_customer_id or merged.stripe_customer_id
    merged.merged_into_id = kept.id
    merged.merged_at = clock.now()
    audit.record(actor, "donor.merged", kept, merged=merged.id, moved=moved)
    audit.record(actor, "donor.merged_into", merged, kept=kept.id)
    db.session.commit()
    db.session.expire_all()
    return found
