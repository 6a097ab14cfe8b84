"""The migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fund.core.extensions import db


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@pytest.mark.pg_only
def test_autogenerate_finds_no_difference_on_postgresql(ctx):
    assert db.engine.dialect.name == "postgresql"
    assert _differences() == []


def test_autogenerate_finds_no_difference(ctx):
    assert _differences() == []
