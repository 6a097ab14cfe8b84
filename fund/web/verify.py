"""/verify/<token>: the public check of a receipt, opened from the QR code printed on it.

No login: anyone holding the receipt may check it. The page shows the number, date,
amount, status and SHA-256, nothing about the donor; a token whose signature does
not verify is refused with a message.
"""
from flask import Blueprint, render_template
from flask_babel import gettext as _

from fund.core import signing
from fund.receipts import verification

bp = Blueprint("verify", __name__)


@bp.get("/verify/<token>")
def receipt(token):
    try:
        verdict = verification.from_token(token)
    except signing.LinkInvalid:
        return render_template("public/verify.html", verdict=None, error=_(
            "This verification code is not valid: it was not issued by the QST Future Fund "
            "or has been altered.")), 403
    response = render_template("public/verify.html", verdict=verdict, error=None)
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
