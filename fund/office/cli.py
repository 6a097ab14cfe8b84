"""`flask fund office …`: rebuild the office's kept facts, close campaigns past their deadline."""
import click

from fund.office import deadlines, facts


def register(group):
    @group.group("office")
    def office_group():
        """The office's workspace."""

    @office_group.command("rebuild")
    def rebuild():
        """Recompute every gift's listed facts and the monthly totals from the payments."""
        facts.rebuild()
        click.echo("office facts and monthly totals rebuilt from the payments")

    @office_group.command("close-campaigns")
    def close_campaigns():
        """Close every campaign past its deadline (what the periodic job does)."""
        result = deadlines.run()
        click.echo(f"campaigns closed: {result['closed'] or 'none'}; refunds sent: {result['refunds']}")
