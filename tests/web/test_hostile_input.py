"""Hostile input is stored as given and shown as text everywhere: pages, mail, PDF, CSV."""
import io
import zipfile

from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.receipts import bulk
from fund.receipts import issuing as receipts
from fund.receipts.models import Receipt
from tests.receipts.helpers import pdf_text
from tests.support.forms import post_donation

NAME = "<script>alert(1)</script>'; DROP TABLE donor; --\u202e"
MESSAGE = "<img src=x onerror=alert(1)>\n\t=1+2 ＝SUM(1,2) @cmd"


def test_markup_and_sql_are_stored_as_given_and_shown_as_text(client, seeded, ctx, card_token,
                                                               smtp_server, sign_in):
    response = post_donation(client, token=card_token(), name=NAME, message=MESSAGE,
                             address=" =HYPERLINK(\"http://x\")")
    assert response.status_code == 302
    donor = db.session.query(Donor).one()
    assert donor.name == NAME and db.session.query(Donation).one().message == MESSAGE
    assert db.session.query(Donor).count() == 1  # the table is still there

    thanks_mail = smtp_server.wait_for(1)[0].get_body(("plain",)).get_content()
    assert NAME in thanks_mail  # plain-text mail: the text, never interpreted
    receipt = db.session.query(Receipt).one()
    assert "<script>alert(1)</script>" in "".join(pdf_text(receipts.pdf_bytes(receipt)).split(
        "\n"))

    sign_in("office")
    page = client.get(f"/office/donations/{db.session.query(Donation).one().id}")
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    archive = io.BytesIO()
    bulk.export_zip(out=archive, query=bulk.receipt_query(year=receipt.year))
    index = zipfile.ZipFile(archive).read("index.csv").decode("utf-8-sig")
    row = next(line for line in index.splitlines() if receipt.number in line)
    assert "<script>alert(1)</script>" in row


def test_control_characters_are_refused_with_a_message_and_nothing_recorded(client, seeded, ctx):
    for bad in ("量子\x00花子", "量子\x07花子", "量子\x1b[31m花子"):
        response = post_donation(client, token="tok_unused", name=bad)
        assert response.status_code == 422
        assert "保存できない文字" in response.get_data(as_text=True)
    assert db.session.query(Donation).count() == 0


def test_a_huge_field_is_refused_before_anything_is_read(client, seeded, ctx):
    response = post_donation(client, token="tok_unused", message="x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert db.session.query(Donation).count() == 0


def test_csv_formula_prefixes_stay_text_after_nfkc_and_leading_spaces(ctx):
    """The accountant's ZIP index: whatever a donor typed as a name, a spreadsheet
    shows it and runs nothing (fund.core.csvsafe)."""
    import csv
    from datetime import datetime, timezone

    from fund.core import audit
    from tests.factories import DonorFactory, paid_gift

    names = [" =1+2", "＝SUM(1,2)", "\u3000@cmd", "+81 3", "-2+3", "\t=HYPERLINK(\"x\")",
             "｜calc", "量子 花子"]
    at = datetime(2026, 8, 1, tzinfo=timezone.utc)
    ids = []
    for name in names:
        gift = paid_gift(DonorFactory(name=name), at=at)
        ids.append(receipts.issue_for_donation(donation=gift, actor=audit.SYSTEM,
                                               with_hash=False).id)
    db.session.commit()
    bulk.fill_hashes(ids)
    archive = io.BytesIO()
    bulk.export_zip(out=archive, query=bulk.receipt_query(year=2026))
    text = zipfile.ZipFile(archive).read("index.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    shown = {row["donor"] for row in rows}
    for name in names[:-1]:
        assert "'" + name in shown, name  # kept as typed, behind the apostrophe
    assert "量子 花子" in shown  # ordinary names are left alone
