"""`flask fund expire-payments`: close konbini and bank-transfer requests past their deadline."""
import click


def register(group):
    @group.command("expire-payments")
    def expire_payments():
        """Expire unpaid konbini / bank-transfer payments (run hourly from cron)."""
        from fund.giving import async_methods as async_payments
        expired, settled, errors = async_payments.expire_overdue()
        click.echo(f"payments: {expired} expired, {settled} paid at the last minute, "
                   f"{errors} could not be checked")
        if errors:
            raise SystemExit(1)
