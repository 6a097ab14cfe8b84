"""Donors: find the donor a form describes, or record a new one; self-service sign-in."""
import hashlib
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import func

from fund.core import audit, clock, mail
from fund.core.errors import NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.signing import LinkExpired, LinkInvalid
from fund.donors import mail_links, postal
from fund.donors.models import Donor, DonorSignIn


def find_or_create(data, lang):
    """Reuse the donor with the same email and receipt name, updating contact details.

    `data` is a loaded donation form. A changed address updates the donor
    only; receipts already issued keep the address they were printed with.
    Does not commit.
    """
    receipt_name = data["company_name"] if data["donor_kind"] == "corporation" else data["name"]
    candidates = db.session.execute(
        db.select(Donor).filter_by(email=data["email"], kind=data["donor_kind"],
                                   merged_into_id=None)
        .order_by(Donor.id)).scalars()
    donor = next((d for d in candidates if d.receipt_name == receipt_name), None)
    if donor is None:
        donor = Donor(email=data["email"], kind=data["donor_kind"])
        db.session.add(donor)
    donor.name = data["name"]
    donor.name_kana = data["name_kana"]
    donor.company_name = data.get("company_name") or None
    donor.representative = data.get("representative") or None
    # A gift without a receipt asks for no address: the one on file stays for the next receipt.
    if data.get("address"):
        donor.postal_code = data["postal_code"]
        donor.address = data["address"]
        for part in ("prefecture", "city", "street", "building"):
            setattr(donor, part, data.get(part) or "")
    donor.receipt_delivery = data.get("receipt_delivery") or "email"
    if data.get("wants_news") and not donor.wants_news:
        # Consent is only ever given here, never taken away: that is the donor's own choice.
        donor.wants_news = True
        donor.mail_preferences_at = clock.now()
    donor.phone = data.get("phone") or None
    donor.locale = lang
    donor.publish_name = data["publish_name"]
    return donor


def create(*, kind, name, name_kana, email, postal_code, address, locale, company_name=None,
           representative=None, phone=None):
    """A new donor the office enters (a transfer, a visit, a paper form); no commit.

    Never merged with an existing donor: a paper form may carry no email, and
    two people of one name are not one donor. Likely duplicates are for 名寄せ.
    """
    donor = Donor(kind=kind, name=name, name_kana=name_kana, email=email or "",
                  postal_code=postal_code, address=address, locale=locale,
                  company_name=company_name, representative=representative, phone=phone)
    db.session.add(donor)
    db.session.flush()
    return donor


# --- self-service without a password --------------------------------------------

