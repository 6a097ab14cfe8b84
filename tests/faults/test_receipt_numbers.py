"""Fifty receipts issued at the same moment: every number once, none skipped."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from fund.core import audit
from fund.core.extensions import db
from fund.giving.models import Donation
from fund.receipts import issuing
from fund.receipts.models import Receipt
from tests.factories import paid_gift

pytestmark = pytest.mark.pg_only


class Abandoned(Exception):
    """The request that was issuing a receipt failed after taking its number."""


def test_fifty_receipts_at_once_get_unique_gapless_numbers(app, ctx):
    at = datetime(2026, 7, 1, 3, 0, tzinfo=timezone.utc)
    ids = [paid_gift(amount=3000 + i, at=at).id for i in range(50)]
    db.session.commit()
    start = threading.Barrier(len(ids))

    def issue(index):
        with app.app_context():
            # All fifty go together; the app's connection pool (15) lets that many
            # transactions hold a number at once, the rest queue as they would in gunicorn.
            start.wait(timeout=30)
            try:
                gift = db.session.get(Donation, ids[index])
                receipt = issuing.issue_for_donation(donation=gift, actor=audit.SYSTEM,
                                                     with_hash=False)
                if index % 10 == 7:  # five of them die after the number was taken
                    raise Abandoned(receipt.number)
                db.session.commit()
                return receipt.number
            except Abandoned:
                db.session.rollback()
                return None
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(ids)) as pool:
        numbers = [n for n in pool.map(issue, range(len(ids))) if n is not None]
    assert len(numbers) == 45
    stored = sorted(db.session.execute(db.select(Receipt.sequence)).scalars())
    assert stored == list(range(1, 46))  # unique and gapless: the abandoned five gave theirs back
    assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, 46)]
