"""FundError hierarchy and the rendering of errors as HTML or /api JSON.

Every error a user can meet is a FundError with a message a person can act on;
anything else is logged and shown as a plain 500 page with no stack trace.
"""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class FundError(Exception):
    """A refused operation. `message` is shown to the user as it is."""

    status = 400
    code = "fund_error"

    def __init__(self, message, *, errors=None, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class ValidationFailed(FundError):
    status = 422
    code = "validation_failed"


class NotFound(FundError):
    status = 404
    code = "not_found"


class Conflict(FundError):
    status = 409
    code = "conflict"


class PaymentDeclined(FundError):
    status = 402
    code = "payment_declined"


class PaymentUnavailable(FundError):
    """Stripe could not be reached after retries: nothing was charged twice."""

    status = 503
    code = "payment_unavailable"


class ReceiptUnavailable(FundError):
    status = 503
    code = "receipt_unavailable"


def _wants_json():
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def _render(status, code, message, errors=None):
    if _wants_json():
        body = {"code": code, "status": status, "message": message, "errors": errors or {}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


# What a person reads for the HTTP errors they can meet, in their language;
# a page that aborts with its own description keeps it.
HTTP_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist."),
    405: _l("This page does not accept that request."),
    410: _l("This link is no longer valid."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a few minutes and try again."),
}


def _http_message(err):
    if err.description and err.description != type(err).description:
        return err.description
    return str(HTTP_MESSAGES.get(err.code, err.name))


def register_error_handlers(app):
    @app.errorhandler(FundError)
    def handle_fund_error(err):
        return _render(err.status, err.code, err.message, err.errors)

    @app.errorhandler(HTTPException)
    def handle_http(err):
        code = (err.name or "error").lower().replace(" ", "_")
        return _render(err.code, code, _http_message(err))

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "internal_error", gettext(
            "Something went wrong on our side. Nothing was charged twice; please try again later."))
