"""The audit log: searchable by who, what, when and subject, and never editable."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import DBAPIError

from fund.core import audit
from fund.core.extensions import db
from fund.core.models import AuditEntry
from fund.staff.services import create_staff
from tests.factories import DonorFactory, paid_gift


@pytest.fixture
def trail(ctx):
    clerk = create_staff("sato@qst.example", "佐藤", "office", "pw-sato-1234")
    gift = paid_gift(DonorFactory(), 5000)
    donor = DonorFactory()
    db.session.flush()
    for at, actor, action, subject in (
            (datetime(2026, 5, 1, 1, tzinfo=timezone.utc), audit.staff(clerk), "refund.created", gift),
            (datetime(2026, 6, 1, 1, tzinfo=timezone.utc), audit.SYSTEM, "donation.created", gift),
            (datetime(2026, 6, 2, 1, tzinfo=timezone.utc), audit.staff(clerk),
             "donor.contact_changed", donor)):
        audit.record(actor, action, subject).at = at
    db.session.commit()
    return clerk, gift, donor


def _actions(client, **args):
    page = client.get("/office/audit/", query_string=args).get_data(as_text=True)
    return re.findall(r'<td class="action">([^<]+)</td>', page)


def test_search_by_who_what_when_and_subject(client, sign_in, trail):
    clerk, gift, donor = trail
    sign_in("office")
    assert _actions(client, who="sato@qst.example") == ["donor.contact_changed", "refund.created"]
    assert _actions(client, who="佐藤", action="refund") == ["refund.created"]
    assert _actions(client, who="system") == ["donation.created"]
    assert _actions(client, subject=f"donation:{gift.id}") == ["donation.created", "refund.created"]
    assert _actions(client, subject="donor") == ["donor.contact_changed"]
    assert _actions(client, **{"from": "２０２６-０６-０１", "to": "2026-06-01"}) == ["donation.created"]
    page = client.get("/office/audit/?who=sato").get_data(as_text=True)
    assert "sato@qst.example" in page and f'/office/donors/{donor.id}' in page


def test_a_malformed_date_is_refused(client, sign_in, trail):
    sign_in("office")
    response = client.get("/office/audit/?from=2026-02-31")
    assert response.status_code == 422 and 'class="alert"' in response.get_data(as_text=True)
    assert client.get("/office/audit/?from=2026-06-02&to=2026-06-01").status_code == 422


def test_the_log_offers_no_way_to_change_an_entry(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("office_audit.")]
    assert [sorted(rule.methods - {"HEAD", "OPTIONS"}) for rule in rules] == [["GET"]]


@pytest.mark.pg_only
def test_postgresql_refuses_to_change_or_remove_an_audit_row(ctx, trail):
    entry_id = db.session.query(AuditEntry.id).first()[0]
    for statement in ("UPDATE audit_entry SET action = 'forged' WHERE id = :id",
                      "DELETE FROM audit_entry WHERE id = :id"):
        with pytest.raises(DBAPIError) as refused:
            db.session.execute(db.text(statement), {"id": entry_id})
        assert "append-only" in str(refused.value)
        db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).action != "forged"
