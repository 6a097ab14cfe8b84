"""Every mail to a donor: plain text and HTML, in the donor's language, with the fund's name,
its contact and a signed link that stops non-essential mail (and only that donor's)."""
import re
from types import SimpleNamespace

import pytest

from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import donor_mail
from fund.giving.models import Pledge
from tests.factories import DonorFactory
from tests.receipts.helpers import paid_gift
from tests.support.forms import csrf_token, post_donation

STOP = re.compile(r"http://127\.0\.0\.1:\d+(/mail/stop/\S+)")
FUND = {"ja": "QST未来基金", "en": "QST Future Fund"}
OFFICE = {"ja": "QST未来基金事務局", "en": "QST Future Fund office"}


def _context(lang):
    donor = DonorFactory(locale=lang, name="量子 花子" if lang == "ja" else "Jane Doe")
    gift = paid_gift(donor, 5000)
    pledge = Pledge(donor=donor, amount=5000, locale=lang, status="active")
    db.session.add(pledge)
    db.session.flush()
    instructions = SimpleNamespace(details={"stores": {"lawson": {"payment_code": "123456"}},
                                            "bank": {"bank_name": "Test Bank"}},
                                   hosted_url="https://pay.example/voucher")
    return donor, dict(
        donation=gift, pledge=pledge, amount="¥5,000", previous="¥3,000", purpose=None,
        receipt=None, receipt_url=None, link_until=None, preference="per_gift", first=True,
        cancel_url="http://127.0.0.1/pledges/cancel/t", payment=gift.payments[0],
        instructions=instructions, expires="2026年4月1日", pay_url="http://127.0.0.1/pay",
        store_names={}, method="konbini", url="http://127.0.0.1/my/sign-in/t", minutes=30,
        name=donor.name)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", ["thanks", "instructions", "instructions_expired", "pledge_paid",
                                  "pledge_failed", "pledge_canceled", "pledge_changed",
                                  "donor_sign_in"])
def test_each_donor_mail_has_text_and_html_with_name_contact_and_stop_link(ctx, name, lang):
    donor, context = _context(lang)
    text, html = donor_mail.render(name, lang=lang, donor=donor, subject="s", **context)
    for part in (text, html):
        assert OFFICE[lang] in part and "kikin@qst.example" in part
        assert "/mail/stop/" in part
    assert html.startswith("<!doctype html>") and f'<html lang="{lang}">' in html
    assert FUND[lang] in html
    if lang == "en":
        assert not re.search(r"[\u3040-\u30ff]", text.replace(donor.name, ""))  # all English


def test_the_thank_you_mail_goes_out_in_both_parts_and_its_link_stops_news(
        client, seeded, ctx, card_token, smtp_server):
    assert post_donation(client, token=card_token(), wants_news="y").status_code == 302
    donor = db.session.query(Donor).one()
    assert donor.wants_news is True and donor.mail_preferences_at is not None
    [message] = smtp_server.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert donor.donations[0].reference in text and donor.donations[0].reference in html
    path = STOP.search(text).group(1)
    assert path in html
    page = client.get(path)
    assert page.status_code == 200 and donor.wants_news  # GET changes nothing
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200 and "配信を停止しました" in done.get_data(as_text=True)
    db.session.expire_all()
    assert (donor.wants_news, donor.wants_reports) == (False, False)


def test_a_stop_link_is_refused_when_forged_or_for_another_address(client, ctx):
    from fund.donors import mail_links
    from fund.core import signing
    donor = DonorFactory(email="a@example.jp")
    other = DonorFactory(email="b@example.jp")
    db.session.commit()
    token = mail_links.stop_token(donor)
    assert client.get(f"/mail/stop/{token[:-3]}abc").status_code == 404
    forged = signing.dumps("fund.receipt", {"d": other.id, "e": "b@example.jp"})
    assert client.get(f"/mail/stop/{forged}").status_code == 404
    donor.email = "new@example.jp"  # the address changed since the mail was sent
    db.session.commit()
    assert client.get(f"/mail/stop/{token}").status_code == 404
