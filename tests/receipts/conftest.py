"""Receipt test fixtures: jobs run inline so a test sees their result."""
import pytest


@pytest.fixture
def inline_jobs(app):
    app.config["RECEIPT_JOBS_INLINE"] = True
    yield
    app.config["RECEIPT_JOBS_INLINE"] = False
