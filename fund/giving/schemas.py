"""Input schema for the donation form.

Error messages are codes ("error.amount.min"); ERROR_TEXTS gives each its text
in the donor's language, so one schema serves Japanese and English pages.
"""
import re
import unicodedata

from marshmallow import (RAISE, Schema, ValidationError, fields, pre_load, validate,
                         validates, validates_schema)

from flask_babel import lazy_gettext as _l

from fund.core.money import AmountError, parse_yen
from fund.donors.postal import PREFECTURES, full_address

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTAL = re.compile(r"^[0-9]{3}-?[0-9]{4}$")
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{8,18}[0-9]$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９－ー−", "0123456789---")

REQUIRED = {"required": "error.required", "null": "error.required"}

# What each error code says to the donor (Flask-Babel catalogue, in the page's language).
ERROR_TEXTS = {
    "error.required": _l("This field is required."),
    "error.amount.required": _l("Please enter an amount."),
    "error.amount.invalid": _l("Enter the amount in whole yen, digits only."),
    "error.amount.fraction": _l("Amounts are in whole yen, without decimals."),
    "error.amount.negative": _l("The amount must be positive."),
    "error.amount.min": _l("The minimum is ¥%(min)s."),
    "error.amount.max": _l("The maximum is ¥%(max)s."),
    "error.email": _l("Please enter a valid email address."),
    "error.postal_code": _l("Enter a 7-digit postal code (e.g. 263-8555)."),
    "error.phone": _l("Please enter a valid phone number."),
    "error.too_long": _l("Use at most %(max)s characters."),
    "error.choice": _l("Please choose one of the options."),
    "error.characters": _l(
        "This field contains characters that cannot be stored; please remove them."),
    "error.monthly_card_only": _l("Monthly giving is by card only."),
    "error.privacy": _l("Please read and accept the privacy policy to continue."),
    "error.prefecture": _l("Please choose a prefecture."),
}


def _text(max_length, required=True):
    extra = {} if required else {"load_default": ""}
    return fields.String(
        required=required, **extra,
        validate=validate.Length(max=max_length, error="error.too_long"),
        error_messages=REQUIRED)


