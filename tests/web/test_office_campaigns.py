"""Campaigns and projects in the office: written, published, given rewards, pictures and reports."""
from datetime import timedelta

from fund.campaigns.models import (ActivityReport, AmountPreset, Campaign, DestinationImage,
                                   Project, RewardTier)
from fund.core import clock
from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.giving import totals
from fund.office import reports
from tests.factories import CampaignFactory, DonorFactory, ProjectFactory, paid_gift

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(user, **fields):
    base = {"csrf_token": user.csrf, "slug": "laser-2027", "title_ja": "レーザー研究2027",
            "title_en": "Laser research 2027", "goal_amount": "３，０００，０００",
            "starts_at": "2027-04-01 10:00", "ends_at": "２０２７－０６－３０ 23:59",
            "funding_model": "all_or_nothing", "story_ja": "物語", "researcher_name_ja": "光 次郎"}
    base.update(fields)
    return base


def test_a_campaign_is_written_as_a_draft_and_published(client, sign_in, ctx):
    project = ProjectFactory()
    db.session.commit()
    user = sign_in("office")
    response = client.post("/office/campaigns/new", data=_form(user, project_id=str(project.id)))
    assert response.status_code == 302
    campaign = db.session.query(Campaign).one()
    assert (campaign.status, campaign.goal_amount, campaign.funding_model) == (
        "draft", 3_000_000, "all_or_nothing")
    assert campaign.starts_at == clock.jst_midnight(campaign.starts_at.astimezone(clock.JST).date()) \
        + timedelta(hours=10)  # typed in Japan time
    assert campaign.ends_at.astimezone(clock.JST).strftime("%Y-%m-%d %H:%M") == "2027-06-30 23:59"
    assert campaign.project_id == project.id and campaign.story_ja == "物語"
    page = client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'class="campaign-status">下書き<' in page
    client.post(f"/office/campaigns/{campaign.id}/state", data={"csrf_token": user.csrf, "to": "published"})
    db.session.expire_all()
    assert campaign.status == "published" and campaign.published_at is not None
    actions = [a.action for a in db.session.query(AuditEntry).filter_by(subject_type="campaign")]
    assert actions == ["campaign.created", "campaign.published"]


def test_bad_campaigns_are_refused_and_nothing_is_saved(client, sign_in, ctx):
    user = sign_in("office")
    for fields, field in (({"ends_at": "2027-03-31 09:00"}, "ends_at"),
                          ({"goal_amount": "-5"}, "goal_amount"),
                          ({"starts_at": "2027-13-01"}, "starts_at"),
                          ({"slug": "Laser 2027!"}, "slug")):
        response = client.post("/office/campaigns/new", data=_form(user, **fields))
        assert response.status_code == 422, fields
        assert f'id="{field}-error"' in response.get_data(as_text=True), fields
    page = client.post("/office/campaigns/new", data=_form(user, ends_at="2027-03-31 09:00"))
    assert "終了日時は開始日時より後にしてください。" in page.get_data(as_text=True)
    assert db.session.query(Campaign).count() == 0


def test_presets_tiers_and_pictures(client, sign_in, ctx):
    campaign = CampaignFactory()
    db.session.commit()
    user = sign_in("office")
    url = f"/office/campaigns/{campaign.id}"
    client.post(f"{url}/presets", data={"csrf_token": user.csrf, "presets":
                                        "3000 | ¥3,000で試料1件を分析 | ¥3,000 analyses a sample\n"
                                        "１００００ | 1か月分 | a month\n"})
    assert [(p.amount, p.label_ja) for p in db.session.query(AmountPreset).order_by(
        AmountPreset.position)] == [(3000, "¥3,000で試料1件を分析"), (10000, "1か月分")]
    bad = client.post(f"{url}/presets", data={"csrf_token": user.csrf, "presets": "abc | x | y"})
    assert bad.status_code == 422 and db.session.query(AmountPreset).count() == 2

    refused = client.post(f"{url}/tiers", data={"csrf_token": user.csrf, "min_amount": "10000",
                                                "quantity": "-1", "title_ja": "見学会"})
    assert refused.status_code == 422
    assert "数量に負の数は使えません" in refused.get_data(as_text=True)
    client.post(f"{url}/tiers", data={"csrf_token": user.csrf, "min_amount": "１０，０００",
                                      "quantity": "２０", "title_ja": "見学会", "title_en": "Lab tour"})
    tier = db.session.query(RewardTier).one()
    assert (tier.min_amount, tier.quantity, tier.remaining) == (10000, 20, 20)

    svg = client.post(f"{url}/images", content_type="multipart/form-data", data={
        "csrf_token": user.csrf, "image": (__import__("io").BytesIO(b"<svg/>"), "x.png")})
    assert svg.status_code == 422 and db.session.query(DestinationImage).count() == 0
    client.post(f"{url}/images", content_type="multipart/form-data", data={
        "csrf_token": user.csrf, "alt_ja": "試作機", "image": (__import__("io").BytesIO(PNG), "p.png")})
    image = db.session.query(DestinationImage).one()
    assert (image.content_type, image.alt_ja, image.byte_size) == ("image/png", "試作機", len(PNG))
    assert client.get(f"/media/{image.id}").data == PNG


