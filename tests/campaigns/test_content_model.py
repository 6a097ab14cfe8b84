"""The content of campaigns and projects: seed, tiers that never oversell, pictures, states."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from fund.campaigns import media, rewards
from fund.campaigns import services as campaigns
from fund.campaigns.models import (ActivityReport, AmountPreset, Campaign, DestinationImage,
                                   Project, RewardTier)
from fund.campaigns.seed import seed_demo
from fund.core import audit, clock, signals
from fund.core.errors import Conflict, NotFound, ValidationFailed
from fund.core.extensions import db
from fund.giving import gifts
from tests.factories import CampaignFactory, DonationFactory, DonorFactory, PaymentFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def _counts():
    return tuple(db.session.query(model).count()
                 for model in (Project, Campaign, AmountPreset, RewardTier, ActivityReport))


def test_the_seed_gives_the_demo_a_story_researcher_presets_tiers_and_a_report(ctx):
    seed_demo()
    campaign = campaigns.campaign_by_slug("airborne-virus-laser-2026")
    assert campaign.status == "published" and campaign.funding_model == "all_in"
    assert "レーザー" in campaign.story_ja and campaign.researcher_name_en == "Jiro Hikari"
    assert [(p.amount, p.label("ja")) for p in campaign.presets][0] == (3000, "¥3,000で試料1件を分析")
    assert [t.quantity for t in campaign.tiers] == [None, 100, 10]
    assert [r.title("en") for r in campaign.reports] == ["Our crowdfunding has started"]
    scalpel = campaigns.project_by_slug("quantum-scalpel-magnet")
    assert scalpel.is_open and scalpel.researcher_title_ja and len(scalpel.presets) == 3
    before = _counts()
    campaign.story_ja = "事務局が書き直した物語"
    db.session.commit()
    assert seed_demo() == []
    assert _counts() == before
    assert campaigns.campaign_by_slug("airborne-virus-laser-2026").story_ja == "事務局が書き直した物語"


def test_text_falls_back_to_japanese_when_the_english_is_blank(ctx):
    campaign = CampaignFactory(story_ja="物語", story_en="")
    assert campaign.text("story", "en") == "物語" and campaign.text("title", "en").startswith("Campaign")


def test_a_tier_is_claimed_until_none_is_left(ctx):
    campaign = CampaignFactory()
    tier = RewardTier(campaign_id=campaign.id, min_amount=10000, title_ja="見学会", quantity=2)
    db.session.add(tier)
    db.session.flush()
    assert tier.remaining == 2
    with pytest.raises(ValidationFailed) as below:
        rewards.claim(tier_id=tier.id, campaign=campaign, amount=9999, lang="ja")
    assert "¥10,000以上" in below.value.message
    rewards.claim(tier_id=tier.id, campaign=campaign, amount=10000, lang="ja")
    rewards.claim(tier_id=tier.id, campaign=campaign, amount=50000, lang="en")
    assert tier.remaining == 0 and tier.sold_out
    with pytest.raises(Conflict) as sold_out:
        rewards.claim(tier_id=tier.id, campaign=campaign, amount=10000, lang="en")
    assert sold_out.value.message == "This reward has run out; please choose another."
    other = CampaignFactory()
    with pytest.raises(NotFound):
        rewards.claim(tier_id=tier.id, campaign=other, amount=10000, lang="ja")


def test_an_unlimited_tier_never_runs_out(ctx):
    campaign = CampaignFactory()
    tier = RewardTier(campaign_id=campaign.id, min_amount=1000, title_ja="お礼状")
    db.session.add(tier)
    db.session.flush()
    for _ in range(5):
        rewards.claim(tier_id=tier.id, campaign=campaign, amount=1000, lang="ja")
    assert tier.remaining is None and tier.claimed == 5 and not tier.sold_out


@pytest.mark.pg_only
def test_two_donors_racing_for_the_last_reward_cannot_both_get_it(app, ctx):
    campaign = CampaignFactory()
    tier = RewardTier(campaign_id=campaign.id, min_amount=1000, title_ja="最後の1つ", quantity=1)
    db.session.add(tier)
    db.session.commit()
    ids = (tier.id, campaign.id)
    barrier, outcomes = threading.Barrier(2), []

    def race():
        with app.app_context():
            try:
                barrier.wait()
                rewards.claim(tier_id=ids[0], campaign=db.session.get(Campaign, ids[1]),
                              amount=1000, lang="ja")
                db.session.commit()
                outcomes.append("claimed")
            except Conflict:
                db.session.rollback()
                outcomes.append("sold_out")
            finally:
                db.session.remove()
    threads = [threading.Thread(target=race) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["claimed", "sold_out"]
    db.session.expire_all()
    assert db.session.get(RewardTier, ids[0]).claimed == 1


def test_a_claim_comes_back_when_the_payment_expires_unpaid(ctx):
    campaign = CampaignFactory()
    tier = RewardTier(campaign_id=campaign.id, min_amount=1000, title_ja="限定", quantity=1)
    db.session.add(tier)
    db.session.flush()
    rewards.claim(tier_id=tier.id, campaign=campaign, amount=1000, lang="ja")
    gift = DonationFactory(designation="campaign", campaign=campaign, reward_tier_id=tier.id)
    payment = PaymentFactory(donation=gift, state="expired", succeeded_at=None, method="konbini")
    signals.payment_expired.send(payment, actor=audit.SYSTEM)
    db.session.refresh(tier)
    assert tier.remaining == 1 and gift.reward_tier_id is None


@pytest.mark.parametrize("column, value", [("quantity", -1), ("min_amount", 0)])
def test_the_database_refuses_a_tier_with_a_negative_quantity(ctx, column, value):
    campaign = CampaignFactory()
    fields = {"min_amount": 1000, "quantity": 1, column: value}
    db.session.add(RewardTier(campaign_id=campaign.id, title_ja="x", **fields))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_the_database_refuses_a_second_goal_below_the_first_and_an_end_before_the_start(ctx):
    with pytest.raises(IntegrityError):
        CampaignFactory(goal_amount=1_000_000, stretch_goal_amount=900_000)
    db.session.rollback()
    start = clock.now()
    with pytest.raises(IntegrityError):
        CampaignFactory(starts_at=start, ends_at=start - timedelta(days=1))


@pytest.mark.parametrize("data, content_type", [(PNG, "image/png"), (JPEG, "image/jpeg"),
                                                (WEBP, "image/webp")])
def test_pictures_are_known_by_their_first_bytes(data, content_type):
    assert media.sniff_image(data) == content_type
    assert media.checked_image(data, "ja")[0] == content_type


def test_a_picture_that_is_not_one_or_too_large_is_refused(ctx):
    with pytest.raises(ValidationFailed) as svg:
        media.checked_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "en")
    assert svg.value.message == "Upload a PNG, JPEG or WebP picture."
    with pytest.raises(ValidationFailed) as big:
        media.checked_image(PNG + b"\x00" * 100, "ja", max_bytes=64)
    assert big.value.errors == {"image": "too_large"}
    with pytest.raises(ValidationFailed):
        media.checked_image(b"", "ja")


def _image(campaign, data=PNG):
    content_type, digest = media.checked_image(data, "ja")
    image = DestinationImage(campaign_id=campaign.id, content_type=content_type, data=data,
                             byte_size=len(data), sha256=digest, alt_ja="試作機", alt_en="Prototype")
    db.session.add(image)
    db.session.commit()
    return image


def test_a_picture_is_served_with_long_caching_and_revalidated_by_etag(client, ctx):
    image = _image(CampaignFactory())
    response = client.get(f"/media/{image.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(f"/media/{image.id}", headers={"If-None-Match": f'"{image.sha256}"'})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/media/999999").status_code == 404


def test_a_drafts_picture_is_not_public(client, ctx, sign_in):
    image = _image(CampaignFactory(status="draft"))
    assert client.get(f"/media/{image.id}").status_code == 404
    sign_in("office")
    seen = client.get(f"/media/{image.id}")
    assert seen.status_code == 200 and seen.headers["Cache-Control"] == "private, no-cache"


def test_drafts_and_closed_projects_take_no_gifts(ctx):
    draft = CampaignFactory(status="draft", starts_at=clock.now() - timedelta(days=1),
                            ends_at=clock.now() + timedelta(days=30))
    live = CampaignFactory(starts_at=clock.now() - timedelta(days=1),
                           ends_at=clock.now() + timedelta(days=30))
    closed = Project(slug="closed", title_ja="終了", title_en="Closed", status="closed")
    db.session.add(closed)
    db.session.commit()
    listed, projects = campaigns.destinations()
    assert live in listed and draft not in listed and closed not in projects
    assert gifts.resolve_destination(f"campaign:{live.slug}", "ja").campaign == live
    for key in (f"campaign:{draft.slug}", "project:closed"):
        with pytest.raises(NotFound):
            gifts.resolve_destination(key, "ja")


def test_a_new_donor_has_not_consented_to_news_but_gets_reports(ctx):
    donor = DonorFactory()
    db.session.flush()
    assert (donor.wants_news, donor.wants_reports, donor.publish_name) == (False, True, False)
