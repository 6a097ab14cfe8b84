"""`flask fund totals rebuild`: recompute money raised from the payments."""
import click

from fund.giving import totals


def register(group):
    @group.group("totals")
    def totals_group():
        """Money raised per campaign, project and the whole fund."""

    @totals_group.command("rebuild")
    def rebuild():
        """Recompute every total and supporter count from the payments (a repair)."""
        totals.rebuild()
        click.echo("totals rebuilt from the payments")
