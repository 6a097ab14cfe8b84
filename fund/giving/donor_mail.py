"""Every mail to a donor, in plain text and HTML, in the donor's language.

The text template (templates/email/<name>.txt) is the one source of what a
mail says; its HTML part is `<name>.html` where a mail has its own, else the
same text set in the fund's HTML layout (paragraphs, links). Both end with the
fund's name and contact and the signed link that stops non-essential mail.
"""
from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from fund.core import mail
from fund.donors import mail_links


def render(template, *, lang, donor, **context):
    """(text, html) of `templates/email/<template>.txt` for `donor` in `lang`."""
    values = dict(context, donor=donor, lang=lang,
                  unsubscribe_url=mail_links.stop_url(donor) if donor.id else None)
    with force_locale(lang):
        text = render_template(f"email/{template}.txt", **values).lstrip("\n")
        try:
            html = render_template(f"email/{template}.html", **values)
        except TemplateNotFound:
            body = render_template(f"email/{template}.txt", in_html=True, **values).strip()
            html = render_template("email/_text.html", body=body, **values)
    return text, html


def queue(template, *, lang, donor, subject, kind, receipt=None, donation=None, **context):
    """Render and queue a donor mail (no commit); returns the outbox row."""
    text, html = render(template, lang=lang, donor=donor, subject=subject, receipt=receipt,
                        donation=donation, **context)
    return mail.queue(to=donor.email, subject=subject, body=text, html=html, kind=kind,
                      receipt=receipt, donation=donation, donor=donor)


def contact():
    cfg = current_app.config
    return {"email": cfg["FUND_CONTACT_EMAIL"], "phone": cfg["FUND_CONTACT_PHONE"],
            "address": cfg["FUND_CONTACT_ADDRESS"]}
