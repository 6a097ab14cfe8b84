"""Gifts as CSV for a spreadsheet: UTF-8 with BOM, no formula cells, streamed.

The rows come through a server-side cursor in batches and leave as encoded
chunks, so memory stays flat at any size. Times are Japan time; receipt
numbers, references and postal codes are written so a spreadsheet keeps them
as text (fund.core.csvsafe).
"""
import csv
import io

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case

from fund.campaigns.models import Campaign, Project
from fund.core import clock, csvsafe
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.office import search
from fund.office.models import FACT_STATUSES, GiftFact
from fund.receipts.models import Receipt, ReceiptLine

BATCH = 5000
HEADERS = (_l("Gift"), _l("Received (JST)"), _l("Status"), _l("Method"), _l("Destination"),
           _l("Donor"), _l("Furigana"), _l("Email"), _l("Phone"), _l("Postal code"),
           _l("Address"), _l("Amount"), _l("Paid"), _l("Refunded"), _l("Lost in disputes"),
           _l("Fee"), _l("Net"), _l("Receipt"), _l("Reference"), _l("Message"))
METHOD_WORDS = {"card": _l("Card"), "konbini": _l("Konbini"), "bank_transfer": _l("Bank transfer")}
STATUS_WORDS = {"pending": _l("Pending"), "failed": _l("Failed"), "paid": _l("Paid"),
                "partially_refunded": _l("Partly refunded"), "refunded": _l("Refunded"),
                "disputed": _l("Disputed")}


def _statement(filters, lang):
    title = (lambda model: model.title_en) if lang == "en" else (lambda model: model.title_ja)
    destination = case((GiftFact.designation == "campaign", title(Campaign)),
                       (GiftFact.designation == "project", title(Project)), else_=None)
    return (db.select(GiftFact.donation_id, GiftFact.received_at, GiftFact.at, GiftFact.status,
                      GiftFact.method, destination, Donor.kind, Donor.name, Donor.company_name,
                      Donor.name_kana, Donor.email, Donor.phone, Donor.postal_code, Donor.address,
                      GiftFact.amount, GiftFact.paid, GiftFact.refunded, GiftFact.lost,
                      GiftFact.fee, GiftFact.net, Receipt.number, Donation.public_id,
                      Donation.message)
            .join(Donation, Donation.id == GiftFact.donation_id)
            .join(Donor, Donor.id == GiftFact.donor_id)
            .outerjoin(Campaign, Campaign.id == GiftFact.campaign_id)
            .outerjoin(Project, and_(Project.id == GiftFact.project_id,
                                     GiftFact.designation == "project"))
            .outerjoin(ReceiptLine, and_(ReceiptLine.donation_id == GiftFact.donation_id,
                                         ReceiptLine.active.is_(True)))
            .outerjoin(Receipt, Receipt.id == ReceiptLine.receipt_id)
            .where(*search.conditions(filters))
            .order_by(GiftFact.at, GiftFact.donation_id))


def csv_chunks(filters, lang):
    """Yield the CSV as bytes: the BOM and header first, then one chunk per batch."""
    with force_locale(lang):
        general = gettext("General fund")
        statuses = {code: str(STATUS_WORDS[code]) for code in FACT_STATUSES}
        methods = {code: str(word) for code, word in METHOD_WORDS.items()}
        header = [str(title) for title in HEADERS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    jst = clock.JST
    cell, text = csvsafe.cell, csvsafe.text
    connection = db.session.connection().execution_options(stream_results=True,
                                                            max_row_buffer=BATCH)
    result = connection.execute(_statement(filters, lang))
    for batch in result.partitions(BATCH):
        buffer.seek(0)
        buffer.truncate()
        for (gift, received_at, at, status, method, destination, kind, name, company, kana,
             email, phone, postal, address, amount, paid, refunded, lost, fee, net, number,
             reference, message) in batch:
            moment = received_at or at
            writer.writerow((
                gift, moment.astimezone(jst).strftime("%Y-%m-%d %H:%M"), statuses[status],
                methods.get(method, method), cell(destination or general),
                cell(company if kind == "corporation" else name), cell(kana), text(email),
                text(phone), text(postal), cell(address), amount, paid, refunded, lost, fee,
                net, text(number), text(reference), cell(message)))
        yield buffer.getvalue().encode()
    result.close()
