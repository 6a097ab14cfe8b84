"""The QST demo destinations: three projects and the airborne-virus crowdfunding, with content.

Idempotent: missing rows are added, blank texts filled in; nothing an office
has written or changed is overwritten or deleted.
"""
from datetime import timedelta

from fund.campaigns.models import ActivityReport, AmountPreset, Campaign, Project, RewardTier
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
        "story_ja": "量子メスは、重粒子線がん治療装置を従来の数分の一の大きさにする計画です。"
                    "その心臓部である超伝導電磁石は、磁場が設計どおりかを細かく測って初めて患者さんに使えます。"
                    "ご寄附で、磁場を三次元で測定するホール素子プローブと位置決め装置を整備します。",
        "story_en": "The quantum scalpel aims to shrink a heavy-ion cancer therapy machine to a "
                    "fraction of its size. Its superconducting magnet can only treat patients once "
                    "its field is measured to match the design. Your gift buys Hall-probe sensors "
                    "and a positioning stage that map the field in three dimensions.",
        "researcher_name_ja": "量子 花子", "researcher_name_en": "Hanako Ryoshi",
        "researcher_title_ja": "量子医科学研究所 加速器工学グループ 主任研究員",
        "researcher_title_en": "Senior researcher, accelerator engineering group, "
                               "Institute for Quantum Medical Science",
        "researcher_bio_ja": "超伝導電磁石の設計と磁場測定を専門とし、重粒子線治療装置の小型化に取り組んでいます。",
        "researcher_bio_en": "Designs superconducting magnets and measures their fields, working "
                             "on smaller heavy-ion therapy machines.",
        "presets": [(3000, "¥3,000でプローブの校正1回分", "¥3,000 calibrates a probe once"),
                    (10000, "¥10,000で測定1日分の液体ヘリウム", "¥10,000 buys a day of liquid helium"),
                    (50000, "¥50,000でホール素子1個", "¥50,000 buys one Hall sensor")],
    },
    {
        "slug": "science-camp-fukushima-chiba",
        "title_ja": "福島と千葉の小学生親子サイエンスキャンプ",
        "title_en": "Science camp for parents and primary-school children from Fukushima and Chiba",
        "description_ja": "福島と千葉の小学生とその保護者が、量子科学技術の研究現場を体験するキャンプを開催します。",
        "description_en": "A camp where children from Fukushima and Chiba and their parents "
                          "experience quantum science research first-hand.",
        "story_ja": "夏休みの2日間、研究所の実験室で親子が放射線の測定や超伝導の実験に挑戦します。"
                    "ご寄附は交通費と実験材料にあて、参加費を無料にします。",
        "story_en": "For two summer days, parents and children try radiation measurement and "
                    "superconductivity experiments in our laboratories. Gifts pay for travel and "
                    "materials so that taking part is free.",
        "researcher_name_ja": "千葉 一郎", "researcher_name_en": "Ichiro Chiba",
        "researcher_title_ja": "広報課 科学コミュニケーター",
        "researcher_title_en": "Science communicator, public relations",
        "researcher_bio_ja": "小中学生向けの実験教室を10年以上開いてきました。",
        "researcher_bio_en": "Has run experiment classes for schoolchildren for over ten years.",
        "presets": [(2000, "¥2,000で子ども1人分の実験材料", "¥2,000 buys one child's materials"),
                    (5000, "¥5,000で親子1組の交通費", "¥5,000 pays one family's travel")],
    },
    {
        "slug": "airborne-virus-laser",
        "title_ja": "レーザーで空気中のウイルスを検出する研究",
        "title_en": "Research on detecting airborne viruses with lasers",
        "description_ja": "レーザーを用いて空気中のウイルスをその場で検出する技術の研究です。",
        "description_en": "Research on detecting viruses in the air on the spot with lasers.",
        "story_ja": "", "story_en": "",
        "researcher_name_ja": "光 次郎", "researcher_name_en": "Jiro Hikari",
        "researcher_title_ja": "関西光量子科学研究所 研究員",
        "researcher_title_en": "Researcher, Kansai Institute for Photon Science",
        "researcher_bio_ja": "レーザー分光で微粒子を見分ける研究をしています。",
        "researcher_bio_en": "Tells particles apart with laser spectroscopy.",
        "presets": [],
    },
]

