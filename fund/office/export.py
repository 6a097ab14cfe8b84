"""Gifts as CSV for a spreadsheet: UTF-8 with BOM, no formula cells, streamed.

Two writers give the same bytes for the same gifts, both in constant memory:

- `python_chunks` reads the rows through a server-side cursor in batches and
  writes them with the csv module, times in Japan time, cells through
  fund.core.csvsafe (receipt numbers, references and postal codes kept as
  text). This is the reference, and the path on SQLite.
- `copy_chunks` (PostgreSQL) has the server write the CSV itself:
  COPY (SELECT …) TO STDOUT WITH (FORMAT csv), each cell formatted in SQL as
  Python would (AT TIME ZONE, to_char, the status and method words of the
  request's language, fund.office.csvsafe_sql), and only passes COPY's rows
  on, with the csv module's CRLF at the end of each. It runs at the speed of
  the query (bench/office.py); tests/office/test_export_copy.py holds the two
  to the same bytes.
"""
import csv
import io

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal

from fund.campaigns.models import Campaign, Project
from fund.core import clock, csvsafe
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.office import csvsafe_sql, search
from fund.office.models import FACT_STATUSES, GiftFact
from fund.receipts.models import Receipt, ReceiptLine

BATCH = 5000
# COPY hands over one row at a time; this many bytes of them leave as one chunk.
CHUNK_BYTES = 256 * 1024
HEADERS = (_l("Gift"), _l("Received (JST)"), _l("Status"), _l("Method"), _l("Destination"),
           _l("Donor"), _l("Furigana"), _l("Email"), _l("Phone"), _l("Postal code"),
           _l("Address"), _l("Amount"), _l("Paid"), _l("Refunded"), _l("Lost in disputes"),
           _l("Fee"), _l("Net"), _l("Receipt"), _l("Reference"), _l("Message"))
METHOD_WORDS = {"card": _l("Card"), "konbini": _l("Konbini"), "bank_transfer": _l("Bank transfer")}
STATUS_WORDS = {"pending": _l("Pending"), "failed": _l("Failed"), "paid": _l("Paid"),
                "partially_refunded": _l("Partly refunded"), "refunded": _l("Refunded"),
                "disputed": _l("Disputed")}
TIME_FORMAT = ("%Y-%m-%d %H:%M", "YYYY-MM-DD HH24:MI")  # strftime, to_char


def _words(lang):
    with force_locale(lang):
        return {"general": gettext("General fund"),
                "statuses": {code: str(STATUS_WORDS[code]) for code in FACT_STATUSES},
                "methods": {code: str(word) for code, word in METHOD_WORDS.items()},
                "header": [str(title) for title in HEADERS]}


def _destination(lang):
    title = (lambda model: model.title_en) if lang == "en" else (lambda model: model.title_ja)
    return case((GiftFact.designation == "campaign", title(Campaign)),
                (GiftFact.designation == "project", title(Project)), else_=None)


def _select(columns, filters):
    """The matching gifts, oldest first, with their donor, destination and valid receipt."""
    return (db.select(*columns)
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


def _statement(filters, lang):
    """The raw values of each row, for the Python writer."""
    return _select((GiftFact.donation_id, GiftFact.received_at, GiftFact.at, GiftFact.status,
                    GiftFact.method, _destination(lang), Donor.kind, Donor.name,
                    Donor.company_name, Donor.name_kana, Donor.email, Donor.phone,
                    Donor.postal_code, Donor.address, GiftFact.amount, GiftFact.paid,
                    GiftFact.refunded, GiftFact.lost, GiftFact.fee, GiftFact.net,
                    Receipt.number, Donation.public_id, Donation.message), filters)


def _csv_statement(filters, lang, words):
    """Each row's cells as the Python writer makes them, in SQL (PostgreSQL)."""
    cell, text = csvsafe_sql.cell, csvsafe_sql.text
    moment = func.coalesce(GiftFact.received_at, GiftFact.at)
    destination = func.coalesce(func.nullif(_destination(lang), ""), literal(words["general"]))
    donor = case((Donor.kind == "corporation", Donor.company_name), else_=Donor.name)
    return _select((
        GiftFact.donation_id,
        func.to_char(func.timezone(clock.JST.key, moment), TIME_FORMAT[1]),
        case({code: literal(word) for code, word in words["statuses"].items()},
             value=GiftFact.status, else_=GiftFact.status),
        case({code: literal(word) for code, word in words["methods"].items()},
             value=GiftFact.method, else_=GiftFact.method),
        cell(destination), cell(donor), cell(Donor.name_kana), text(Donor.email),
        text(Donor.phone), text(Donor.postal_code), cell(Donor.address), GiftFact.amount,
        GiftFact.paid, GiftFact.refunded, GiftFact.lost, GiftFact.fee, GiftFact.net,
        text(Receipt.number), text(Donation.public_id), cell(Donation.message)), filters)


def _head(words):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(words["header"])
    return "\ufeff".encode() + buffer.getvalue().encode()


def csv_chunks(filters, lang):
    """Yield the CSV as bytes: the BOM and header first, then the rows in chunks."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        yield from copy_chunks(filters, lang)
    else:
        yield from python_chunks(filters, lang)


def python_chunks(filters, lang):
    """The CSV written by the csv module, one chunk per batch of rows."""
    words = _words(lang)
    yield _head(words)
    statuses, methods, general = words["statuses"], words["methods"], words["general"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    jst, time_format = clock.JST, TIME_FORMAT[0]
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
                gift, moment.astimezone(jst).strftime(time_format), statuses[status],
                methods.get(method, method), cell(destination or general),
                cell(company if kind == "corporation" else name), cell(kana), text(email),
                text(phone), text(postal), cell(address), amount, paid, refunded, lost, fee,
                net, text(number), text(reference), cell(message)))
        yield buffer.getvalue().encode()
    result.close()


def copy_rows(filters, lang, words=None):
    """COPY's rows as PostgreSQL sends them: one buffer a row, each ending in LF."""
    connection = db.session.connection()
    compiled = _csv_statement(filters, lang, words or _words(lang)).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    sql = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')"
    # JIT would compile the long cell expressions for seconds (9 s of 29 s on the
    # bench); they are cheap to interpret. The setting ends with the transaction.
    connection.exec_driver_sql("SET LOCAL jit = off")
    # COPY takes no server-side parameters: psycopg merges them into the statement.
    with connection.connection.cursor() as cursor, cursor.copy(sql, compiled.params) as copy:
        yield from copy


def copy_chunks(filters, lang):
    """The CSV written by PostgreSQL's COPY, passed on in chunks of about CHUNK_BYTES."""
    words = _words(lang)
    yield _head(words)
    rows, size = [], 0
    for row in copy_rows(filters, lang, words):
        rows.append(row)
        size += len(row)
        if size >= CHUNK_BYTES:
            yield _crlf(rows)
            rows, size = [], 0
    if rows:
        yield _crlf(rows)


def _crlf(rows):
    """COPY's rows (one message each, ending in LF) ending in CRLF, as the csv module's do."""
    chunk = b"".join(rows)
    if chunk.count(b"\n") == len(rows):  # no line break inside a cell: only the row ends
        return chunk.replace(b"\n", b"\r\n")
    return b"".join(bytes(row[:-1]) + b"\r\n" for row in rows)
