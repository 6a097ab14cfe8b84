"""Gifts that did not come through Stripe: recorded by the office, settled and booked like any gift."""
from datetime import date, timedelta

import pytest

from fund.campaigns.models import Project
from fund.core import clock, signals
from fund.core.errors import NotFound, ValidationFailed
from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.giving import offline
from fund.giving.models import Donation, OfflineGift, ScopeTotal
from fund.ledger.models import Entry
from fund.payments.models import Payment
from fund.receipts.models import Receipt
from fund.staff.services import create_staff
from tests.factories import DonorFactory
from tests.ledger.helpers import balances, entries

SCALPEL = "project:quantum-scalpel-magnet"


@pytest.fixture
def staff(ctx, seeded):
    return create_staff("clerk@qst.example", "Clerk", "office", "pw-for-tests")


def new_donor(**changes):
    fields = dict(name="山田 太郎", name_kana="ヤマダ タロウ", postal_code="263-8555",
                  address="千葉県千葉市稲毛区穴川4-9-1", email="taro@example.jp")
    fields.update(changes)
    return offline.NewDonor(**fields)


def record(staff, **changes):
    fields = dict(new_donor=new_donor(), amount=50_000, destination=SCALPEL,
                  method="direct_transfer", money_account="bank:main",
                  received_on=clock.today_jst() - timedelta(days=2), transfer_name="ﾔﾏﾀﾞ ﾀﾛｳ",
                  staff=staff, lang="en")
    fields.update(changes)
    return offline.record_offline_gift(**fields)


def test_a_bank_transfer_gets_receipt_mail_totals_audit_and_its_ledger_entry(staff):
    received = []

    def heard(payment, actor):
        received.append(payment.id)

    signals.payment_succeeded.connect(heard)
    try:
        payment = record(staff)
    finally:
        signals.payment_succeeded.disconnect(heard)
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert (payment.provider, payment.method, payment.state) == ("office", "direct_transfer",
                                                                 "succeeded")
    assert received.count(payment.id) == 1
    gift = db.session.execute(db.select(OfflineGift)).scalar_one()
    assert (gift.transfer_key, gift.money_account) == ("ヤマダタロウ", "bank:main")
    donation = payment.donation
    assert donation.designation == "project" and donation.is_paid
    receipt = db.session.execute(db.select(Receipt)).scalar_one()
    assert receipt.received_on == clock.today_jst() - timedelta(days=2)
    assert receipt.amount == 50_000 and receipt.purpose.startswith("量子メス")
    mail = db.session.execute(db.select(OutboundEmail)).scalar_one()
    assert mail.kind == "thanks" and mail.to_address == "taro@example.jp"
    project = db.session.execute(db.select(Project).filter_by(
        slug="quantum-scalpel-magnet")).scalar_one()
    assert db.session.get(ScopeTotal, ("project", project.id)).raised == 50_000
    assert entries() == [(f"gift:{payment.id}", "gift", [
        ("bank:main", "debit", 50_000), ("fund:project:quantum-scalpel-magnet", "credit", 50_000)])]
    entry = db.session.execute(db.select(Entry)).scalar_one()
    assert entry.effective_date == clock.today_jst() - timedelta(days=2)
    actions = [a.action for a in db.session.execute(db.select(AuditEntry)).scalars()]
    assert "donation.created" in actions and actions.count("payment.succeeded") == 1


def test_cash_for_an_existing_donor_to_the_general_fund(staff):
    donor = DonorFactory()
    db.session.commit()
    payment = record(staff, new_donor=None, donor_id=donor.id, method="cash", money_account=None,
                     destination="general", transfer_name="")
    assert payment.donation.donor_id == donor.id
    assert balances() == {"cash": 50_000, "fund:general": 50_000}


def test_a_paper_form_donor_without_email_gets_a_receipt_and_no_mail(staff):
    record(staff, new_donor=new_donor(email=""), paper_form=True, form_reference="申込書-0042")
    assert db.session.execute(db.select(Receipt)).scalar_one().donor_name == "山田 太郎"
    assert db.session.execute(db.select(OutboundEmail)).scalars().all() == []
    gift = db.session.execute(db.select(OfflineGift)).scalar_one()
    assert gift.paper_form and gift.form_reference == "申込書-0042"


def _nothing_written():
    db.session.rollback()
    assert db.session.execute(db.select(Donation)).scalars().all() == []
    assert db.session.execute(db.select(Payment)).scalars().all() == []
    assert db.session.execute(db.select(Entry)).scalars().all() == []


@pytest.mark.parametrize("changes, field, words", [
    ({"new_donor": None}, "donor", "Choose a donor"),
    ({"amount": 0}, "amount", "above ¥0"),
    ({"amount": -5000}, "amount", "above ¥0"),
    ({"amount": None}, "amount", "above ¥0"),
    ({"received_on": None}, "received_on", "date the money was received"),
    ({"destination": "project:no-such-project"}, "destination", "no campaign or project"),
    ({"destination": "elsewhere"}, "destination", "not a designation"),
    ({"method": "cheque"}, "method", "bank transfer or cash"),
    ({"money_account": "cash"}, "money_account", "bank account"),
    ({"method": "cash", "money_account": "bank:main"}, "money_account", "cash account"),
    ({"transfer_name": "Yamada 山田"}, "transfer_name", "katakana"),
    ({"new_donor": new_donor(email="")}, "email", "paper form"),
    ({"new_donor": new_donor(name_kana="")}, "name_kana", "required"),
])
def test_refused_naming_the_problem_and_nothing_half_done(staff, changes, field, words):
    with pytest.raises(ValidationFailed) as err:
        record(staff, **changes)
    assert field in err.value.errors and words in err.value.message
    _nothing_written()


def test_a_future_date_is_refused(staff):
    with pytest.raises(ValidationFailed) as err:
        record(staff, received_on=clock.today_jst() + timedelta(days=1))
    assert "future" in err.value.errors["received_on"]
    _nothing_written()


def test_a_closed_campaign_or_project_is_refused_with_its_name(staff):
    from fund.campaigns.models import Campaign
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    campaign.ends_at = clock.now() - timedelta(hours=1)
    project = db.session.execute(db.select(Project).filter_by(
        slug="science-camp-fukushima-chiba")).scalar_one()
    project.closed_at = clock.now()
    project.accepts_donations = False
    db.session.commit()
    for key, title in ((f"campaign:{campaign.slug}", campaign.title("en")),
                       ("project:science-camp-fukushima-chiba", project.title("en"))):
        with pytest.raises(ValidationFailed) as err:
            record(staff, destination=key)
        assert "closed" in err.value.message and title in err.value.message
    _nothing_written()


def test_an_unknown_donor_id(staff):
    with pytest.raises(NotFound):
        record(staff, new_donor=None, donor_id=9999)
    _nothing_written()


def test_donor_search_by_name_kana_and_email(staff):
    DonorFactory(name="量子 花子", name_kana="リョウシ ハナコ", email="hanako@example.jp")
    DonorFactory(name="山田 一郎", name_kana="ヤマダ イチロウ", email="ichiro@example.jp")
    db.session.commit()
    assert [d.name for d in offline.search_donors("りょうし")] == ["量子 花子"]
    assert [d.name for d in offline.search_donors("ｈａｎａｋｏ@")] == ["量子 花子"]
    assert [d.name for d in offline.search_donors("山田")] == ["山田 一郎"]
    assert offline.search_donors("  ") == []