CAMPAIGN = {
    "slug": "airborne-virus-laser-2026",
    "title_ja": "レーザーで空気中のウイルスを検出する研究",
    "title_en": "Crowdfunding: detecting airborne viruses with lasers",
    "description_ja": "クラウドファンディングで研究を加速させます。皆さまのご支援をお願いします。",
    "description_en": "Help us speed up this research through crowdfunding.",
    "story_ja": "病院の待合室や教室の空気に、いまウイルスがどれだけ漂っているか。"
                "私たちはレーザー光の散乱と蛍光を使って、空気を吸い込んで数分で答えを出す装置を開発しています。"
                "目標金額で試作機の光学系を組み上げ、第二目標に届けば病院での実証試験を始めます。",
    "story_en": "How much virus is floating in a waiting room or a classroom right now? We are "
                "building a device that draws in air and answers within minutes, using laser "
                "scattering and fluorescence. The goal builds the prototype's optics; a second "
                "goal would start a trial in a hospital.",
    "researcher_name_ja": "光 次郎", "researcher_name_en": "Jiro Hikari",
    "researcher_title_ja": "関西光量子科学研究所 研究員",
    "researcher_title_en": "Researcher, Kansai Institute for Photon Science",
    "researcher_bio_ja": "レーザー分光で微粒子を見分ける研究をしています。2021年にもクラウドファンディングで研究費を募りました。",
    "researcher_bio_en": "Tells particles apart with laser spectroscopy; ran a crowdfunding for "
                         "this research in 2021.",
    "goal_amount": 3_000_000,
    "funding_model": "all_in",
    "project": "airborne-virus-laser",
    "days": 90,
    "presets": [(3000, "¥3,000で試料1件を分析", "¥3,000 analyses one air sample"),
                (10000, "¥10,000でフィルター1か月分", "¥10,000 buys a month of filters"),
                (30000, "¥30,000でレーザーダイオード1個", "¥30,000 buys one laser diode")],
    "tiers": [
        {"min_amount": 3000, "title_ja": "お礼のメールと活動報告",
         "title_en": "A thank-you mail and activity reports",
         "description_ja": "研究の進み具合を活動報告でお届けします。",
         "description_en": "Follow the research through our activity reports.", "quantity": None},
        {"min_amount": 10000, "title_ja": "研究室オンライン見学会へのご招待",
         "title_en": "An invitation to an online lab tour",
         "description_ja": "研究者が実験室をご案内します(2027年春、1時間)。",
         "description_en": "The researchers show you the lab (spring 2027, one hour).",
         "quantity": 100},
        {"min_amount": 50000, "title_ja": "研究所での実験見学",
         "title_en": "A visit to the experiment at the institute",
         "description_ja": "京都府木津川市の研究所で実験をご覧いただけます。交通費は各自ご負担ください。",
         "description_en": "See the experiment at the institute in Kizugawa, Kyoto; travel at your own cost.",
         "quantity": 10},
    ],
    "report": {
        "title_ja": "クラウドファンディングを始めました",
        "title_en": "Our crowdfunding has started",
        "body_ja": "本日からクラウドファンディングを始めました。試作機の光学系の設計が終わり、部品の見積もりを取っています。",
        "body_en": "Our crowdfunding starts today. The prototype's optics are designed and we are "
                   "getting quotes for the parts.",
    },
}

CONTENT_FIELDS = ("story_ja", "story_en", "researcher_name_ja", "researcher_name_en",
                  "researcher_title_ja", "researcher_title_en", "researcher_bio_ja",
                  "researcher_bio_en")


def _fill_blank(row, spec):
    """Fill content left blank; a text the office wrote stays as it is."""
    for field in CONTENT_FIELDS:
        if not getattr(row, field) and spec.get(field):
            setattr(row, field, spec[field])


def _add_presets(owner, presets, **key):
    if not presets or db.session.execute(db.select(AmountPreset.id).filter_by(**key)).first():
        return
    for position, (amount, label_ja, label_en) in enumerate(presets):
        db.session.add(AmountPreset(amount=amount, label_ja=label_ja, label_en=label_en,
                                    position=position, **key))


def seed_demo():
    """Create the QST demo destinations and their content if missing; commits."""
    created = []
    projects = {}
    for spec in PROJECTS:
        project = db.session.execute(
            db.select(Project).filter_by(slug=spec["slug"])).scalar_one_or_none()
        if project is None:
            project = Project(**{k: v for k, v in spec.items() if k != "presets"})
            db.session.add(project)
            db.session.flush()
            created.append(spec["slug"])
        _fill_blank(project, spec)
        _add_presets(project, spec["presets"], project_id=project.id)
        projects[spec["slug"]] = project
    # The virus study is reached through its campaign; the project itself is
    # where allocations land, not a separate place to give.
    projects["airborne-virus-laser"].accepts_donations = False
    campaign = db.session.execute(
        db.select(Campaign).filter_by(slug=CAMPAIGN["slug"])).scalar_one_or_none()
    if campaign is None:
        start = clock.now().replace(microsecond=0)
        spec = {k: v for k, v in CAMPAIGN.items()
                if k not in ("project", "days", "presets", "tiers", "report")}
        campaign = Campaign(**spec, status="published", published_at=start - timedelta(days=1),
                            starts_at=start - timedelta(days=1),
                            ends_at=start + timedelta(days=CAMPAIGN["days"]),
                            project=projects[CAMPAIGN["project"]])
        db.session.add(campaign)
        db.session.flush()
        created.append(CAMPAIGN["slug"])
    _fill_blank(campaign, CAMPAIGN)
    _add_presets(campaign, CAMPAIGN["presets"], campaign_id=campaign.id)
    if not db.session.execute(db.select(RewardTier.id).filter_by(campaign_id=campaign.id)).first():
        for position, tier in enumerate(CAMPAIGN["tiers"]):
            db.session.add(RewardTier(campaign_id=campaign.id, position=position, **tier))
    if not db.session.execute(
            db.select(ActivityReport.id).filter_by(campaign_id=campaign.id)).first():
        # Posted with the campaign's start and marked mailed: the demo sends no mail.
        db.session.add(ActivityReport(campaign_id=campaign.id, posted_at=campaign.starts_at,
                                      mailed_at=campaign.starts_at, **CAMPAIGN["report"]))
    db.session.commit()
    return created
