"""What every staff page shares in its templates: Japan time and status words people read.

`{{ moment|jst }}` writes a moment in Japan time (lists and detail pages
alike, so a gift at 04:41 JST on 25 November never shows as 24 November);
`{{ value|status }}` turns a code word (`requires_action`, `partially_refunded`,
`logged`) into the word of the page's language.
"""
from flask_babel import lazy_gettext as _l

from fund.core import clock

STATUS_WORDS = {
    # gifts
    "pending": _l("Pending"), "paid": _l("Paid"), "failed": _l("Failed"),
    "refunded": _l("Refunded"), "partially_refunded": _l("Partly refunded"),
    "disputed": _l("Disputed"),
    # payments, refunds and disputes
    "created": _l("Created"), "requires_action": _l("Waiting for the donor"),
    "processing": _l("Processing"), "succeeded": _l("Succeeded"), "canceled": _l("Canceled"),
    "expired": _l("Expired"), "needs_response": _l("Needs our response"),
    "under_review": _l("Under review"), "won": _l("Won"), "lost": _l("Lost"),
    # receipts, jobs, mail
    "valid": _l("Valid"), "void": _l("Void"), "held": _l("Held for review"),
    "queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"),
    "sent": _l("Sent"), "logged": _l("Written to the log only"),
    # pledges, campaigns, projects
    "active": _l("Active"), "past_due": _l("Payment overdue"),
    "draft": _l("Draft"), "published": _l("Published"), "open": _l("Open"),
    "closed": _l("Closed"), "all_or_nothing": _l("All-or-Nothing"), "all_in": _l("All-In"),
    # payment methods and destinations
    "card": _l("Card"), "konbini": _l("Konbini"), "bank_transfer": _l("Bank transfer"),
    "general": _l("General fund"), "campaign": _l("Campaign"), "project": _l("Project"),
    "individual": _l("Individual"), "corporation": _l("Corporation"),
}


def status_label(value):
    """The word for a status, method or kind in the page's language; unknown ones as they are."""
    if value is None:
        return ""
    word = STATUS_WORDS.get(str(value))
    return str(word) if word is not None else str(value)


def jst(moment, fmt="%Y-%m-%d %H:%M"):
    """A moment in Japan time, e.g. 2026-11-25 04:41; '–' when there is none."""
    if moment is None:
        return "–"
    return moment.astimezone(clock.JST).strftime(fmt)


def register(app):
    app.jinja_env.filters["jst"] = jst
    app.jinja_env.filters["status"] = status_label
