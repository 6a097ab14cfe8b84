"""Corporate pledges: a total in instalments, what is due and late, each instalment a gift."""
from datetime import date, timedelta

import pytest

from fund.core import clock
from fund.core.errors import Conflict, ValidationFailed
from fund.core.extensions import db
from fund.giving import agreements, offline
from fund.giving.models import Instalment, PledgeAgreement
from fund.receipts.models import Receipt
from fund.staff.services import create_staff
from tests.ledger.helpers import balances

Planned = agreements.Planned


@pytest.fixture
def staff(ctx, seeded):
    return create_staff("clerk@qst.example", "Clerk", "office", "pw-for-tests")


def company():
    return offline.NewDonor(kind="corporation", company_name="株式会社九州電機",
                            representative="代表取締役 九州 一郎", name="総務 花子",
                            name_kana="ソウム ハナコ", postal_code="812-0011",
                            address="福岡県福岡市博多区1-1", email="soumu@kyushu.example")


def today(offset=0):
    return clock.today_jst() + timedelta(days=offset)


def create(staff, **changes):
    fields = dict(new_donor=company(), total=1_500_000, destination="project:quantum-scalpel-magnet",
                  expected_method="direct_transfer", transfer_name="ｶ)ｷﾕｳｼﾕｳﾃﾞﾝｷ",
                  schedule=[Planned(today(-40), 500_000), Planned(today(10), 500_000),
                            Planned(today(200), 500_000)], staff=staff, lang="en")
    fields.update(changes)
    return agreements.create_agreement(**fields)


def test_what_is_due_and_late_and_an_instalment_recorded_as_a_gift(staff):
    agreement = create(staff)
    first, second, third = agreement.instalments
    due = agreements.due_instalments()
    assert [(i.number, i.state(today())) for i in due] == [(1, "late"), (2, "due")]
    payment = agreements.record_instalment(instalment_id=first.id, received_on=today(-1),
                                           money_account="bank:main", staff=staff, lang="en")
    db.session.expire_all()
    assert first.state(today()) == "received" and first.gift.payment_id == payment.id
    assert payment.donation.designation == "project" and payment.provider == "office"
    receipt = db.session.execute(db.select(Receipt)).scalar_one()
    assert receipt.donor_name == "株式会社九州電機" and receipt.amount == 500_000
    assert [i.number for i in agreements.due_instalments()] == [2]
    assert (agreement.received, agreement.outstanding) == (500_000, 1_000_000)
    assert balances() == {"bank:main": 500_000, "fund:project:quantum-scalpel-magnet": 500_000}
    with pytest.raises(ValidationFailed):
        agreements.record_instalment(instalment_id=first.id, received_on=today(), staff=staff,
                                     lang="en")
    for instalment in (second, third):
        agreements.record_instalment(instalment_id=instalment.id, received_on=today(),
                                     money_account="bank:main", staff=staff, lang="en")
    db.session.expire_all()
    assert agreement.status == "completed" and agreement.closed_at is not None


def test_a_schedule_typed_or_in_equal_parts():
    planned = agreements.parse_schedule("2026/06/30 500,000\n\nR8.12.31\t¥500000\n", "en")
    assert planned == [Planned(date(2026, 6, 30), 500_000), Planned(date(2026, 12, 31), 500_000)]
    parts = agreements.equal_schedule(total=1_000_000, count=3, first_due=date(2026, 1, 31),
                                      months_apart=1)
    assert [(p.due_on.isoformat(), p.amount) for p in parts] == [
        ("2026-01-31", 333_333), ("2026-02-28", 333_333), ("2026-03-31", 333_334)]


def test_a_bad_schedule_line_is_named(ctx):
    with pytest.raises(ValidationFailed) as err:
        agreements.parse_schedule("2026/06/30 500000\nnext year 500000\n", "en")
    assert "Line 2" in err.value.message


@pytest.mark.parametrize("changes, field, words", [
    ({"new_donor": None}, "donor", "Choose a donor"),
    ({"total": 0}, "total", "above ¥0"),
    ({"schedule": []}, "schedule", "at least one"),
    ({"schedule": [Planned(date(2026, 6, 30), 1_000_000)]}, "schedule", "add up to ¥1,000,000"),
    ({"schedule": [Planned(date(2026, 6, 30), 750_000), Planned(date(2026, 6, 30), 750_000)]},
     "schedule", "same day"),
    ({"schedule": [Planned(date(2026, 6, 30), 1_500_000), Planned(date(2026, 7, 30), 0)]},
     "schedule", "above ¥0"),
    ({"destination": "project:nowhere"}, "destination", "no campaign or project"),
    ({"expected_method": "cheque"}, "expected_method", "bank transfer or cash"),
    ({"transfer_name": "Kyushu 九州"}, "transfer_name", "katakana"),
])
def test_refused_naming_the_problem(staff, changes, field, words):
    with pytest.raises(ValidationFailed) as err:
        create(staff, **changes)
    assert field in err.value.errors and words in err.value.message
    db.session.rollback()
    assert db.session.query(PledgeAgreement).count() == 0
    assert db.session.query(Instalment).count() == 0


def test_ending_a_pledge_keeps_what_was_received(staff):
    agreement = create(staff)
    agreements.record_instalment(instalment_id=agreement.instalments[0].id, received_on=today(),
                                 money_account="bank:main", staff=staff, lang="en")
    with pytest.raises(ValidationFailed):
        agreements.cancel_agreement(agreement_id=agreement.id, reason="", staff=staff, lang="en")
    agreements.cancel_agreement(agreement_id=agreement.id, reason="業績悪化のため", staff=staff,
                                lang="en")
    db.session.expire_all()
    assert agreement.status == "canceled" and agreement.received == 500_000
    assert agreements.due_instalments() == []
    with pytest.raises(Conflict):
        agreements.cancel_agreement(agreement_id=agreement.id, reason="again", staff=staff,
                                    lang="en")
    with pytest.raises(ValidationFailed):
        agreements.record_instalment(instalment_id=agreement.instalments[1].id,
                                     received_on=today(), money_account="bank:main",
                                     staff=staff, lang="en")
