"""Receipt test fixtures: jobs run inline so a test sees their result."""
import pytest


@pytest.fixture
def inline_jobs(app):
    app.config["RECEIPT_JOBS_INLINE"] = True
    yield
    app.config["RECEIPT_JOBS_INLINE"] = False


@pytest.fixture
def after_year_end():
    """Early January 2027 in Japan: the year 2026 of the default gifts has ended."""
    from freezegun import freeze_time
    with freeze_time("2027-01-05 01:00:00", tick=True):
        yield
