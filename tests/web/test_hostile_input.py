"""Hostile input is stored as given and shown as text everywhere: pages, mail, PDF, CSV."""
import io
import zipfile

import jinja2
import pypdf
import weasyprint

from fund.campaigns.models import Campaign
from fund.core import bidi
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving.models import Donation
from fund.receipts import bulk
from fund.receipts import issuing as receipts
from fund.receipts.models import Receipt
from tests.factories import DonorFactory
from tests.receipts.helpers import pdf_text
from tests.support.forms import post_donation
from tests.web.test_destination_pages import PAGE, _gift

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
    from tests.factories import paid_gift

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


# A right-to-left override (U+202E) and a pop of an isolate (U+2069) that tries to
# close ours early: stored as given, they must not reorder the text after the value.
RTL_NAME = "量子\u202e花子\u2069\u202e"


def test_a_right_to_left_override_reorders_only_inside_the_value_in_a_pdf():
    """What a page or receipt does with `isolate`, in the receipts' PDF engine: the
    date after the name keeps its order (without it, it is printed backwards)."""
    env = jinja2.Environment(autoescape=True)
    env.filters["isolate"] = bidi.isolate

    def printed(source):
        html = env.from_string(source).render(name=RTL_NAME)
        pdf = weasyprint.HTML(string=html).write_pdf()
        return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    assert "2026年8月1日" not in printed("<p>{{ name }} 様 · 2026年8月1日</p>")
    assert printed("<p>{{ name|isolate }} 様 · 2026年8月1日</p>").endswith(" 様 · 2026年8月1日")


def test_bidirectional_controls_stay_inside_names_on_pages_and_in_mails(
        client, seeded, ctx, card_token, smtp_server):
    fenced = "\u2068\u2068" + RTL_NAME + "\u2069\u2069"  # one more isolate than it closes
    _gift(db.session.query(Campaign).one(), 3000, name=RTL_NAME, message="応援\u202eします",
          publish=True)
    page = client.get(f"{PAGE}?lang=ja").get_data(as_text=True)
    assert f"<bdi>{fenced}</bdi> 様 ·" in page  # the name under the message, then the date
    assert "<bdi>\u2068応援\u202eします\u2069</bdi>" in page
    assert f"<li><bdi>{fenced}</bdi> 様</li>" in page  # 芳名録
    assert db.session.query(Donor).filter_by(name=RTL_NAME).count() == 1  # stored as given

    assert post_donation(client, token=card_token(), name=RTL_NAME).status_code == 302
    mail = smtp_server.wait_for(1)[0].get_body(("plain",)).get_content()
    assert f"{fenced} 様" in mail


def test_an_ordinary_name_is_written_as_before(client, seeded, ctx):
    _gift(db.session.query(Campaign).one(), 3000, name="量子 花子", message="応援します",
          publish=True)
    page = client.get(f"{PAGE}?lang=ja").get_data(as_text=True)
    assert "<li>量子 花子 様</li>" in page and "<bdi>" not in page and "\u2068" not in page


def test_the_office_picks_a_donor_whose_name_cannot_reorder_the_line(client, ctx, sign_in):
    """The offline-gift form lists donors as name (kana) email address on one line."""
    DonorFactory(name=RTL_NAME, name_kana="リョウシ ハナコ", email="rtl@example.jp")
    db.session.commit()
    sign_in("office")
    html = client.get("/office/money/gifts/new?q=rtl@example.jp").get_data(as_text=True)
    assert "<bdi>\u2068\u2068" + RTL_NAME + "\u2069\u2069</bdi> (リョウシ ハナコ) rtl@example.jp" in html