class Yen(fields.Field):
    """Whole yen from what a donor typed; refuses fractions, signs and words."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yen(value)
        except AmountError as err:
            raise ValidationError(f"error.amount.{err.code}") from err


class DonationCreateSchema(Schema):
    """A one-off gift as the public form sends it."""

    class Meta:
        unknown = RAISE

    destination = fields.String(load_default="general")
    amount = Yen(required=True, error_messages={"required": "error.amount.required",
                                                "null": "error.amount.required"})
    donor_kind = fields.String(
        load_default="individual",
        validate=validate.OneOf(("individual", "corporation"), error="error.choice"))
    company_name = _text(200, required=False)
    representative = _text(200, required=False)
    name = _text(200)
    # Needed for a receipt only: a donor who wants none (an overseas donor, say)
    # is not asked for a Japanese postal code, an address or furigana.
    name_kana = _text(200, required=False)
    email = fields.String(required=True, error_messages=REQUIRED)
    postal_code = fields.String(load_default="")
    # The address in the form's parts; `address` (one line) is what older forms and
    # API clients send instead.
    prefecture = fields.String(load_default="", validate=validate.OneOf(
        ("",) + PREFECTURES, error="error.prefecture"))
    city = _text(200, required=False)
    street = _text(200, required=False)
    building = _text(200, required=False)
    address = _text(500, required=False)
    phone = _text(32, required=False)
    wants_receipt = fields.Boolean(load_default=False)
    publish_name = fields.Boolean(load_default=False)
    # 郵送: the office prints the receipt and posts it.
    receipt_delivery = fields.String(
        load_default="email", validate=validate.OneOf(("email", "post"), error="error.choice"))
    # Non-essential mail (news, appeals): only with consent, off by default.
    wants_news = fields.Boolean(load_default=False)
    # The リターン chosen on a campaign page (fund.campaigns.rewards claims it).
    reward_tier = fields.Integer(load_default=None, strict=False,
                                 error_messages={"invalid": "error.choice"})
    agree_privacy = fields.Boolean(required=True, error_messages={
        "required": "error.privacy", "null": "error.privacy"})
    message = _text(2000, required=False)
    payment_method = fields.String(
        load_default="card",
        validate=validate.OneOf(("card", "konbini", "bank_transfer"), error="error.choice"))
    frequency = fields.String(
        load_default="once", validate=validate.OneOf(("once", "monthly"), error="error.choice"))
    receipt_preference = fields.String(
        load_default="per_gift",
        validate=validate.OneOf(("per_gift", "annual"), error="error.choice"))

    def __init__(self, *, min_amount, max_amount, **kwargs):
        super().__init__(**kwargs)
        self.min_amount = min_amount
        self.max_amount = max_amount

    @pre_load
    def clean(self, data, **kwargs):
        """Combine the preset/other amount, trim text, and treat blanks as missing."""
        data = {key: value for key, value in dict(data).items()}
        choice = data.pop("amount_choice", None)
        other = data.pop("amount_other", None)
        if "amount" not in data:
            data["amount"] = other if choice in (None, "", "other") else choice
        for key, value in list(data.items()):
            if isinstance(value, str):
                value = value.strip()
                data[key] = value
                if value == "" and key not in ("message", "phone", "company_name",
                                                "representative", "amount", "building"):
                    data.pop(key)
        if data.get("amount") == "":
            data.pop("amount")
        # What phones and Japanese keyboards type: full-width letters and digits, 〒.
        for key in ("email", "postal_code"):
            if isinstance(data.get(key), str):
                data[key] = unicodedata.normalize("NFKC", data[key]).replace("〒", "").strip()
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_receipt_fields(self, data, **kwargs):
        if data.get("wants_receipt"):
            needed = ["name_kana", "postal_code"]
            if not data.get("address"):
                needed += ["prefecture", "city", "street"]
            missing = {key: ["error.prefecture" if key == "prefecture" else "error.required"]
                       for key in needed if not data.get(key)}
            if missing:
                raise ValidationError(missing)

    @validates("agree_privacy")
    def check_privacy(self, value, **kwargs):
        if value is not True:
            raise ValidationError("error.privacy")

    @validates_schema(skip_on_field_errors=False)
    def check_characters(self, data, **kwargs):
        # NUL and other control characters cannot be stored (PostgreSQL refuses NUL)
        # nor printed on a receipt; tabs and line breaks in the message are kept.
        bad = {key: ["error.characters"] for key, value in data.items()
               if isinstance(value, str) and CONTROL.search(
                   value.replace("\n", "").replace("\r", "").replace("\t", ""))}
        if bad:
            raise ValidationError(bad)

    @validates("amount")
    def check_amount(self, value, **kwargs):
        if value <= 0:
            raise ValidationError("error.amount.negative")
        if value < self.min_amount:
            raise ValidationError("error.amount.min")
        if value > self.max_amount:
            raise ValidationError("error.amount.max")

    @validates("email")
    def check_email(self, value, **kwargs):
        if len(value) > 254 or not EMAIL.match(value):
            raise ValidationError("error.email")

    @validates("postal_code")
    def check_postal(self, value, **kwargs):
        if value and not POSTAL.match(value.translate(_FULLWIDTH)):
            raise ValidationError("error.postal_code")

    @validates("phone")
    def check_phone(self, value, **kwargs):
        if value and not PHONE.match(value.translate(_FULLWIDTH)):
            raise ValidationError("error.phone")

    @validates_schema(skip_on_field_errors=False)
    def check_monthly(self, data, **kwargs):
        # Stripe subscriptions charge a saved card; konbini and transfers are one-off.
        if data.get("frequency") == "monthly" and data.get("payment_method", "card") != "card":
            raise ValidationError({"payment_method": ["error.monthly_card_only"]})

    @validates_schema(skip_on_field_errors=False)
    def check_corporation(self, data, **kwargs):
        if data.get("donor_kind") == "corporation":
            errors = {key: ["error.required"] for key in ("company_name", "representative")
                      if not data.get(key)}
            if errors:
                raise ValidationError(errors)

    @classmethod
    def max_length(cls, field):
        """The longest text a field accepts (0 when it has no length limit)."""
        declared = cls._declared_fields.get(field)
        validator = getattr(declared, "validate", None)
        return getattr(validator, "max", None) or 0

    def load_form(self, form):
        """Load and normalise; the postal code is stored as 123-4567."""
        result = self.load(form)
        if not result["address"] and result["prefecture"]:
            result["address"] = full_address(result["prefecture"], result["city"],
                                             result["street"], result["building"])
        digits = result["postal_code"].translate(_FULLWIDTH).replace("-", "")
        result["postal_code"] = f"{digits[:3]}-{digits[3:]}" if digits else ""
        if result.get("phone"):
            result["phone"] = result["phone"].translate(_FULLWIDTH)
        return result
