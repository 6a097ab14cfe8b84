"""What a donor meets around the form: the retry, the language switch, the reference, the
thank-you page, refunds in the totals. Each of the defects of issue 12 has a test here."""
import datetime
import re

from fund.campaigns.models import Campaign
from fund.core import audit, signals
from fund.core.extensions import db
from fund.core.i18n import long_date
from fund.donors.models import Donor
from fund.giving import gifts, reference
from fund.giving.models import Donation
from fund.payments import services as payments
from fund.payments.models import Payment, Refund
from tests.support.forms import csrf_token, donation_form, post_donation

CAMPAIGN = "campaign:airborne-virus-laser-2026"


def _failed_authentication(client, card_token, localstripe, **form):
    response = post_donation(client, token=card_token("4000002500003155"), **form)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    payment = db.session.query(Payment).one()
    secret = re.search(r'confirmCardPayment\("([^"]+)"\)', page).group(1)
    localstripe.authenticate(payment.stripe_payment_intent_id, secret, success=False)
    back = client.get(f"/donations/{payment.donation.public_id}/return?failed=1")
    return client.get(back.headers["Location"]).get_data(as_text=True), payment.donation


def test_the_retry_after_a_failed_3d_secure_keeps_the_campaign_and_the_fields(
        client, seeded, ctx, card_token, localstripe):
    thanks, donation = _failed_authentication(
        client, card_token, localstripe, destination=CAMPAIGN, amount_choice="other",
        amount_other="7000", building="QST棟3階", message="がんばってください")
    retry = re.search(r'id="try-again" href="([^"]+)"', thanks).group(1)
    assert retry == f"/donate/again/{donation.public_id}"  # was /donate: the general fund, blank
    page = client.get(retry).get_data(as_text=True)
    assert f'value="{CAMPAIGN}" selected' in page
    assert 'value="7000"' in page and 'value="量子 花子"' in page
    assert 'value="hanako@example.jp"' in page and 'value="千葉県" selected' in page
    assert 'value="QST棟3階"' in page and "がんばってください" in page
    assert 'id="card_token" value=""' in page  # the card is asked again

    # Another browser with the same link gets the destination and amount, nothing personal.
    other = type(client)(client.application, client.response_wrapper, use_cookies=True)
    stranger = other.get(retry).get_data(as_text=True)
    assert f'value="{CAMPAIGN}" selected' in stranger and 'value="7000"' in stranger
    assert "量子 花子" not in stranger and "hanako@example.jp" not in stranger


def test_the_language_switch_keeps_the_destination_and_everything_typed(client, seeded, ctx):
    page = client.get(f"/donate?to={CAMPAIGN}&lang=ja").get_data(as_text=True)
    # A plain link would have been "?lang=en", dropping the chosen campaign.
    assert 'formaction="/donate/language"' in page and 'name="lang" value="en"' in page
    typed = donation_form(destination=CAMPAIGN, amount_choice="other", amount_other="12000",
                          name="Jane Doe", email="jane@example.com", wants_receipt=None)
    typed.update(lang="en", csrf_token=csrf_token(client))
    english = client.post("/donate/language", data=typed).get_data(as_text=True)
    assert '<html lang="en">' in english and "Make a donation" in english
    assert f'value="{CAMPAIGN}" selected' in english and 'value="12000"' in english
    assert 'value="Jane Doe"' in english and 'value="jane@example.com"' in english
    assert 'role="alert" id="form-errors" hidden' in english  # nothing is refused on a switch
    assert db.session.query(Donation).count() == 0
    # Other pages: the switch is a link that keeps the path and the query.
    home = client.get(f"/donors?campaign=airborne-virus-laser-2026").get_data(as_text=True)
    assert 'href="/donors?campaign=airborne-virus-laser-2026&amp;lang=ja"' in home


def test_the_language_follows_the_browser_until_switched(client, seeded):
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,ja;q=0.5"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    japanese = client.get("/?lang=ja", headers={"Accept-Language": "en-GB"})
    assert '<html lang="ja">' in japanese.get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True)  # remembered over the browser's wish


def test_the_language_of_the_page_is_kept_for_the_donors_mail(client, seeded, ctx, card_token,
                                                                 smtp_server):
    client.get("/?lang=en")
    assert post_donation(client, token=card_token(), name="Jane Doe").status_code == 302
    assert db.session.query(Donor).one().locale == "en"
    assert "thank you" in smtp_server.wait_for(1)[0]["Subject"]


def test_dates_and_amounts_per_locale(app):
    with app.test_request_context():
        assert long_date(datetime.date(2026, 4, 1), "ja") == "2026年4月1日"
        assert long_date(datetime.date(2026, 4, 1), "en") == "1 April 2026"
        moment = datetime.datetime(2026, 3, 31, 16, 0, tzinfo=datetime.timezone.utc)
        assert long_date(moment, "ja") == "2026年4月1日"  # the day in Japan
        assert app.jinja_env.filters["yen"](5000) == "¥5,000"


