"""`flask fund …` commands: demo data, staff accounts, mail retries."""
from datetime import timedelta

import click
from flask import Flask

from fund.extensions import db
from fund.models import Campaign, Project, StaffUser
from fund.services import clock, mail

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


def create_staff(email, name, role, password):
    email = email.strip().lower()
    user = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = StaffUser(email=email, name=name, role=role)
        db.session.add(user)
    user.name, user.role, user.active = name, role, True
    user.set_password(password)
    db.session.commit()
    return user


def register(app: Flask):
    group = click.Group("fund", help="QST Future Fund commands.")

    @group.command("seed")
    @click.option("--demo-staff", is_flag=True,
                  help="Also create demo staff accounts (development only).")
    def seed(demo_staff):
        """Seed the QST demo projects and campaign (idempotent)."""
        created = seed_demo()
        click.echo(f"seed: created {', '.join(created)}" if created
                   else "seed: demo data already present, nothing changed")
        if demo_staff:
            for role in ("office", "accountant", "admin"):
                if db.session.execute(db.select(StaffUser).filter_by(
                        email=f"{role}@qst.example")).scalar_one_or_none() is None:
                    create_staff(f"{role}@qst.example", f"Demo {role}", role, f"demo-{role}")
                    click.echo(f"seed: staff {role}@qst.example / demo-{role}")

    @group.command("create-staff")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(["admin", "office", "accountant"]), required=True)
    @click.password_option()
    def create_staff_command(email, name, role, password):
        """Create or update a staff account."""
        create_staff(email, name, role, password)
        click.echo(f"staff {email} ({role}) saved")

    @group.command("mail-retry")
    def mail_retry():
        """Send queued and failed mail again."""
        sent, failed = mail.deliver()
        click.echo(f"mail: {sent} sent, {failed} failed")
        if failed:
            raise SystemExit(1)

    from fund import cli_payments  # stripe-sync
    cli_payments.register(group)
    from fund import cli_giving  # expire-payments (konbini, bank transfer)
    cli_giving.register(group)
    from fund import cli_receipts  # receipts issue / export / verify
    cli_receipts.register(group)
    app.cli.add_command(group)
