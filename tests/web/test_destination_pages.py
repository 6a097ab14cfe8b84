"""The campaign and project pages: what convinces a person to give, and nothing that is not so."""
import re

from fund.campaigns.models import Campaign, Project, RewardTier
from fund.core import audit, signals
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import gifts
from fund.giving.models import Donation
from fund.payments import services as payments
from fund.payments.models import Refund
from tests.support.forms import post_donation

PAGE = "/campaigns/airborne-virus-laser-2026"


def _gift(campaign, amount, *, name, message="", publish=False, n=1, project=None):
    donor = Donor(kind="individual", name=name, email=f"s{n}@example.jp")
    db.session.add(donor)
    db.session.flush()
    payment = gifts.create_gift(donor=donor, amount=amount, method="card", locale="ja",
                                actor=audit.SYSTEM, campaign=campaign, project=project,
                                wants_receipt=False, publish_name=publish, message=message)
    payments.mark_succeeded(payment, audit.SYSTEM)
    db.session.commit()
    return payment


def test_the_campaign_page_tells_the_story_and_shows_the_figures(client, seeded, ctx):
    campaign = db.session.query(Campaign).one()
    _gift(campaign, 10000, name="量子 一郎", message="応援しています！", publish=True, n=1)
    _gift(campaign, 5000, name="匿名 希望", message="見せないで", n=2)
    page = client.get(f"{PAGE}?lang=ja").get_data(as_text=True)
    for text in ("レーザー光の散乱と蛍光", "光 次郎", "関西光量子科学研究所", "¥3,000で試料1件を分析",
                 "研究室オンライン見学会へのご招待", "残り100／100", "数量限定なし",
                 "対価としての経済的価値はありません", "クラウドファンディングを始めました",
                 "応援しています！", "量子 一郎 様", "ほか匿名の方 1名"):
        assert text in page, text
    assert "見せないで" not in page and "匿名 希望" not in page  # not opted in
    assert 'id="raised">¥15,000' in page and 'class="supporters">2' in page
    assert 'class="days-left">90 日' in page and 'aria-valuenow="0"' in page
    assert 'href="/donate?to=campaign:airborne-virus-laser-2026&amp;amount=3000"' in page
    assert re.search(r'<meta property="og:title" content="レーザーで空気中のウイルスを検出する研究">', page)
    assert re.search(r'<meta property="og:description" content="目標¥3,000,000のうち¥15,000（0%）', page)
    assert re.search(r'<meta property="og:image" content="http://127\.0\.0\.1:\d+/static/og-default\.png">', page)
    english = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    assert "The researcher" in english and "Jiro Hikari" in english
    assert "¥3,000 analyses one air sample" in english and "100 of 100 left" in english


def test_a_refund_lowers_the_money_raised_on_the_campaign_page(client, seeded, ctx):
    campaign = db.session.query(Campaign).one()
    payment = _gift(campaign, 10000, name="支援 一")
    assert 'id="raised">¥10,000' in client.get(PAGE).get_data(as_text=True)
    db.session.add(Refund(payment=payment, amount=10000, state="succeeded", reason="test"))
    db.session.flush()
    db.session.expire(payment.donation)
    signals.net_amount_changed.send(payment.donation, actor=audit.SYSTEM)
    db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="raised">¥0' in page and 'class="supporters">0' in page


def test_a_draft_campaign_is_not_public(client, seeded, ctx):
    campaign = db.session.query(Campaign).one()
    campaign.status = "draft"
    db.session.commit()
    assert client.get(PAGE).status_code == 404
    assert client.get("/campaigns/nothing-here").status_code == 404


def test_the_project_page_has_the_same_parts(client, seeded, ctx):
    project = db.session.query(Project).filter_by(slug="quantum-scalpel-magnet").one()
    _gift(None, 3000, name="量子 二郎", message="期待しています", publish=True, n=3,
          project=project)
    page = client.get("/projects/quantum-scalpel-magnet").get_data(as_text=True)
    for text in ("量子メスは", "量子 花子", "¥50,000でホール素子1個", "期待しています",
                 'id="raised">¥3,000', 'href="/donate?to=project:quantum-scalpel-magnet"'):
        assert text in page, text


def test_a_reward_chosen_on_the_page_is_claimed_with_the_gift(client, seeded, ctx, card_token):
    tier = db.session.query(RewardTier).filter_by(quantity=10).one()
    form = client.get(f"/donate?to=campaign:airborne-virus-laser-2026&amount=50000"
                      f"&reward={tier.id}").get_data(as_text=True)
    assert f'name="reward_tier" value="{tier.id}" data-min="50000" checked' in form
    response = post_donation(client, token=card_token(), destination="campaign:airborne-virus-laser-2026",
                             amount_choice="other", amount_other="50000", reward_tier=str(tier.id))
    assert response.status_code == 302
    assert db.session.query(Donation).one().reward_tier_id == tier.id
    db.session.refresh(tier)
    assert tier.claimed == 1
    assert "残り9／10" in client.get(PAGE).get_data(as_text=True)


def test_a_reward_below_its_amount_or_sold_out_is_refused_and_nothing_kept(client, seeded, ctx,
                                                                           card_token):
    tier = db.session.query(RewardTier).filter_by(quantity=10).one()
    low = post_donation(client, token="tok_unused", destination="campaign:airborne-virus-laser-2026",
                        reward_tier=str(tier.id))
    assert low.status_code == 422 and 'id="error-reward_tier">' in low.get_data(as_text=True)
    tier.claimed = 10
    db.session.commit()
    gone = post_donation(client, token=card_token(), destination="campaign:airborne-virus-laser-2026",
                         amount_choice="other", amount_other="50000", reward_tier=str(tier.id))
    assert gone.status_code == 409
    assert db.session.query(Donation).count() == 0 and db.session.query(Donor).count() == 0
