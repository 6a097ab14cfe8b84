"""Any order and any number of repeats of the same events ends in the same state.

Stripe (served by `responses`) already knows the end of the story; each
delivery re-reads it, so what arrives first must not matter.
"""
from collections import Counter

from hypothesis import HealthCheck, given, settings, strategies as st

from fund.core.extensions import db
from fund.core.models import AuditEntry, OutboundEmail
from fund.payments.models import Dispute, Payment, Refund, StripeEvent
from fund.receipts.models import Receipt
from tests.support import stripe_fake
from tests.payments.helpers import gift_known_to_stripe, send
from tests.support.tables import empty_tables

EVENTS = [
    ("evt_pi", "payment_intent.succeeded", {"id": "pi_fake_1", "object": "payment_intent"}),
    ("evt_ch", "charge.refunded", {"id": "ch_fake_1", "object": "charge"}),
    ("evt_re", "refund.updated", {"id": "re_1", "object": "refund"}),
    ("evt_dp1", "charge.dispute.created", {"id": "dp_1", "object": "dispute"}),
    ("evt_dp2", "charge.dispute.closed", {"id": "dp_1", "object": "dispute"}),
]


def _reset():
    empty_tables()


def _stripe_knows(fake, outcome):
    fake.intents.clear(), fake.charges.clear(), fake.refunds.clear(), fake.disputes.clear()
    payment = gift_known_to_stripe(fake)
    fake.refunds["re_1"] = stripe_fake.refund("re_1", "ch_fake_1", "pi_fake_1", 2000)
    fake.disputes["dp_1"] = stripe_fake.dispute("dp_1", "ch_fake_1", "pi_fake_1", 3000,
                                                status=outcome)
    return payment


def _state():
    db.session.expire_all()
    payment = db.session.query(Payment).one()
    gift = payment.donation
    audit = Counter((a.action, a.actor_type) for a in db.session.query(AuditEntry)
                    if a.subject_type in ("payment", "refund", "dispute"))
    return {
        "payment": (payment.state, payment.fee, payment.net, payment.stripe_charge_id),
        "refunds": sorted((r.stripe_refund_id, r.amount, r.state)
                          for r in db.session.query(Refund)),
        "disputes": sorted((x.stripe_dispute_id, x.amount, x.state)
                           for x in db.session.query(Dispute)),
        "donation": (gift.status, gift.paid_amount, gift.refunded_amount, gift.net_amount),
        "events": sorted(e.stripe_event_id for e in db.session.query(StripeEvent)),
        "audit": audit,
        # Intermediate reissues may differ with the order; what stands at the end may not.
        "valid_receipts": sorted(r.amount for r in db.session.query(Receipt)
                                 .filter_by(status="valid")),
        "thanks_mails": db.session.query(OutboundEmail).filter_by(kind="thanks").count(),
    }


def _deliver(client, fake, outcome, order):
    _reset()
    _stripe_knows(fake, outcome)
    for index in order:
        send(client, *EVENTS[index])
    return _state()


orders = st.permutations(range(len(EVENTS))).flatmap(lambda perm: st.lists(
    st.tuples(st.integers(0, len(EVENTS) - 1), st.integers(0, 20)), max_size=5).map(
    lambda repeats: _with_repeats(list(perm), repeats)))


def _with_repeats(order, repeats):
    for index, position in repeats:
        order.insert(position % (len(order) + 1), index)
    return order


IN_ORDER = {}  # each event once, in the order Stripe sends them: the reference


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(order=orders, outcome=st.sampled_from(["won", "lost"]))
def test_any_order_and_repeats_end_in_the_same_state(client, ctx, fake, order, outcome):
    if outcome not in IN_ORDER:
        IN_ORDER[outcome] = _deliver(client, fake, outcome, range(len(EVENTS)))
    assert _deliver(client, fake, outcome, order) == IN_ORDER[outcome]


def test_the_expected_end_state(client, ctx, fake):
    state = _deliver(client, fake, "lost", range(len(EVENTS)))
    assert state["payment"][0] == "succeeded"
    assert state["refunds"] == [("re_1", 2000, "succeeded")]
    assert state["disputes"] == [("dp_1", 3000, "lost")]
    assert state["donation"] == ("refunded", 5000, 2000, 0)
    assert state["thanks_mails"] == 1
    assert state["audit"][("payment.succeeded", "stripe")] == 1
    assert state["audit"][("refund.succeeded", "stripe")] == 1
