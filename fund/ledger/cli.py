"""`flask fund ledger …`: prove the books agree (check), book what older data lacks (backfill)."""
import click

from fund.ledger import backfill as ledger_backfill
from fund.ledger import check as ledger_check


def register(group):
    @group.group("ledger")
    def ledger_group():
        """The fund's double-entry ledger."""

    @ledger_group.command("check")
    def check():
        """Prove the ledger agrees with itself and the payments table; exit 1 listing each
        disagreement."""
        report = ledger_check.run()
        if report.ok:
            click.echo(f"ledger check: ok ({report.entries} entries, {report.gifts} paid gifts, "
                       f"{report.accounts} accounts)")
            return
        for problem in report.problems:
            click.echo(f"[{problem.kind}] {problem.message}", err=True)
        click.echo(f"ledger check: {len(report.problems)} disagreement(s)", err=True)
        raise SystemExit(1)

    @ledger_group.command("backfill")
    def backfill():
        """Book the entries of paid, refunded and disputed gifts that have none (idempotent)."""
        result = ledger_backfill.run()
        click.echo(f"ledger backfill: {result.gifts} gifts, {result.fees} fees, "
                   f"{result.refunds} refunds, {result.disputes} chargebacks booked")
