"""What a campaign's or project's public page shows: money raised, supporters, their
messages, the 芳名録 and the reward tiers left. Read from the kept totals
(ScopeTotal, ScopeSupporter), never summed over gifts per request.
"""
from dataclasses import dataclass

from fund.campaigns import rewards
from fund.core import clock
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import totals
from fund.giving.models import Donation, ScopeTotal

MESSAGES_SHOWN = 30
NAMES_SHOWN = 200


@dataclass(frozen=True)
class Message:
    name: str
    text: str
    at: object


@dataclass(frozen=True)
class Showcase:
    kind: str  # "campaign" or "project"
    destination: object
    raised: int
    supporters: int
    goal: int | None
    stretch_goal: int | None
    days_left: int | None
    is_open: bool
    tiers: list
    messages: list
    names: list
    anonymous: int

    @property
    def percent(self):
        # Floored, so 99.9% never shows as 100%.
        return self.raised * 100 // self.goal if self.goal else 0

    @property
    def key(self):
        return f"{self.kind}:{self.destination.slug}"


def _messages(kind, scope_id):
    """Messages of kept gifts whose donors chose to be shown, newest first."""
    column = Donation.campaign_id if kind == "campaign" else Donation.project_id
    name = db.case((Donor.kind == "corporation", Donor.company_name), else_=Donor.name)
    rows = db.session.execute(
        db.select(name, Donation.message, Donation.created_at)
        .join(Donor, Donor.id == Donation.donor_id)
        # models.SHOWN_MESSAGE with no bound parameter: it is the predicate of the
        # partial indexes ix_donation_*_messages, which the planner must see it imply.
        .where(column == scope_id, Donation.designation == kind, Donation.publish_name,
               Donation.message != db.literal_column("''"), totals.net_amount_expression() > 0)
        .order_by(Donation.created_at.desc(), Donation.id.desc()).limit(MESSAGES_SHOWN)).all()
    return [Message(name=row[0], text=row[1], at=row[2]) for row in rows]


def for_campaign(campaign, now=None):
    now = now or clock.now()
    progress = totals.campaign_progress([campaign], now)[campaign.id]
    listing = totals.donor_list(campaign, limit=NAMES_SHOWN)
    return Showcase(
        kind="campaign", destination=campaign, raised=progress.raised,
        supporters=progress.supporters, goal=campaign.goal_amount,
        stretch_goal=campaign.stretch_goal_amount, days_left=progress.days_left,
        is_open=progress.is_open, tiers=rewards.tiers_with_remaining(campaign),
        messages=_messages("campaign", campaign.id), names=listing.names,
        anonymous=listing.anonymous)


def for_project(project):
    total = db.session.get(ScopeTotal, ("project", project.id))
    listing = totals.donor_list(project=project, limit=NAMES_SHOWN)
    return Showcase(
        kind="project", destination=project, raised=total.raised if total else 0,
        supporters=total.supporters if total else 0, goal=None, stretch_goal=None,
        days_left=None, is_open=project.takes_gifts, tiers=[],
        messages=_messages("project", project.id), names=listing.names,
        anonymous=listing.anonymous)
