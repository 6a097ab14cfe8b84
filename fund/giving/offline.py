"""Gifts that did not come through Stripe: a bank transfer to the institute's own
account, cash, or a gift announced on a paper application form (寄附申込書).

The office records them; they go through the same steps as a card gift: the
one gift builder (`gifts.create_gift`), a Payment (provider `office`) marked
succeeded by `payments.mark_succeeded`, so `payment_succeeded` fires once and
the one settlement path issues the receipt and queues the thank-you mail, and
the money raised moves. The ledger books it here: the bank account (or cash)
is debited and the fund of its designation credited, key `gift:<payment id>`.
A gift recorded from a bank statement line, or as a corporate pledge's
instalment, is linked to it in the same commit.
"""
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time

from fund.accounting import bank as bank_lines
from fund.campaigns.models import Campaign, Project
from fund.core import audit, clock, kana, mail
from fund.core.errors import NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.i18n import gettext_for
from fund.core.money import format_yen
from fund.donors import services as donors
from fund.donors.models import Donor
from fund.giving import gifts
from fund.giving.models import (OFFLINE_METHODS, OFFLINE_PROVIDER, AgreementStatus, Instalment,
                                OfflineGift)
from fund.ledger import accounts as ledger_accounts
from fund.ledger import bookings
from fund.payments import services as payments

