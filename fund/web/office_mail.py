"""/office/mail: the outbox (each mail as sent: text, HTML and links) and the local catch-all."""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from fund.core import mail
from fund.core.extensions import db
from fund.core.models import MAIL_STATES, OutboundEmail
from fund.office import outbox as office_outbox
from fund.web import forms, security
from fund.web.auth import guard

bp = Blueprint("office_mail", __name__, url_prefix="/office/mail")
bp.before_request(guard("office"))

# The HTML of a mail is shown as the donor's mail program would: no script, no form,
# nothing fetched from elsewhere, and never able to act on the office's session.
SANDBOX = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
           "frame-ancestors 'self'")


@bp.get("/")
def outbox():
    args = forms.query({"status": forms.Choice(MAIL_STATES), "before": forms.Number()})
    rows = office_outbox.listing(status=args["status"], before_id=args["before"])
    return render_template("office/outbox.html", rows=rows, status=args["status"],
                           statuses=MAIL_STATES,
                           catchall=bool(current_app.config.get("MAIL_CATCHALL_DIR")))


@bp.get("/<int:message_id>")
def message(message_id):
    row = db.get_or_404(OutboundEmail, message_id)
    return _framing(render_template("office/mail.html", m=row, links=office_outbox.links(row)))


@bp.get("/<int:message_id>/html")
def message_html(message_id):
    row = db.get_or_404(OutboundEmail, message_id)
    if not row.html:
        abort(404)
    return _sandboxed(row.html)


@bp.post("/retry")
def retry():
    sent, failed = mail.deliver()
    flash(_("Sent %(sent)s, still failing %(failed)s.", sent=sent, failed=failed))
    return redirect(url_for("office_mail.outbox"))


@bp.get("/catch-all")
def catchall():
    directory = current_app.config.get("MAIL_CATCHALL_DIR")
    return render_template("office/catchall.html", directory=directory,
                           rows=office_outbox.catchall(directory))


@bp.get("/catch-all/<name>")
def catchall_message(name):
    found = office_outbox.catchall_message(current_app.config.get("MAIL_CATCHALL_DIR"), name)
    if found is None:
        abort(404)
    text, html = office_outbox.parts(found)
    if request.args.get("part") == "html" and html:
        return _sandboxed(html)
    return _framing(render_template("office/catchall_message.html", name=name, m=found,
                                    text=text, html=html))


def _framing(page):
    """This page may frame the sandboxed HTML of the mail (and nothing else of ours)."""
    response = current_app.make_response(page)
    response.headers["Content-Security-Policy"] = security.content_security_policy().replace(
        "frame-src ", "frame-src 'self' ")
    return response


def _sandboxed(html):
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
