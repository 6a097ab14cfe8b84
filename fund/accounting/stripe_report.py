"""Stripe's itemized payout reconciliation report (`payout_reconciliation.itemized.*`), read.

Downloaded from the Dashboard (Reports → Payout reconciliation → Itemized) or
from the Reporting API. One row per balance transaction settled by an
automatic payout. Its amounts are in major units as decimals ("5000.00" is
¥5,000 for JPY); dates are `YYYY-MM-DD HH:MM:SS` in UTC (the `_utc` columns)
or in the report's time zone (the columns without it, used only when the
`_utc` ones were left out of the download).
"""
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from fund.accounting import csvfiles
from fund.core.errors import ValidationFailed
from fund.core.i18n import gettext_for

# Columns we need, each with the alternative Stripe names it under in other versions.
REQUIRED = {
    "balance_transaction_id": ("balance_transaction_id",),
    "created": ("created_utc", "created"),
    "available_on": ("available_on_utc", "available_on"),
    "currency": ("currency",),
    "gross": ("gross",),
    "fee": ("fee",),
    "net": ("net",),
    "reporting_category": ("reporting_category",),
    "source_id": ("source_id",),
    "automatic_payout_id": ("automatic_payout_id",),
    "automatic_payout_effective_at": ("automatic_payout_effective_at_utc",
                                      "automatic_payout_effective_at"),
}
OPTIONAL = {
    "charge_id": ("charge_id",),
    "payment_intent_id": ("payment_intent_id",),
    "description": ("description",),
}


@dataclass(frozen=True)
class ReportRow:
    row: int
    balance_transaction_id: str
    created: datetime
    available_on: datetime | None
    currency: str
    gross: int
    fee: int
    net: int
    reporting_category: str
    source_id: str
    payout_id: str
    payout_effective_at: datetime | None
    charge_id: str
    payment_intent_id: str
    description: str


def _columns(header, lang):
    keys = [csvfiles.header_key(cell) for cell in header]
    found, missing = {}, []
    for field, names in {**REQUIRED, **OPTIONAL}.items():
        index = next((keys.index(name) for name in names if name in keys), None)
        if index is not None:
            found[field] = index
        elif field in REQUIRED:
            missing.append(names[0])
    if missing:
        raise ValidationFailed(
            gettext_for(lang, "This is not Stripe's itemized payout reconciliation report: the "
                              "columns %(missing)s are missing.", missing=", ".join(missing)),
            errors={"file": "missing_columns", "missing": missing})
    return found


_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d")
# The report's own form, `2025-04-01 03:00:00`, read without strptime (same result).
_PLAIN_MOMENT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
# A plain amount in major units, `5000.00` or `-36`, read without NFKC and mark stripping.
_PLAIN_AMOUNT = re.compile(r"(-?[0-9]+)(?:\.(0+))?")


@lru_cache(maxsize=8192)
def _moment(text):
    """A stripped, non-empty date cell as an aware datetime (UTC unless it says otherwise).

    Cached: a report repeats the same few hundred days and payout times.
    """
    plain = _PLAIN_MOMENT.fullmatch(text)
    if plain:
        try:
            return datetime(*map(int, plain.groups()), tzinfo=timezone.utc)
        except ValueError:
            pass  # out of range: the formats below refuse it too, with ValueError
    for fmt in _FORMATS:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    raise ValueError(text)


def _when(text):
    text = (text or "").strip()
    if not text:
        return None
    return _moment(text)


def _amount(text):
    """Whole yen from an amount cell (csvfiles.parse_amount, with a fast path); 0 if blank."""
    plain = _PLAIN_AMOUNT.fullmatch(text)
    if plain:
        return int(plain[1])
    return csvfiles.parse_amount(text, signed=True) or 0


def parse(data, lang):
    """The report's rows; a missing column, another currency or a repeated row refuses it all."""
    text, _ = csvfiles.decode(data, lang)
    table = [row for row in csvfiles.rows(text) if any(row)]
    if not table:
        raise ValidationFailed(gettext_for(lang, "The file is empty."), errors={"file": "empty"})
    columns = _columns(table[0], lang)
    rows, seen = [], {}

    # Cells are stripped by csvfiles.rows; a column the file lacks, or a short row, reads "".
    fields = ("balance_transaction_id", "currency", "gross", "fee", "net", "created",
              "available_on", "automatic_payout_effective_at", "reporting_category", "source_id",
              "automatic_payout_id", "charge_id", "payment_intent_id", "description")
    indices = [columns.get(field, -1) for field in fields]

    for number, row in enumerate(table[1:], start=2):
        width = len(row)
        (txn, currency, gross, fee, net, created, available, effective, category, source,
         payout, charge, intent, description) = [row[i] if 0 <= i < width else ""
                                                  for i in indices]
        currency = currency.lower()
        if currency != "jpy":
            raise ValidationFailed(
                gettext_for(lang, "Line %(line)s is in %(currency)s; only yen (jpy) can be "
                                  "reconciled.", line=number, currency=currency or "—"),
                errors={"file": "currency", "line": number})
        if txn in seen:
            raise ValidationFailed(
                gettext_for(lang, "Lines %(first)s and %(second)s are the same balance "
                                  "transaction %(id)s.", first=seen[txn], second=number, id=txn),
                errors={"file": "duplicate_rows"})
        seen[txn] = number
        try:
            amounts = [_amount(gross), _amount(fee), _amount(net)]
            created = _when(created)
            available = _when(available)
            effective = _when(effective)
        except (csvfiles.AmountRefused, ValueError) as err:
            raise ValidationFailed(
                gettext_for(lang, "Line %(line)s: an amount or a date cannot be read.",
                            line=number), errors={"file": "value", "line": number}) from err
        if not txn or created is None:
            raise ValidationFailed(
                gettext_for(lang, "Line %(line)s has no balance transaction id or date.",
                            line=number), errors={"file": "value", "line": number})
        rows.append(ReportRow(
            row=number, balance_transaction_id=txn, created=created, available_on=available,
            currency="JPY", gross=amounts[0], fee=amounts[1], net=amounts[2],
            reporting_category=category, source_id=source, payout_id=payout,
            payout_effective_at=effective, charge_id=charge, payment_intent_id=intent,
            description=description))
    if not rows:
        raise ValidationFailed(gettext_for(lang, "The report has no transactions."),
                               errors={"file": "no_lines"})
    return rows