CASH = "cash"
# Besides katakana, what the zengin system prints in a 振込名義 (after NFKC, upper case).
_TRANSFER_NAME_EXTRA = set("().,-/「」ー ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True)
class NewDonor:
    """A donor the office enters from a transfer, a visit or a paper form."""

    name: str
    name_kana: str
    postal_code: str
    address: str
    email: str = ""
    kind: str = "individual"
    company_name: str = ""
    representative: str = ""
    phone: str = ""
    locale: str = "ja"  # receipts and mail: Japanese unless the donor asks otherwise


def money_accounts():
    """(ledger account code, label) of the places an offline gift can reach."""
    return [(bank.ledger_account, bank.name) for bank in bank_lines.bank_accounts()] + \
        [(CASH, gettext_for(None, "Cash"))]


def search_donors(query, limit=20):
    """Donors whose name, フリガナ, company or email contains `query` (NFKC, any case)."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        return []
    pattern = f"%{text.replace('%', '').replace('_', '')}%"
    katakana = f"%{kana.to_katakana(text)}%"
    return db.session.execute(
        db.select(Donor).where(db.or_(
            Donor.name.ilike(pattern), Donor.name_kana.ilike(pattern),
            Donor.name_kana.ilike(katakana), Donor.company_name.ilike(pattern),
            Donor.email.ilike(pattern)))
        .order_by(Donor.id.desc()).limit(limit)).scalars().all()


def received_at(day):
    """The moment recorded for a gift received on `day`: its first second in Japan."""
    return datetime.combine(day, time(0, 0), tzinfo=clock.JST)


def transfer_name_problem(name, lang):
    """A message when `name` is not a 振込名義 as banks print it (katakana), else None."""
    text = kana.normalise(name)
    if not text:
        return None
    allowed = all("\u30a0" <= ch <= "\u30ff" or ch in _TRANSFER_NAME_EXTRA for ch in text)
    return None if allowed else gettext_for(
        lang, "Write the transfer name in katakana as the bank prints it (e.g. ﾔﾏﾀﾞ ﾀﾛｳ).")


def _check(*, donor, new_donor, amount, received_on, method, money_account, destination_key,
           transfer_name, paper_form, lang):
    """Every problem with the gift as {field: message}; the destination once resolved."""
    errors = {}
    if donor is None and new_donor is None:
        errors["donor"] = gettext_for(lang, "Choose a donor or enter a new one.")
    if new_donor is not None:
        errors.update(new_donor_problems(new_donor, paper_form=paper_form, lang=lang))
    if amount is None or amount <= 0:
        errors["amount"] = gettext_for(lang, "Enter an amount above ¥0.")
    if received_on is None:
        errors["received_on"] = gettext_for(lang, "Enter the date the money was received.")
    elif received_on > clock.today_jst():
        errors["received_on"] = gettext_for(lang, "The date received cannot be in the future.")
    if method not in OFFLINE_METHODS:
        errors["method"] = gettext_for(lang, "Choose how the money came: bank transfer or cash.")
    elif method == "cash":
        if money_account != CASH:
            errors["money_account"] = gettext_for(lang, "Cash is recorded in the cash account.")
    elif money_account == CASH or money_account not in dict(money_accounts()):
        errors["money_account"] = gettext_for(lang, "Choose the bank account the transfer reached.")
    problem = transfer_name_problem(transfer_name, lang)
    if problem:
        errors["transfer_name"] = problem
    destination = None
    try:
        destination = resolve_destination(destination_key, lang)
    except (NotFound, ValidationFailed) as err:
        errors["destination"] = err.message
    return errors, destination


def new_donor_problems(new, *, paper_form, lang):
    errors = {}
    required = gettext_for(lang, "This field is required.")
    for field in ("name", "name_kana", "postal_code", "address"):
        if not getattr(new, field).strip():
            errors[field] = required
    if new.kind == "corporation":
        for field in ("company_name", "representative"):
            if not getattr(new, field).strip():
                errors[field] = required
    if not new.email and not paper_form:
        errors["email"] = gettext_for(
            lang, "An email address is needed unless the gift came on a paper form.")
    elif new.email and "@" not in new.email:
        errors["email"] = gettext_for(lang, "This email address is not valid.")
    return errors


def resolve_destination(key, lang):
    """general / campaign:<slug> / project:<slug>, open for gifts; refused with its name if closed."""
    key = (key or "").strip()
    kind, _, slug = key.partition(":")
    if key != "general" and not (kind in ("campaign", "project") and slug):
        raise ValidationFailed(gettext_for(lang, "“%(key)s” is not a designation: choose the "
                                                 "general fund, a campaign or a project.",
                                           key=key or "—"))
    try:
        return gifts.resolve_destination(key, lang)
    except NotFound:
        pass
    model = Campaign if kind == "campaign" else Project
    row = db.session.execute(db.select(model).filter_by(slug=slug)).scalar_one_or_none()
    if row is None:
        raise ValidationFailed(gettext_for(lang, "There is no campaign or project “%(key)s”.",
                                           key=key))
    raise ValidationFailed(gettext_for(lang, "“%(title)s” is closed and takes no more gifts; "
                                             "record the gift for the general fund or an open "
                                             "project.", title=row.title(lang)))


def create_donor(new):
    """The donor typed on the form, as a new row (no commit)."""
    digits = unicodedata.normalize("NFKC", new.postal_code or "").replace("〒", "")
    digits = digits.replace("-", "").strip()
    postal = f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 and digits.isdigit() \
        else new.postal_code.strip()
    return donors.create(
        kind=new.kind, name=new.name.strip(), name_kana=new.name_kana.strip(),
        company_name=new.company_name.strip() or None,
        representative=new.representative.strip() or None, email=new.email.strip(),
        postal_code=postal, address=new.address.strip(),
        phone=new.phone.strip() or None, locale=new.locale if new.locale in ("ja", "en") else "ja")


def record_offline_gift(*, amount, destination, method, received_on, staff, lang,
                        donor_id=None, new_donor=None, money_account=None, transfer_name="",
                        paper_form=False, form_reference="", note="", wants_receipt=True,
                        instalment_id=None, bank_line_id=None):
    """Record a gift received outside Stripe, settle it and book it; commits once.

    Refused whole, with a message per field, for: no donor, an amount of ¥0 or
    less, no date or a date in the future, an unknown or closed designation,
    a money account that does not fit the method. Returns the Payment.
    """
    donor = db.session.get(Donor, donor_id) if donor_id else None
    if donor_id and donor is None:
        raise NotFound(gettext_for(lang, "This donor does not exist."))
    money_account = CASH if method == "cash" and not money_account else money_account
    errors, destination = _check(
        donor=donor, new_donor=new_donor, amount=amount, received_on=received_on, method=method,
        money_account=money_account, destination_key=destination, transfer_name=transfer_name,
        paper_form=paper_form, lang=lang)
    instalment = _instalment(instalment_id, lang) if instalment_id else None
    line = bank_lines.open_line(bank_line_id, lang) if bank_line_id else None
    if line is not None:
        errors.update(_line_problems(line, amount, received_on, money_account, lang))
    if errors:
        db.session.rollback()
        raise ValidationFailed(
            gettext_for(lang, "The gift was not recorded: %(problems)s",
                        problems=" ".join(dict.fromkeys(errors.values()))), errors=errors)
    actor = audit.staff(staff)
    if donor is None:
        donor = create_donor(new_donor)
    payment = gifts.create_gift(
        donor=donor, amount=amount, method=method, locale=donor.locale or "ja", actor=actor,
        campaign=destination.campaign, project=destination.project,
        wants_receipt=wants_receipt,
        audit_data={"destination": destination.key, "method": method, "offline": True,
                    "received_on": received_on.isoformat(), "money_account": money_account})
    payment.provider = OFFLINE_PROVIDER
    gift = OfflineGift(payment=payment, method=method, money_account=money_account,
                       received_on=received_on, transfer_name=(transfer_name or "").strip(),
                       transfer_key=kana.name_key(transfer_name), paper_form=bool(paper_form),
                       form_reference=(form_reference or "").strip(), note=(note or "").strip(),
                       instalment=instalment, recorded_by=staff.id)
    db.session.add(gift)
    db.session.flush()
    payments.mark_succeeded(payment, actor, at=received_at(received_on), offline=True)
    book_gift(gift, actor)
    if line is not None:
        bank_lines.link_gift(line, payment, actor=actor)
    if instalment is not None:
        _complete_if_paid(instalment.agreement, actor)
    db.session.commit()
    mail.deliver_committed()
    return payment


def book_gift(gift, actor):
    """The ledger entry of an offline gift: money account / the designation's fund (no commit)."""
    payment = gift.payment
    donation = payment.donation
    how = "現金" if gift.method == "cash" else "振込"
    return bookings.book_gift(
        payment, actor=actor, asset=ledger_accounts.get(gift.money_account),
        memo=f"寄附 #{donation.id} ({how} {gift.transfer_name or donation.donor.receipt_name})"[:500])


def _line_problems(line, amount, received_on, money_account, lang):
    errors = {}
    if line.deposit != amount:
        errors["amount"] = gettext_for(
            lang, "The statement line is a deposit of %(line)s, not %(amount)s.",
            line=format_yen(line.deposit), amount=format_yen(amount or 0))
    if line.bank_account.ledger_account != money_account:
        errors["money_account"] = gettext_for(lang, "The statement line is of another account.")
    return errors


def _instalment(instalment_id, lang):
    instalment = db.session.execute(
        db.select(Instalment).where(Instalment.id == instalment_id).with_for_update()
    ).scalar_one_or_none()
    if instalment is None:
        raise NotFound(gettext_for(lang, "This instalment does not exist."))
    if instalment.gift is not None:
        raise ValidationFailed(gettext_for(lang, "This instalment was already received."),
                               errors={"instalment": "received"})
    if instalment.agreement.status != AgreementStatus.ACTIVE:
        raise ValidationFailed(gettext_for(lang, "This pledge is no longer active."),
                               errors={"instalment": "closed"})
    return instalment


def _complete_if_paid(agreement, actor):
    db.session.flush()
    db.session.expire(agreement, ["instalments"])
    if all(i.gift is not None for i in agreement.instalments):
        agreement.status = AgreementStatus.COMPLETED.value
        agreement.closed_at = clock.now()
        audit.record(actor, "pledge_agreement.completed", agreement)


def gift_for_line(line):
    """The offline gift a matched bank line stands for, or None."""
    if line.payment_id is None:
        return None
    return db.session.execute(
        db.select(OfflineGift).filter_by(payment_id=line.payment_id)).scalar_one_or_none()

