"""The QST demo destinations: three projects and the airborne-virus crowdfunding."""
from datetime import timedelta

from fund.campaigns.models import Campaign, Project
from fund.core import clock
from fund.core.extensions import db

PROJECTS = [
    {
        "slug": "quantum-scalpel-magnet",
        "title_ja": "量子メス 超伝導電磁石の磁場測定装置",
        "title_en": "Magnetic-field measurement equipment for the quantum scalpel superconducting magnet",
        "description_ja": "次世代の重粒子線がん治療装置「量子メス」の超伝導電磁石の磁場を精密に測る装置を整備します。",
        "description_en": "Equipment to measure the field of the superconducting magnet of the "
                          "next-generation heavy-ion cancer therapy system, the quantum scalpel.",
    },
    {
        "slug": "science-camp-fukushima-chiba",
        "title_ja": "福島と千葉の小学生親子サイエンスキャンプ",
        "title_en": "Science camp for parents and primary-school children from Fukushima and Chiba",
        "description_ja": "福島と千葉の小学生とその保護者が、量子科学技術の研究現場を体験するキャンプを開催します。",
        "description_en": "A camp where children from Fukushima and Chiba and their parents "
                          "experience quantum science research first-hand.",
    },
    {
        "slug": "airborne-virus-laser",
        "title_ja": "レーザーで空気中のウイルスを検出する研究",
        "title_en": "Research on detecting airborne viruses with lasers",
        "description_ja": "レーザーを用いて空気中のウイルスをその場で検出する技術の研究です。",
        "description_en": "Research on detecting viruses in the air on the spot with lasers.",
    },
]

CAMPAIGN = {
    "slug": "airborne-virus-laser-2026",
    "title_ja": "レーザーで空気中のウイルスを検出する研究",
    "title_en": "Crowdfunding: detecting airborne viruses with lasers",
    "description_ja": "クラウドファンディングで研究を加速させます。皆さまのご支援をお願いします。",
    "description_en": "Help us speed up this research through crowdfunding.",
    "goal_amount": 3_000_000,
    "project": "airborne-virus-laser",
    "days": 90,
}


def seed_demo():
    """Create the QST demo destinations if missing; never overwrites or deletes."""
    created = []
    projects = {}
    for spec in PROJECTS:
        project = db.session.execute(
            db.select(Project).filter_by(slug=spec["slug"])).scalar_one_or_none()
        if project is None:
            project = Project(**spec)
            db.session.add(project)
            created.append(spec["slug"])
        projects[spec["slug"]] = project
    # The virus study is reached through its campaign; the project itself is
    # where allocations land, not a separate place to give.
    projects["airborne-virus-laser"].accepts_donations = False
    campaign = db.session.execute(
        db.select(Campaign).filter_by(slug=CAMPAIGN["slug"])).scalar_one_or_none()
    if campaign is None:
        start = clock.now().replace(microsecond=0)
        spec = {k: v for k, v in CAMPAIGN.items() if k not in ("project", "days")}
        campaign = Campaign(**spec, starts_at=start - timedelta(days=1),
                            ends_at=start + timedelta(days=CAMPAIGN["days"]),
                            project=projects[CAMPAIGN["project"]])
        db.session.add(campaign)
        created.append(CAMPAIGN["slug"])
    db.session.commit()
    return created
