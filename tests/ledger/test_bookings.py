"""The services that change money book it: gifts, fees, refunds, chargebacks, through their signals.

Stripe is served by tests/support/stripe_fake.py; every webhook and sync is
replayed to show it books nothing twice.
"""
from datetime import datetime, timezone

import pytest

from fund.campaigns.models import Project
from fund.core.extensions import db
from fund.payments import sync
from fund.payments.models import Payment
from tests.factories import ProjectFactory
from tests.ledger.helpers import balances, entries, keys
from tests.payments.conftest import post_refund
from tests.payments.helpers import gift_known_to_stripe, send
from tests.support import stripe_fake


def pay(client, fake, n, amount=5000, **designation):
    """Gift `n` paid by card, settled by its webhook (twice: a redelivery)."""
    payment = gift_known_to_stripe(fake, amount, intent_id=f"pi_{n}", charge_id=f"ch_{n}")
    if designation:
        gift = payment.donation
        for field, value in designation.items():
            setattr(gift, field, value)
        db.session.commit()
    for attempt in ("a", "b"):
        send(client, f"evt_paid_{n}{attempt}", "payment_intent.succeeded",
             {"id": f"pi_{n}", "object": "payment_intent"})
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def test_a_card_gift_books_the_gift_and_its_fee_once(client, ctx, fake):
    payment = pay(client, fake, 1)
    assert entries() == [
        (f"gift:{payment.id}", "gift", [("stripe", "debit", 5000), ("fund:general", "credit", 5000)]),
        (f"fee:{payment.id}", "fee", [("fund:general", "debit", 180), ("stripe", "credit", 180)]),
    ]
    assert balances() == {"stripe": 4820, "fund:general": 4820}
    sync.sync(since=datetime.fromtimestamp(stripe_fake.NOW - 3600, timezone.utc))  # stripe-sync re-reads everything: nothing new
    assert len(entries()) == 2


def test_a_designated_gift_goes_to_its_project_and_the_policy_names_who_pays_the_fee(
        app, client, ctx, fake):
    project = ProjectFactory(slug="magnet")
    db.session.commit()
    pay(client, fake, 1, designation="project", project_id=project.id)
    assert balances() == {"stripe": 4820, "fund:project:magnet": 4820}
    app.config["LEDGER_FEE_POLICY"] = "general"
    try:
        pay(client, fake, 2, 10_000, designation="project", project_id=project.id)
    finally:
        app.config["LEDGER_FEE_POLICY"] = "designation"
    assert balances() == {"stripe": 4820 + 9640, "fund:project:magnet": 14_820,
                          "fund:general": -360}


def test_a_refund_books_once_and_a_shortfall_comes_from_the_general_fund(
        client, ctx, fake, sign_in):
    project = ProjectFactory(slug="camp")
    db.session.commit()
    pay(client, fake, 1, 20_000)  # the general fund: ¥19,280 after its fee
    gift = pay(client, fake, 2, designation="project", project_id=project.id).donation
    sign_in("office")
    assert post_refund(client, gift.id, 5000).status_code == 302
    refund = gift.refunds[0]
    for n in (1, 2):  # Stripe's own events about the refund, after our answer
        send(client, f"evt_re_{n}", "refund.updated", {"id": refund.stripe_refund_id,
                                                       "object": "refund"})
    key, category, lines = entries()[-1]
    assert (key, category) == (f"refund:{refund.id}", "refund")
    # The project kept ¥4,820 of the gift after its fee; the general fund pays the other ¥180.
    assert lines == [("fund:project:camp", "debit", 4820), ("fund:general", "debit", 180),
                     ("stripe", "credit", 5000)]
    assert balances() == {"stripe": 19_280 + 4820 - 5000, "fund:general": 19_100}
    assert keys().count(f"refund:{refund.id}") == 1


def test_a_refund_that_fails_later_is_reversed(client, ctx, fake, sign_in):
    gift = pay(client, fake, 1).donation
    sign_in("office")
    post_refund(client, gift.id, 2000)
    refund = gift.refunds[0]
    fake.refunds[refund.stripe_refund_id]["status"] = "failed"
    fake.refunds[refund.stripe_refund_id]["failure_reason"] = "lost_or_stolen_card"
    send(client, "evt_re_failed", "refund.failed", {"id": refund.stripe_refund_id,
                                                    "object": "refund"})
    send(client, "evt_re_failed_again", "refund.updated", {"id": refund.stripe_refund_id,
                                                           "object": "refund"})
    key, category, lines = entries()[-1]
    assert (key, category) == (f"refund_failed:{refund.id}", "reversal")
    assert lines == [("fund:general", "credit", 2000), ("stripe", "debit", 2000)]
    assert balances() == {"stripe": 4820, "fund:general": 4820}


def dispute_events(client, fake, payment, statuses, dp="dp_1", amount=5000):
    fake.disputes[dp] = stripe_fake.dispute(dp, payment.stripe_charge_id, None, amount,
                                            status=statuses[0])
    for n, status in enumerate(statuses):
        fake.disputes[dp]["status"] = status
        for attempt in ("a", "b"):
            send(client, f"evt_{dp}_{n}{attempt}", "charge.dispute.updated",
                 {"id": dp, "object": "dispute"})


def test_a_chargeback_is_booked_when_stripe_takes_the_money_and_reversed_when_won(
        client, ctx, fake):
    payment = pay(client, fake, 1, 30_000)  # ¥28,920 after the fee
    dispute_events(client, fake, payment, ["needs_response", "under_review", "won"], amount=30_000)
    dispute = payment.disputes[0]
    withdrawal, won = entries()[2:]
    assert withdrawal == (f"dispute:{dispute.id}", "dispute",
                          [("fund:general", "debit", 30_000), ("stripe", "credit", 30_000)])
    assert won == (f"dispute_won:{dispute.id}", "reversal",
                   [("fund:general", "credit", 30_000), ("stripe", "debit", 30_000)])
    assert [key for key in keys()[2:]] == [f"dispute:{dispute.id}", f"dispute_won:{dispute.id}"]
    assert balances() == {"stripe": 28_920, "fund:general": 28_920}


def test_a_lost_chargeback_stays_booked_and_an_inquiry_books_nothing(client, ctx, fake):
    project = ProjectFactory(slug="virus")
    db.session.commit()
    payment = pay(client, fake, 1, designation="project", project_id=project.id)
    dispute_events(client, fake, payment, ["warning_needs_response", "warning_closed"], dp="dp_i")
    assert len(entries()) == 2  # an inquiry takes no money
    dispute_events(client, fake, payment, ["needs_response", "lost"], dp="dp_l", amount=3000)
    key, category, lines = entries()[-1]
    assert category == "dispute" and lines == [("fund:project:virus", "debit", 3000),
                                               ("stripe", "credit", 3000)]
    assert balances() == {"stripe": 1820, "fund:project:virus": 1820}
    assert db.session.query(Project).one().slug == "virus"


@pytest.mark.parametrize("status", ["lost", "won"])
def test_a_dispute_first_seen_decided_is_booked_as_stripe_moved_the_money(
        client, ctx, fake, status):
    payment = pay(client, fake, 1)
    dispute_events(client, fake, payment, [status])
    expected = {"lost": {"stripe": -180, "fund:general": -180},
                "won": {"stripe": 4820, "fund:general": 4820}}[status]
    assert balances() == expected