def test_a_second_goal_only_after_success_and_above_the_first(client, sign_in, ctx):
    campaign = CampaignFactory(goal_amount=10000)
    db.session.commit()
    user = sign_in("office")
    url = f"/office/campaigns/{campaign.id}/stretch"
    early = client.post(url, data={"csrf_token": user.csrf, "stretch_goal_amount": "20000"})
    assert early.status_code == 409
    paid_gift(DonorFactory(), 12000, designation="campaign", campaign=campaign)
    db.session.commit()
    totals.rebuild()
    low = client.post(url, data={"csrf_token": user.csrf, "stretch_goal_amount": "9000"})
    assert low.status_code == 422 and "第二目標は最初の目標（¥10,000）より高く" in low.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": user.csrf, "stretch_goal_amount": "２００００"}
                       ).status_code == 302
    db.session.expire_all()
    assert campaign.stretch_goal_amount == 20000


def test_an_activity_report_is_posted_and_mailed_once_to_supporters(client, sign_in, ctx,
                                                                     smtp_server):
    campaign = CampaignFactory(title_ja="レーザー研究", title_en="Laser research")
    reader = DonorFactory(email="reader@example.jp", locale="en")
    quiet = DonorFactory(email="quiet@example.jp", wants_reports=False)
    paid_gift(reader, 3000, designation="campaign", campaign=campaign)
    paid_gift(quiet, 3000, designation="campaign", campaign=campaign)
    paid_gift(DonorFactory(email="general@example.jp"), 3000)  # not a supporter of it
    db.session.commit()
    totals.rebuild()
    user = sign_in("office")
    response = client.post(f"/office/campaigns/{campaign.id}/reports", data={
        "csrf_token": user.csrf, "title_ja": "試作機が完成しました", "title_en": "The prototype is built",
        "body_ja": "光学系を組み上げました。", "body_en": "The optics are assembled."})
    assert response.status_code == 302
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "reader@example.jp"
    assert received["Subject"] == "QST Future Fund activity report: The prototype is built"
    assert f"/campaigns/{campaign.slug}" in received.get_body(("plain",)).get_content()
    assert received.get_body(("html",)) is not None
    report = db.session.query(ActivityReport).one()
    db.session.expire_all()
    assert report.mailed_at is not None and report.posted_by_id == user.user.id
    assert reports.mail_report(report.id) == 0  # never mailed twice
    assert db.session.query(OutboundEmail).filter_by(kind="activity_report").count() == 1


def test_a_project_is_written_closed_and_opened(client, sign_in, ctx):
    user = sign_in("office")
    created = client.post("/office/projects/new", data={
        "csrf_token": user.csrf, "slug": "new-lab", "title_ja": "新しい実験室", "title_en": "A new lab",
        "accepts_donations": "yes"})
    assert created.status_code == 302
    project = db.session.query(Project).one()
    client.post(f"/office/projects/{project.id}/state", data={"csrf_token": user.csrf, "to": "closed"})
    db.session.expire_all()
    assert project.is_closed and project.closed_at is not None and not project.takes_gifts
    again = client.post(f"/office/projects/{project.id}/state",
                        data={"csrf_token": user.csrf, "to": "closed"})
    assert again.status_code == 409
