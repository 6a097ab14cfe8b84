"""芳名録: only donors who opted in are named; everyone else is counted anonymously."""
from datetime import datetime, timezone

from fund.campaigns.seed import seed_demo
from fund.core.extensions import db
from fund.giving import totals
from fund.campaigns.models import Campaign
from fund.payments.models import Refund
from tests.receipts.helpers import donor, paid_gift


def test_only_opted_in_paid_donors_are_named(client, ctx):
    seed_demo()
    campaign = db.session.query(Campaign).one()
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    named = donor(name="公開 花子")
    paid_gift(named, at=at, publish_name=True, designation="campaign", campaign=campaign)
    paid_gift(named, at=at, publish_name=True, designation="campaign", campaign=campaign)
    paid_gift(donor(name="非公開 次郎"), at=at, designation="campaign", campaign=campaign)
    paid_gift(donor(name="<b>太字</b>"), at=at, publish_name=True, designation="campaign",
              campaign=campaign)
    refunded = paid_gift(donor(name="返金 三郎"), at=at, publish_name=True,
                         designation="campaign", campaign=campaign)
    db.session.add(Refund(payment=refunded.payments[0], amount=refunded.amount,
                          state="succeeded", reason="requested_by_customer"))
    paid_gift(donor(name="一般 四郎"), at=at, publish_name=True)  # the general fund
    db.session.commit()
    totals.rebuild()  # these rows were written directly, not through the payment services

    page = client.get(f"/donors?campaign={campaign.slug}").get_data(as_text=True)
    assert page.count("公開 花子") == 1
    assert "非公開 次郎" not in page and "返金 三郎" not in page and "一般 四郎" not in page
    assert "&lt;b&gt;太字&lt;/b&gt;" in page  # a name is text, never markup
    assert "ほか匿名の方 1名" in page

    everyone = client.get("/donors?lang=en").get_data(as_text=True)
    assert "一般 四郎" in everyone and "and 1 anonymous supporter(s)" in everyone
    assert client.get("/donors?campaign=nope").status_code == 404
    assert "芳名録を見る" in client.get("/?lang=ja").get_data(as_text=True)