def test_every_gift_has_a_short_unambiguous_reference(client, seeded, ctx, card_token):
    response = post_donation(client, token=card_token())
    donation = db.session.query(Donation).one()
    assert reference.PATTERN.match(donation.reference)
    assert not set(donation.reference[3:].replace("-", "")) & set("01ILOUV")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="reference">{donation.reference}<' in page
    assert reference.normalize(donation.reference.lower().replace("-", " ")) == donation.reference
    assert reference.normalize("QF-0000-0000") is None
    refs = {reference.new_reference() for _ in range(2000)}
    assert len(refs) == 2000


def test_the_thank_you_page_says_where_the_mail_went_and_what_comes_next(
        client, seeded, ctx, card_token):
    response = post_donation(client, token=card_token(), receipt_delivery="post",
                             destination=CAMPAIGN)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "hanako@example.jp に確認のメールをお送りしています。" in page
    assert 'id="receipt-by-post"' in page and "確定申告" in page and "寄附金控除" in page
    assert "twitter.com/intent/tweet" in page and "social-plugins.line.me" in page
    assert db.session.query(Donor).one().receipt_delivery == "post"
    # Anyone else who has the link sees the address masked.
    other = type(client)(client.application, client.response_wrapper, use_cookies=True)
    assert "h*****@example.jp" in other.get(response.headers["Location"]).get_data(as_text=True)


def test_the_address_is_asked_in_parts_and_printed_in_one_line(client, seeded, ctx, card_token):
    post_donation(client, token=card_token(), building="QST棟 3階")
    donor = db.session.query(Donor).one()
    assert (donor.prefecture, donor.city, donor.street) == ("千葉県", "千葉市稲毛区", "穴川4-9-1")
    assert donor.address == "千葉県千葉市稲毛区穴川4-9-1 QST棟 3階"


def test_privacy_consent_is_required(client, seeded, ctx):
    response = post_donation(client, token="tok_unused", agree_privacy=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-agree_privacy">プライバシーポリシー' in page
    assert db.session.query(Donation).count() == 0
    assert client.get("/privacy").status_code == 200


def test_fields_are_checked_as_typed_and_nothing_is_recorded(client, seeded, ctx):
    data = donation_form(email="hanako@", postal_code="12", amount_choice="other",
                         amount_other="500")
    data["csrf_token"] = csrf_token(client)
    errors = client.post("/donate/check", data=data).get_json()["errors"]
    assert set(errors) == {"email", "postal_code", "amount"}
    assert errors["amount"] == "1,000円以上で入力してください。"
    data.update(email="hanako@example.jp", postal_code="263-8555", amount_other="5000")
    assert client.post("/donate/check", data=data).get_json()["errors"] == {}
    assert db.session.query(Donation).count() == db.session.query(Donor).count() == 0


def test_the_form_marks_required_fields_and_links_errors_to_them(client, seeded):
    page = client.get("/donate").get_data(as_text=True)
    assert page.count('class="req">必須<') >= 8 and 'class="opt">任意<' in page
    for field in ("postal_code", "amount_other"):
        tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', page).group(0)
        assert 'inputmode="numeric"' in tag  # the phone shows digits
    refused = post_donation(client, token="tok_unused", email="x").get_data(as_text=True)
    assert re.search(r'id="email"[^>]*aria-describedby="hint-email error-email" aria-invalid="true"',
                     refused)
    assert 'id="error-email">' in refused
    assert "特定公益増進法人" in page and "プライバシーポリシー" in page  # before paying
    assert "/static/logo.svg" in page and "kikin@qst.example" in page


def test_a_refund_lowers_the_money_raised_on_the_public_pages(client, seeded, ctx):
    campaign = db.session.query(Campaign).one()
    donor = Donor(kind="individual", name="支援 一", email="s1@example.jp")
    db.session.add(donor)
    db.session.flush()
    payment = gifts.create_gift(donor=donor, amount=10000, method="card", locale="ja",
                                actor=audit.SYSTEM, campaign=campaign, wants_receipt=False)
    payments.mark_succeeded(payment, audit.SYSTEM)
    db.session.commit()
    assert 'class="raised">¥10,000' in client.get("/").get_data(as_text=True)
    db.session.add(Refund(payment=payment, amount=4000, state="succeeded", reason="test"))
    db.session.flush()
    db.session.expire(payment.donation)
    signals.net_amount_changed.send(payment.donation, actor=audit.SYSTEM)
    db.session.commit()
    assert 'class="raised">¥6,000' in client.get("/").get_data(as_text=True)


def test_the_home_page_links_each_title_to_its_page(client, seeded):
    home = client.get("/?lang=ja").get_data(as_text=True)
    assert '<a href="/campaigns/airborne-virus-laser-2026">' in home
    assert '<a href="/projects/quantum-scalpel-magnet">' in home
