"""Money is an integer count of the currency's minor unit plus an ISO code.

JPY has exponent 0: ¥5,000 is 5000. No floats anywhere.
"""
import re

EXPONENTS = {"JPY": 0}
DEFAULT_CURRENCY = "JPY"

_DIGITS = re.compile(r"^[0-9]+$")
_TRANSLATE = str.maketrans("０１２３４５６７８９，", "0123456789,")


class AmountError(ValueError):
    """The text is not a whole amount; .code names the reason for messages."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def parse_yen(text):
    """Parse what a donor typed ("5000", "5,000", "¥5,000", "５０００") to int yen.

    Refuses fractions, signs, exponents and anything that is not digits, so a
    typo can never become a different amount.
    """
    if text is None:
        raise AmountError("required")
    if isinstance(text, bool):
        raise AmountError("invalid")
    if isinstance(text, int):
        return text
    cleaned = str(text).strip().translate(_TRANSLATE)
    for mark in ("¥", "￥", "円"):
        cleaned = cleaned.replace(mark, "")
    cleaned = cleaned.replace(",", "").strip()
    if cleaned == "":
        raise AmountError("required")
    if cleaned.startswith("-"):
        raise AmountError("negative")
    if "." in cleaned:
        raise AmountError("fraction")
    if not _DIGITS.match(cleaned) or len(cleaned) > 15:
        raise AmountError("invalid")
    return int(cleaned)


def format_yen(amount, currency=DEFAULT_CURRENCY):
    """Format an integer amount for display: 5000 -> '¥5,000'."""
    if currency != "JPY":
        raise ValueError(f"unsupported currency {currency}")
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(int(amount)):,}"