def normalize_email(email):
    """How an address typed by a donor is compared: NFKC (full-width @), trimmed, lower case."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def donors_with_email(email):
    """Every donor record (individual, corporate) with this address."""
    email = normalize_email(email)
    if not email:
        return []
    return db.session.execute(
        db.select(Donor).where(func.lower(Donor.email) == email, Donor.merged_into_id.is_(None))
        .order_by(Donor.id)
    ).scalars().all()


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def request_sign_in(*, email, lang, link_for):
    """Mail a one-time sign-in link to `email` if a donor has it; commits.

    Says nothing about whether the address is known (the page shows the same
    message either way). `link_for(token)` makes the absolute URL.
    """
    known = donors_with_email(email)
    if not known:
        return False
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["DONOR_SIGN_IN_LINK_MINUTES"]
    row = DonorSignIn(email=normalize_email(email), token_sha256=_digest(token),
                      expires_at=clock.now() + timedelta(minutes=minutes))
    db.session.add(row)
    db.session.flush()
    audit.record(audit.donor(known[0].id), "donor.sign_in_requested", row)
    donor = known[0]
    values = {"url": link_for(token), "minutes": minutes, "name": donor.name, "donor": donor,
              "lang": lang, "unsubscribe_url": mail_links.stop_url(donor)}
    with force_locale(lang):
        subject = gettext("QST Future Fund: your sign-in link")
        body = render_template("email/donor_sign_in.txt", **values).lstrip("\n")
        html = render_template("email/_text.html", subject=subject, body=render_template(
            "email/donor_sign_in.txt", in_html=True, **values).strip(), **values)
    mail.queue(to=donor.email, subject=subject, body=body, html=html, kind="donor_sign_in",
               donor=donor)
    db.session.commit()
    mail.deliver_committed()
    return True


def sign_in_with(token):
    """The address a one-time link was sent to; the link is used up. Commits.

    Raises LinkInvalid (unknown, tampered or already used) or LinkExpired.
    """
    row = db.session.execute(
        db.select(DonorSignIn).filter_by(token_sha256=_digest(token or "")).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.used_at is not None:
        db.session.rollback()
        raise LinkInvalid()
    if clock.now() >= row.expires_at:
        db.session.rollback()
        raise LinkExpired()
    row.used_at = clock.now()
    known = donors_with_email(row.email)
    if known:
        audit.record(audit.donor(known[0].id), "donor.signed_in", row)
    db.session.commit()
    return row.email


def update_address(*, donor, postal_code, actor, lang, address=None, prefecture="", city="",
                   street="", building="", receipt_delivery=None):
    """Change where (and how) future receipts go; receipts already issued keep theirs. Commits.

    The address comes in the form's parts (prefecture, city, street, building)
    or, from older forms, as one line in `address`.
    """
    with force_locale(lang):
        return _update_address(donor, postal_code, actor, address=address, prefecture=prefecture,
                               city=city, street=street, building=building,
                               receipt_delivery=receipt_delivery)


def _clean(text):
    return unicodedata.normalize("NFKC", text or "").strip()


def _update_address(donor, postal_code, actor, *, address, prefecture, city, street, building,
                    receipt_delivery):
    digits = _clean(postal_code).replace("〒", "").replace("-", "")
    parts = {"prefecture": _clean(prefecture), "city": _clean(city), "street": _clean(street),
             "building": _clean(building)}
    errors = {}
    if not (len(digits) == 7 and digits.isdigit()):
        errors["postal_code"] = gettext("Enter a 7-digit postal code (e.g. 263-8555).")
    if address is None or parts["prefecture"]:
        if parts["prefecture"] not in postal.PREFECTURES:
            errors["prefecture"] = gettext("Please choose a prefecture.")
        for key in ("city", "street"):
            if not parts[key]:
                errors[key] = gettext("This field is required.")
        address = postal.full_address(**parts)
    else:
        address = _clean(address)
        parts = {}
        if not address:
            errors["address"] = gettext("This field is required.")
    if len(address) > 500:
        errors["address"] = gettext("Use at most 500 characters.")
    if receipt_delivery not in (None, "email", "post"):
        errors["receipt_delivery"] = gettext("Please choose one of the options.")
    if errors:
        raise ValidationFailed(gettext("Please check the highlighted fields."), errors=errors)
    before = {"postal_code": donor.postal_code, "address": donor.address,
              "receipt_delivery": donor.receipt_delivery}
    donor.postal_code = f"{digits[:3]}-{digits[3:]}"
    donor.address = address
    for key, value in parts.items():
        setattr(donor, key, value)
    if receipt_delivery:
        donor.receipt_delivery = receipt_delivery
    audit.record(actor, "donor.address_changed", donor, before=before,
                 after={"postal_code": donor.postal_code, "address": donor.address,
                        "receipt_delivery": donor.receipt_delivery})
    db.session.commit()
    return donor


def set_mail_preferences(*, donor, wants_news, wants_reports, actor):
    """What the donor chose on their page: news, and 活動報告 of what they supported. Commits."""
    before = {"wants_news": donor.wants_news, "wants_reports": donor.wants_reports}
    donor.wants_news, donor.wants_reports = bool(wants_news), bool(wants_reports)
    donor.mail_preferences_at = clock.now()
    audit.record(actor, "donor.mail_preferences", donor, before=before,
                 after={"wants_news": donor.wants_news, "wants_reports": donor.wants_reports})
    db.session.commit()
    return donor


# --- non-essential mail ------------------------------------------------------------

def donor_from_stop_token(token, lang):
    """The donor a mail's stop link names, else NotFound (tampered, or the address changed)."""
    try:
        donor_id, email = mail_links.read_stop_token(token)
    except LinkInvalid:
        donor_id, email = None, None
    donor = db.session.get(Donor, donor_id) if donor_id else None
    if donor is None or donor.email.lower() != email:
        with force_locale(lang):
            raise NotFound(gettext("This link is not valid."))
    return donor


def stop_non_essential_mail(*, donor, actor):
    """No more news or 活動報告 for this donor; mail about their own gifts goes on. Commits."""
    before = {"wants_news": donor.wants_news, "wants_reports": donor.wants_reports}
    donor.wants_news = False
    donor.wants_reports = False
    donor.mail_preferences_at = clock.now()
    audit.record(actor, "donor.mail_stopped", donor, before=before)
    db.session.commit()
    return donor


