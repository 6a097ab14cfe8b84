"""The interim statement (途中経過): this year's gifts so far, clearly not a receipt.

Before the year ends no annual summary can be issued (fund.receipts.annual
refuses it and points here). A donor (self-service) or the office may have
this statement instead: the gifts the summary would list today, with their
total. It has no number, takes nothing from the receipt series, is stored
nowhere, and says on every page これは寄附金受領証明書ではありません.
"""
from flask import current_app

from fund.core import clock
from fund.core.i18n import gettext_for, long_date
from fund.core.money import format_yen
from fund.receipts import annual

def statement(*, donor, lang, today=None):
    """What the statement prints for `donor` today, in `lang` ("ja" or "en")."""
    lang = "en" if lang == "en" else "ja"
    today = today or clock.today_jst()
    year = today.year
    gifts = annual.paid_gifts(year, [donor.id])

    def _(message, **params):
        return gettext_for(lang, message, **params)

    lines = [{"date": long_date(clock.jst_date(g.received_at), lang),
              "purpose": g.purpose(lang) or _("QST Future Fund (general)"),
              "amount": format_yen(g.net_amount)} for g in gifts]
    return {
        "lang": lang, "year": year, "gift_count": len(gifts),
        "total_amount": sum(g.net_amount for g in gifts),
        "not_receipt_ja": "これは寄附金受領証明書ではありません",
        "not_receipt_en": _("This is not a donation receipt (寄附金受領証明書).") if lang == "en" else None,
        "donor_name": donor.receipt_name + (" 様" if lang == "ja" else ""), "lines": lines,
        "total": format_yen(sum(g.net_amount for g in gifts)),
        "issuer": current_app.config["RECEIPT_ISSUER_NAME"],
        "t": {
            "title": _("Interim statement of your gifts in %(year)s", year=year),
            "not_for_tax": _("It cannot be used for a tax return. Your annual receipt is "
                             "issued after the year ends, from 1 January %(next)s.",
                             next=year + 1),
            "period": _("Gifts received from 1 January %(year)s to today:", year=year),
            "as_of": _("As of %(date)s (Japan time).", date=long_date(today, lang)),
            "date": _("Date received"), "purpose": _("Purpose"), "amount": _("Amount"),
            "total": _("Total so far"), "none": _("No gifts received yet this year."),
            "when": _("Gifts paid later this year will be added to the annual receipt."),
            "changes": _("Amounts are after any refunds; they may still change."),
        },
    }


def interim_pdf(*, donor, lang, today=None):
    """The statement as a PDF (bytes): rendered on request, never numbered or stored."""
    from fund.receipts import issuing, pdf
    issuing.pdf_check()
    return pdf.render_interim(statement(donor=donor, lang=lang, today=today))
