"""`flask fund stripe-sync` and `flask fund expire-payments`: repairs and deadlines."""
from datetime import datetime, timedelta

import click

from fund.core.errors import FundError
from fund.core import clock
from fund.payments import instructions
from fund.payments import sync as stripe_sync


def register(group):
    @group.command("expire-payments")
    def expire_payments():
        """Expire unpaid konbini / bank-transfer payments (run hourly from cron)."""
        expired, settled, errors = instructions.expire_overdue()
        click.echo(f"payments: {expired} expired, {settled} paid at the last minute, "
                   f"{errors} could not be checked")
        if errors:
            raise SystemExit(1)

    @group.command("stripe-sync")
    @click.option("--since", metavar="YYYY-MM-DD",
                  help="Re-read Stripe objects created on or after this day (JST); "
                       "default: the last 7 days.")
    def stripe_sync_command(since):
        """Re-read recent payments, refunds and disputes from Stripe and apply them once."""
        if since:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError:
                raise click.BadParameter("use the form YYYY-MM-DD, e.g. 2026-04-01",
                                         param_hint="--since") from None
            start = datetime.combine(day, datetime.min.time(), tzinfo=clock.JST)
        else:
            start = clock.now() - timedelta(days=7)
        try:
            report = stripe_sync.sync(since=start)
        except FundError as err:
            raise click.ClickException(err.message) from err
        for line in report.repaired:
            click.echo(f"repaired: {line}")
        for line in report.problems:
            click.echo(f"problem: {line}", err=True)
        click.echo(f"stripe-sync: {report.checked} checked, {len(report.repaired)} repaired, "
                   f"{len(report.problems)} problems")
        if report.problems:
            raise SystemExit(1)
