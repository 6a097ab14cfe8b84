"""Corporate pledges: a total promised and paid in instalments (寄附の分割申込).

Not the monthly card pledges of fund.giving.pledges (Stripe subscriptions):
an agreement records the donor, the total, the designation, how the money is
expected (a transfer to the institute's account, or cash), the 振込名義 the
company's transfers carry, and a schedule of due dates and amounts that adds
up to the total. Each instalment, when its money arrives, is recorded as an
offline gift (fund.giving.offline) linked to it: the same receipt, mail,
totals and ledger entry as any gift. The office sees what is due and what is
late; an agreement whose instalments are all received is completed.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import selectinload

from fund.core import audit, clock, kana
from fund.core.dates import DateError, parse_date
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import AmountError, format_yen, parse_yen
from fund.donors.models import Donor
from fund.giving import offline
from fund.giving.models import (AGREEMENT_TRANSITIONS, OFFLINE_METHODS, AgreementStatus,
                                Instalment, PledgeAgreement)

DUE_SOON_DAYS = 30
MAX_INSTALMENTS = 120


@dataclass(frozen=True)
class Planned:
    due_on: date
    amount: int


def parse_schedule(text, lang):
    """One instalment per line, 'date amount' ('2026/06/30 500,000', 'R8.9.30 ¥500000')."""
    planned, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip().replace("\t", " ").replace("\u3000", " ")
        if not line:
            continue
        when, _, amount = line.partition(" ")
        try:
            planned.append(Planned(parse_date(when), parse_yen(amount.strip())))
        except (DateError, AmountError):
            errors.append(gettext_for(lang, "Line %(line)s: write a date and an amount, e.g. "
                                            "2026/06/30 500000.", line=number))
    if errors:
        raise ValidationFailed(" ".join(errors), errors={"schedule": errors})
    return planned


def equal_schedule(*, total, count, first_due, months_apart=1):
    """`count` instalments, every `months_apart` months from `first_due`; the last takes the rest."""
    if count < 1 or total < count:
        return []
    share = total // count
    result = []
    for index in range(count):
        month = first_due.month - 1 + index * months_apart
        year = first_due.year + month // 12
        month = month % 12 + 1
        day = min(first_due.day, _month_days(year, month))
        amount = share if index < count - 1 else total - share * (count - 1)
        result.append(Planned(date(year, month, day), amount))
    return result


def _month_days(year, month):
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def create_agreement(*, total, destination, expected_method, schedule, staff, lang,
                     donor_id=None, new_donor=None, transfer_name="", note=""):
    """Record a pledge agreement and its schedule; commits. Refused whole with messages."""
    donor = db.session.get(Donor, donor_id) if donor_id else None
    errors = {}
    if donor is None and new_donor is None:
        errors["donor"] = gettext_for(lang, "Choose a donor or enter a new one.")
    if new_donor is not None:
        errors.update(offline.new_donor_problems(new_donor, paper_form=True, lang=lang))
    if total is None or total <= 0:
        errors["total"] = gettext_for(lang, "Enter a total above ¥0.")
    if expected_method not in OFFLINE_METHODS:
        errors["expected_method"] = gettext_for(lang, "Choose how the money is expected: bank "
                                                      "transfer or cash.")
    problem = offline.transfer_name_problem(transfer_name, lang)
    if problem:
        errors["transfer_name"] = problem
    try:
        target = offline.resolve_destination(destination, lang)
    except (NotFound, ValidationFailed) as err:
        errors["destination"] = err.message
        target = None
    errors.update(_schedule_problems(schedule, total, lang))
    if errors:
        raise ValidationFailed(gettext_for(lang, "The pledge was not recorded: %(problems)s",
                                           problems=" ".join(dict.fromkeys(
                                               str(v) for v in errors.values()))), errors=errors)
    if donor is None:
        donor = offline.create_donor(new_donor)
    agreement = PledgeAgreement(
        donor=donor, total=total, designation=target.designation, campaign=target.campaign,
        project=target.project, expected_method=expected_method,
        transfer_name=(transfer_name or "").strip(), transfer_key=kana.name_key(transfer_name),
        note=(note or "").strip()[:500], status=AgreementStatus.ACTIVE.value,
        created_by=staff.id)
    db.session.add(agreement)
    for number, planned in enumerate(sorted(schedule, key=lambda p: p.due_on), start=1):
        db.session.add(Instalment(agreement=agreement, number=number, due_on=planned.due_on,
                                  amount=planned.amount))
    db.session.flush()
    audit.record(audit.staff(staff), "pledge_agreement.created", agreement, total=total,
                 destination=target.key, instalments=len(schedule))
    db.session.commit()
    return agreement


def _schedule_problems(schedule, total, lang):
    if not schedule:
        return {"schedule": gettext_for(lang, "Enter at least one instalment.")}
    if len(schedule) > MAX_INSTALMENTS:
        return {"schedule": gettext_for(lang, "At most %(count)s instalments.",
                                        count=MAX_INSTALMENTS)}
    if any(p.amount <= 0 for p in schedule):
        return {"schedule": gettext_for(lang, "Every instalment needs an amount above ¥0.")}
    days = [p.due_on for p in schedule]
    if len(set(days)) != len(days):
        return {"schedule": gettext_for(lang, "Two instalments fall on the same day.")}
    added = sum(p.amount for p in schedule)
    if total and added != total:
        return {"schedule": gettext_for(lang, "The instalments add up to %(sum)s, not the total "
                                              "%(total)s.", sum=format_yen(added),
                                        total=format_yen(total))}
    return {}


def record_instalment(*, instalment_id, received_on, staff, lang, amount=None,
                      money_account=None, bank_line_id=None, wants_receipt=True):
    """The money of one instalment arrived: record it as an offline gift; commits."""
    instalment = db.session.get(Instalment, instalment_id)
    if instalment is None:
        raise NotFound(gettext_for(lang, "This instalment does not exist."))
    agreement = instalment.agreement
    method = agreement.expected_method
    return offline.record_offline_gift(
        donor_id=agreement.donor_id, amount=instalment.amount if amount is None else amount,
        destination=destination_key(agreement), method=method, received_on=received_on,
        money_account=money_account or (offline.CASH if method == "cash" else None),
        transfer_name=agreement.transfer_name, staff=staff, lang=lang,
        note=gettext_for(lang, "Instalment %(number)s of pledge #%(id)s",
                         number=instalment.number, id=agreement.id),
        instalment_id=instalment.id, bank_line_id=bank_line_id, wants_receipt=wants_receipt)


def destination_key(agreement):
    if agreement.designation == "campaign":
        return f"campaign:{agreement.campaign.slug}"
    if agreement.designation == "project":
        return f"project:{agreement.project.slug}"
    return "general"


def cancel_agreement(*, agreement_id, reason, staff, lang):
    """The donor withdrew: no more instalments are expected; commits. Received gifts stay."""
    agreement = db.session.execute(
        db.select(PledgeAgreement).where(PledgeAgreement.id == agreement_id).with_for_update()
    ).scalar_one_or_none()
    if agreement is None:
        raise NotFound(gettext_for(lang, "This pledge does not exist."))
    if AgreementStatus.CANCELED not in AGREEMENT_TRANSITIONS[AgreementStatus(agreement.status)]:
        raise Conflict(gettext_for(lang, "This pledge is already closed."), code="closed")
    if not (reason or "").strip():
        raise ValidationFailed(gettext_for(lang, "Say why the pledge ends."),
                               errors={"reason": "required"})
    agreement.status = AgreementStatus.CANCELED.value
    agreement.closed_at = clock.now()
    audit.record(audit.staff(staff), "pledge_agreement.canceled", agreement,
                 reason=reason.strip()[:500], outstanding=agreement.outstanding)
    db.session.commit()
    return agreement


def agreements(status=None):
    query = db.select(PledgeAgreement).order_by(PledgeAgreement.id.desc()).options(
        selectinload(PledgeAgreement.donor),
        selectinload(PledgeAgreement.instalments).selectinload(Instalment.gift))
    if status:
        query = query.where(PledgeAgreement.status == status)
    return db.session.execute(query.limit(500)).scalars().all()


def due_instalments(today=None, within_days=DUE_SOON_DAYS):
    """Active pledges' instalments not received and due by `within_days` from today: late first."""
    today = today or clock.today_jst()
    rows = db.session.execute(
        db.select(Instalment).join(PledgeAgreement)
        .where(PledgeAgreement.status == AgreementStatus.ACTIVE.value,
               Instalment.due_on <= today + timedelta(days=within_days))
        .order_by(Instalment.due_on, Instalment.id)
        .options(selectinload(Instalment.gift),
                 selectinload(Instalment.agreement).selectinload(PledgeAgreement.donor))
    ).scalars().all()
    return [row for row in rows if row.gift is None]
