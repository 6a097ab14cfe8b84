"""`flask fund receipts …`: issue a year, export a period as a ZIP, store older
receipts' files, sweep the bucket of objects no receipt names, void, verify.

The same service code as the accountant's page, with a progress bar.
"""
import hashlib
import sys
from datetime import timedelta
from pathlib import Path

import click

from fund.core.errors import FundError
from fund.core.extensions import db
from fund.receipts.models import Receipt
from fund.core import audit
from fund.receipts import bulk as receipt_jobs
from fund.receipts import issuing as receipts
from fund.receipts import january, reminders
from fund.receipts import storage, verification


class _Bar:
    """Adapts `progress(done, total)` to click.progressbar (total known late)."""

    def __init__(self, label):
        self.label, self.bar, self.shown = label, None, 0

    def __call__(self, done, total):
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label,
                                         show_pos=True, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _fail(err):
    raise click.ClickException(err.message)


def register(group):
    @group.group("receipts")
    def receipts_group():
        """Receipts (寄附金受領証明書): issue, export, void, verify."""

    @receipts_group.command("issue")
    @click.option("--year", type=int, required=True, help="Calendar year (Japan time).")
    def issue(year):
        """Issue every missing receipt of YEAR (per gift, or annual by the donor's choice)."""
        bar = _Bar(f"issuing {year}")
        try:
            counts = receipt_jobs.issue_year(year=year, actor=audit.SYSTEM, progress=bar)
        except FundError as err:
            _fail(err)
        finally:
            bar.close()
        click.echo(f"receipts {year}: {counts['single']} issued, "
                   f"{counts['annual']} annual summaries issued")

    @receipts_group.command("january")
    @click.option("--year", type=int, required=True, help="The year that ended (Japan time).")
    def january_run(year):
        """Issue and mail every annual summary of YEAR; continues a run that stopped."""
        bar = _Bar(f"annual summaries {year}")
        try:
            row = january.run(year=year, progress=bar)
        except FundError as err:
            _fail(err)
        finally:
            bar.close()
        click.echo(f"annual summaries {year}: {row.issued} issued and mailed, "
                   f"{row.done}/{row.total} donors done ({row.state})")

    @receipts_group.command("remind")
    @click.option("--year", type=int, required=True, help="The year of the receipts.")
    def remind(year):
        """Remind donors who have not opened their receipt of YEAR (each receipt once)."""
        try:
            row = reminders.run(year=year)
        except FundError as err:
            _fail(err)
        click.echo(f"reminders for {year}: {row.mailed} sent ({row.state})")

    @receipts_group.command("export")
    @click.option("--year", type=int, help="Calendar year.")
    @click.option("--fiscal-year", type=int, help="Fiscal year (April to March).")
    @click.option("--campaign-id", type=int)
    @click.option("--status", type=click.Choice(["valid", "void"]))
    @click.option("--kind", type=click.Choice(["single", "annual"]))
    @click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
    def export(year, fiscal_year, campaign_id, status, kind, out):
        """Write the receipts of a period to a ZIP (one PDF each + index.csv)."""
        if year is None and fiscal_year is None:
            raise click.UsageError("give --year or --fiscal-year")
        bar = _Bar(f"exporting to {out}")
        try:
            query = receipt_jobs.receipt_query(year=year, fiscal_year=fiscal_year,
                                               campaign_id=campaign_id, status=status, kind=kind)
            window = (receipt_jobs.fiscal_bounds(fiscal_year)
                      if fiscal_year is not None else None)
            count = receipt_jobs.export_zip(out=out, query=query, window=window, progress=bar)
        except FundError as err:
            _fail(err)
        finally:
            bar.close()
        click.echo(f"{count} receipts written to {out}")

    @receipts_group.command("store-files")
    def store_files():
        """Store the PDF of every receipt that has no stored file yet (older receipts)."""
        bar = _Bar("storing receipt files")
        try:
            stored, refused = receipt_jobs.store_files(progress=bar)
        except FundError as err:
            _fail(err)
        finally:
            bar.close()
        click.echo(f"{stored} receipt files stored")
        if refused:
            raise click.ClickException(
                f"{len(refused)} receipts no longer match the SHA-256 recorded at issue and "
                f"were not stored (the office dashboard lists them): {', '.join(refused)}")

    @receipts_group.command("orphans")
    @click.option("--older-than-hours", type=click.IntRange(min=1), default=24,
                  show_default=True,
                  help="Only objects last written at least this long ago (a younger one "
                       "may belong to a receipt being issued).")
    @click.option("--delete", is_flag=True, help="Delete them (refused under Object Lock).")
    def orphans(older_than_hours, delete):
        """List (or delete) bucket objects that no receipt names (RECEIPT_STORAGE=s3).

        A process killed while issuing, or a bucket down when a transaction rolled
        back, can leave such an object: no receipt row names it and no download serves it.
        """
        found = deleted = refused = 0
        try:
            for key, written, size in storage.orphans(timedelta(hours=older_than_hours)):
                found += 1
                if delete and storage.delete_orphan(key):
                    deleted += 1
                    click.echo(f"deleted {key}")
                elif delete:
                    refused += 1
                    click.echo(f"kept    {key} (the bucket refused the delete)")
                else:
                    click.echo(f"{key}\t{written.isoformat()}\t{size} bytes")
        except FundError as err:
            _fail(err)
        if not delete:
            click.echo(f"{found} objects no receipt names"
                       + (" (run again with --delete to remove them)" if found else ""))
            return
        click.echo(f"{deleted} of {found} objects no receipt names deleted")
        if refused:
            raise click.ClickException(f"{refused} objects could not be deleted (Object Lock "
                                       "keeps them until their retention ends)")

    @receipts_group.command("void")
    @click.argument("number")
    @click.option("--reason", required=True)
    def void(number, reason):
        """Void receipt NUMBER (e.g. 2026-000123) with a reason."""
        receipt = db.session.execute(db.select(Receipt).filter_by(number=number)).scalar_one_or_none()
        if receipt is None:
            raise click.ClickException(f"no receipt {number}")
        try:
            receipts.void(receipt=receipt, reason=reason, actor=audit.SYSTEM)
        except FundError as err:
            _fail(err)
        click.echo(f"{number} is void")

    @receipts_group.command("verify")
    @click.argument("number_or_file")
    def verify(number_or_file):
        """Check a receipt by its NUMBER, or a PDF FILE against the SHA-256 stored at issue.

        Says valid, void, or reissued as …: a void receipt is never called genuine.
        """
        path = Path(number_or_file)
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            receipt = receipts.find_by_sha256(digest)
            if receipt is None:
                raise click.ClickException(f"{digest}: matches no receipt we issued")
            copy = "its void copy" if digest == receipt.void_sha256 else "the PDF as issued"
            subject = f"{number_or_file} is {copy} of receipt"
        else:
            receipt = db.session.execute(
                db.select(Receipt).filter_by(number=number_or_file.strip())).scalar_one_or_none()
            if receipt is None:
                raise click.ClickException(f"no receipt {number_or_file} (and no such file)")
            subject = "receipt"
        verdict = verification.verdict(receipt)
        if verdict.status == "valid":
            click.echo(f"{subject} {receipt.number}: VALID")
            return
        state = (f"VOID, reissued as {verdict.reissued_as}" if verdict.reissued_as else "VOID")
        click.echo(f"{subject} {receipt.number}: {state}; it cannot be used for a tax return")
        sys.exit(2)