# --- the office: contact details and 名寄せ ------------------------------------

CONTACT_FIELDS = ("name", "name_kana", "company_name", "representative", "email", "phone",
                  "postal_code", "address", "locale", "wants_news", "wants_reports",
                  "publish_name")
LIMITS = {"name": 200, "name_kana": 200, "company_name": 200, "representative": 200,
          "email": 254, "phone": 32, "address": 500}


def update_contact(*, donor, changes, actor, lang):
    """Change a donor's contact details and consent; audited with before and after. Commits.

    Receipts already issued keep the name and address they were printed with.
    """
    with force_locale(lang):
        errors = _contact_errors(donor, changes)
        if errors:
            raise ValidationFailed(gettext("Please check the highlighted fields."), errors=errors)
    before, after = {}, {}
    for field in CONTACT_FIELDS:
        if field in changes and changes[field] != getattr(donor, field):
            before[field], after[field] = getattr(donor, field), changes[field]
            setattr(donor, field, changes[field])
    if not after:
        db.session.rollback()
        return donor
    if {"wants_news", "wants_reports"} & set(after):
        donor.mail_preferences_at = clock.now()
    audit.record(actor, "donor.contact_changed", donor, before=before, after=after)
    db.session.commit()
    return donor


def _contact_errors(donor, changes):
    errors = {}
    for field, limit in LIMITS.items():
        value = changes.get(field)
        if isinstance(value, str) and len(value) > limit:
            errors[field] = gettext("Use at most %(count)s characters.", count=limit)
    required = ["name", "email"] + (["company_name"] if donor.kind == "corporation" else [])
    for field in required:
        if field in changes and not (changes[field] or "").strip():
            errors[field] = gettext("This field is required.")
    email = changes.get("email")
    if email:
        email = changes["email"] = unicodedata.normalize("NFKC", email).strip()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        errors["email"] = gettext("Enter an email address such as name@example.jp.")
    postal = changes.get("postal_code")
    if postal:
        digits = unicodedata.normalize("NFKC", postal).replace("〒", "").replace("-", "").strip()
        if not (len(digits) == 7 and digits.isdigit()):
            errors["postal_code"] = gettext("Enter a 7-digit postal code (e.g. 263-8555).")
        else:
            changes["postal_code"] = f"{digits[:3]}-{digits[3:]}"
    if changes.get("locale") not in (None, "ja", "en"):
        errors["locale"] = gettext("Choose Japanese or English.")
    return errors


def _active():
    return Donor.merged_into_id.is_(None)


def duplicates_of(donor):
    """Other donors who are likely the same person: same email, or the same normalised
    name with the same phone or address."""
    same_name = (Donor.name_key == donor.name_key) & (
        ((Donor.phone_key != "") & (Donor.phone_key == donor.phone_key))
        | ((Donor.address_key != "") & (Donor.address_key == donor.address_key)))
    condition = Donor.email_key == donor.email_key
    if donor.name_key:
        condition = condition | same_name
    return db.session.execute(
        db.select(Donor).where(condition, Donor.id != donor.id, _active())
        .order_by(Donor.id)).scalars().all()


def likely_duplicates(limit=100):
    """Groups of donors who are likely one person, most recent first: [[Donor, …]]."""
    groups = []
    for key in (Donor.email_key, Donor.name_key):
        shared = (db.select(key).where(_active(), key != "").group_by(key)
                  .having(func.count() > 1).order_by(func.max(Donor.id).desc()).limit(limit))
        for value in db.session.execute(shared).scalars():
            rows = db.session.execute(db.select(Donor).where(key == value, _active())
                                      .order_by(Donor.id)).scalars().all()
            if key is Donor.name_key:
                rows = _same_person(rows)
            if len(rows) > 1 and not any({d.id for d in rows} <= {d.id for d in g}
                                         for g in groups):
                groups.append(rows)
    return groups[:limit]


def _same_person(rows):
    """Of donors with one name, those who share a phone or an address with another."""
    keep = []
    for donor in rows:
        if any(other is not donor and (
                (donor.phone_key and donor.phone_key == other.phone_key)
                or (donor.address_key and donor.address_key == other.address_key))
               for other in rows):
            keep.append(donor)
    return keep
