"""The README's backup and restore, done: pg_dump -Fc of the live database, pg_restore
into an empty new one, and the restored books answer as the originals did."""
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from alembic.script import ScriptDirectory

from fund.core import audit
from fund.core.extensions import db
from fund.receipts import issuing
from tests.factories import paid_gift, refund
from tests.support.services import ROOT, postgres_admin_url

pytestmark = pytest.mark.pg_only


def _counts(url):
    with psycopg.connect(url) as conn:
        tables = [name for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables}


def _run(*args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _new_database():
    name = f"fund_restore_{uuid.uuid4().hex[:10]}"
    admin = postgres_admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, re.sub(r"/[^/]*$", f"/{name}", admin)


def _drop(name):
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seeded_database():
    """A database of its own, migrated and seeded as `make run` does (a year of demo money
    booked through the real services), so its books stand alone: the suite's shared
    database holds factory rows that were never booked."""
    name, url = _new_database()
    yield url
    _drop(name)


@pytest.fixture
def empty_database():
    name = f"fund_restore_{uuid.uuid4().hex[:10]}"
    admin = postgres_admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield re.sub(r"/[^/]*$", f"/{name}", admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_an_empty_database_has_the_same_books(
        app, ctx, database_url, empty_database, tmp_path):
    at = datetime(2026, 9, 1, tzinfo=timezone.utc)
    gifts = [paid_gift(amount=5000 + i * 1000, at=at) for i in range(3)]
    refund(gifts[0], 2000)
    receipt = issuing.issue_for_donation(donation=gifts[1], actor=audit.SYSTEM)
    db.session.commit()
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(issuing.pdf_bytes(receipt))

    dump = tmp_path / "fund.dump"
    _run(shutil.which("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), database_url)
    _run(shutil.which("pg_restore"), "--no-owner", "--exit-on-error", "-d", empty_database,
         str(dump))

    assert _counts(empty_database) == _counts(database_url)
    # The schema is at the head migration, and a receipt handed out earlier still
    # verifies against the restored database.
    head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads()
    with psycopg.connect(empty_database) as conn:
        assert [v for (v,) in conn.execute("SELECT version_num FROM alembic_version")] == head
    env = {**os.environ, "FUND_ENV": "development", "DATABASE_URL": empty_database}
    verified = _run(sys.executable, "-m", "flask", "--app", "wsgi", "fund", "receipts",
                    "verify", str(pdf), cwd=ROOT, env=env)
    assert receipt.number in verified.stdout


def test_restored_books_pass_the_ledger_check_and_keep_their_receipt_files(
        seeded_database, empty_database, tmp_path):
    env = {**os.environ, "FUND_ENV": "development", "DATABASE_URL": seeded_database}
    flask = (sys.executable, "-m", "flask", "--app", "wsgi")
    _run(*flask, "db", "upgrade", cwd=ROOT, env=env)
    _run(*flask, "fund", "seed", "--demo-staff", cwd=ROOT, env=env)
    # The demo donors ask for no receipt; five of the latest year's ask for one.
    with psycopg.connect(seeded_database) as conn:
        year, = conn.execute(
            "SELECT extract(year FROM max(succeeded_at) AT TIME ZONE 'Asia/Tokyo')::int "
            "FROM payment").fetchone()
        conn.execute(
            "UPDATE donation SET wants_receipt = true WHERE id IN (SELECT donation_id FROM "
            "payment WHERE extract(year FROM succeeded_at AT TIME ZONE 'Asia/Tokyo') = %s "
            "ORDER BY id LIMIT 5)", (year,))
    _run(*flask, "fund", "receipts", "issue", "--year", str(year), cwd=ROOT, env=env)
    with psycopg.connect(seeded_database) as conn:
        number, = conn.execute("SELECT min(number) FROM receipt WHERE voided_at IS NULL").fetchone()
        files, = conn.execute("SELECT count(*) FROM receipt_file").fetchone()
        held = conn.execute("SELECT code, balance FROM ledger_account ORDER BY code").fetchall()
    assert number and files, "the demo seed and the year's issue should give stored receipts"
    _run(*flask, "fund", "ledger", "check", cwd=ROOT, env=env)

    dump = tmp_path / "seeded.dump"
    _run(shutil.which("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), seeded_database)
    _run(shutil.which("pg_restore"), "--no-owner", "--exit-on-error", "-d", empty_database,
         str(dump))

    restored = {**env, "DATABASE_URL": empty_database}
    assert _counts(empty_database) == _counts(seeded_database)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT code, balance FROM ledger_account ORDER BY code").fetchall() == held
    checked = _run(*flask, "fund", "ledger", "check", cwd=ROOT, env=restored)
    assert "ledger check: ok" in checked.stdout + checked.stderr
    verified = _run(*flask, "fund", "receipts", "verify", number, cwd=ROOT, env=restored)
    assert number in verified.stdout and "VALID" in verified.stdout
