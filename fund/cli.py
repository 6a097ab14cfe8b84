"""`flask fund …`: one command group; each package adds its own commands."""
import click
from flask import Flask

from fund.campaigns.seed import seed_demo
from fund.core import mail
from fund.core.extensions import db
from fund.giving import cli as giving_cli
from fund.ledger import cli as ledger_cli
from fund.office import cli as office_cli
from fund.payments import cli as payments_cli
from fund.receipts import cli as receipts_cli
from fund.staff.models import StaffUser
from fund.staff.services import create_staff, reset_second_factor


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

    @group.command("reset-second-factor")
    @click.argument("email")
    def reset_second_factor_command(email):
        """Remove a staff account's second factor (lost phone); it enrols at next sign-in."""
        user = db.session.execute(db.select(StaffUser).filter_by(
            email=email.strip().lower())).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no staff account {email}")
        reset_second_factor(user)
        click.echo(f"staff {user.email}: second factor removed, other sessions ended")

    @group.command("mail-retry")
    def mail_retry():
        """Send queued and failed mail again."""
        sent, failed = mail.deliver()
        click.echo(f"mail: {sent} sent, {failed} failed")
        if failed:
            raise SystemExit(1)

    payments_cli.register(group)  # stripe-sync, expire-payments (konbini, bank transfer)
    receipts_cli.register(group)  # receipts issue / export / void / verify
    giving_cli.register(group)  # totals rebuild
    office_cli.register(group)  # office rebuild, close-campaigns
    ledger_cli.register(group)  # ledger check, backfill
    app.cli.add_command(group)
