"""Random sequences of money events keep the books true (hypothesis, stateful).

Card gifts (with their fee), offline gifts, refunds, chargebacks won or lost,
payouts, allocations (some refused: too much, or designated money sent
elsewhere), spends and reversals, each through its service. After every step:
debits equal credits, no fund is below zero, `ledger check` passes, the kept
balances equal a model kept here, and designated money never left its
designation (a project's money only goes to its costs, a campaign's pool only
to its own project).
"""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fund.accounting import payouts
from fund.accounting.models import StripePayout
from fund.core import clock
from fund.core.errors import FundError
from fund.core.extensions import db
from fund.donors import services as donors
from fund.giving import gifts, offline
from fund.ledger import accounts, allocations, bookings, check, reversals, spends
from fund.ledger.models import Account, Category, Entry, Line
from fund.payments import services as payments
from fund.payments.models import Dispute, Refund
from fund.staff.services import create_staff
from tests.factories import CampaignFactory, ProjectFactory
from tests.support.tables import empty_tables

AMOUNTS = st.sampled_from([1000, 3000, 5000, 10_000, 50_000])
DESTINATIONS = st.sampled_from(["general", "campaign", "project:a", "project:b"])


class Books(RuleBasedStateMachine):
    @initialize()
    def start(self):
        empty_tables()
        db.session.remove()
        self.a = ProjectFactory(slug="a")
        self.b = ProjectFactory(slug="b")
        self.campaign = CampaignFactory(slug="pool", project=self.a,
                                        starts_at=clock.now() - timedelta(days=1),
                                        ends_at=clock.now() + timedelta(days=30))
        self.donor = donors.create(kind="individual", name="量子 太郎", name_kana="リョウシ タロウ",
                                   email="taro@example.jp", postal_code="263-8555",
                                   address="千葉県千葉市稲毛区穴川4-9-1", locale="ja")
        db.session.commit()
        self.staff = create_staff("office-sm@qst.example", "Office", "office", "pw-sm-test")
        self.paid = []  # payment ids that can still be refunded or disputed
        self.payouts = 0
        self.reversible = []

    def _destination(self, where):
        return {"general": {}, "campaign": {"campaign": self.campaign},
                "project:a": {"project": self.a}, "project:b": {"project": self.b}}[where]

    def _balance(self, code):
        account = db.session.execute(db.select(Account).filter_by(code=code)).scalar_one_or_none()
        return account.balance if account is not None else 0

    @rule(amount=AMOUNTS, where=DESTINATIONS)
    def card_gift(self, amount, where):
        payment = gifts.create_gift(donor=self.donor, amount=amount, method="card", locale="ja",
                                    actor=self.staff_actor(), wants_receipt=False,
                                    **self._destination(where))
        payments.mark_succeeded(payment, self.staff_actor())
        payment.fee = amount * 36 // 1000
        payment.net = amount - payment.fee
        bookings.book_fee(payment, actor="stripe:settlement")
        db.session.commit()
        self.paid.append(payment.id)

    @rule(amount=AMOUNTS, where=DESTINATIONS, cash=st.booleans())
    def offline_gift(self, amount, where, cash):
        destination = "general" if where == "general" else (
            "campaign:pool" if where == "campaign" else where)
        offline.record_offline_gift(
            amount=amount, destination=destination, method="cash" if cash else "direct_transfer",
            received_on=clock.today_jst(), staff=self.staff, lang="en", donor_id=self.donor.id,
            money_account="cash" if cash else "bank:main", wants_receipt=False)

    def staff_actor(self):
        from fund.core import audit
        return audit.staff(self.staff)

    def _covered(self, payment, amount):
        """Stripe's claw-back would not take a fund below zero (the invariant stays meaningful)."""
        fund = accounts.for_donation(payment.donation)
        return fund.balance + (accounts.general().balance if fund.code != "fund:general" else 0) \
            >= amount

    @precondition(lambda self: self.paid)
    @rule(data=st.data())
    def refund(self, data):
        from fund.payments.models import Payment
        payment = db.session.get(Payment, data.draw(st.sampled_from(self.paid)))
        if payment.provider != "stripe" or not self._covered(payment, payment.amount):
            return
        row = Refund(payment=payment, amount=payment.amount, state="succeeded",
                     reason="donor asked", stripe_refund_id=f"re_sm_{payment.id}")
        db.session.add(row)
        db.session.flush()
        bookings.book_refund(row, actor="stripe:test")
        db.session.commit()
        self.paid.remove(payment.id)

    @precondition(lambda self: self.paid)
    @rule(data=st.data(), won=st.booleans())
    def dispute(self, data, won):
        from fund.payments.models import Payment
        payment = db.session.get(Payment, data.draw(st.sampled_from(self.paid)))
        if payment.provider != "stripe" or not self._covered(payment, payment.amount):
            return
        row = Dispute(payment=payment, amount=payment.amount, state="needs_response",
                      stripe_status="needs_response", stripe_dispute_id=f"dp_sm_{payment.id}")
        db.session.add(row)
        db.session.flush()
        bookings.book_dispute(row, actor="stripe:test")
        row.state = "won" if won else "lost"
        row.stripe_status = row.state
        if won:
            bookings.book_dispute_won(row, actor="stripe:test")
        db.session.commit()
        self.paid.remove(payment.id)

    @rule(share=st.sampled_from([2, 3]))
    def payout(self, share):
        amount = self._balance("stripe") // share
        if amount <= 0:
            return
        self.payouts += 1
        row = StripePayout(stripe_payout_id=f"po_sm_{self.payouts}", amount=amount,
                           stripe_status="paid", arrival_on=clock.today_jst())
        db.session.add(row)
        db.session.flush()
        payouts.book(row, "stripe:test")
        db.session.commit()

    @rule(amount=AMOUNTS | st.sampled_from(["half", "all"]),
          source=st.sampled_from(["fund:general", "fund:campaign:pool"]),
          to=st.sampled_from(["a", "b"]))
    def allocate(self, amount, source, to):
        held = self._balance(source)
        if amount in ("half", "all"):
            amount = max(held // 2 if amount == "half" else held, 1)
        designated_elsewhere = source == "fund:campaign:pool" and to != "a"
        try:
            row = allocations.allocate(source=source, project=to, amount=amount, memo="sm",
                                       staff=self.staff, lang="en")
        except FundError:
            assert amount > held or designated_elsewhere
            assert self._balance(source) == held  # nothing half-done
            return
        assert amount <= held and not designated_elsewhere
        self.reversible.append(row.entry_id)

    @rule(amount=AMOUNTS | st.just("half"), to=st.sampled_from(["a", "b"]),
          n=st.integers(0, 10**6))
    def spend(self, amount, to, n):
        held = self._balance(f"fund:project:{to}")
        if amount == "half":
            amount = max(held // 2, 1)
        try:
            row = spends.record_spend(project=to, vendor="量子計測", invoice_number=f"INV-{n}",
                                      spent_on=clock.today_jst(), amount=amount,
                                      staff=self.staff, lang="en")
        except FundError:
            assert self._balance(f"fund:project:{to}") == held
            return
        assert amount <= held
        self.reversible.append(row.entry_id)

    @precondition(lambda self: self.reversible)
    @rule(data=st.data())
    def reverse(self, data):
        entry_id = data.draw(st.sampled_from(self.reversible))
        try:
            reversal = reversals.reverse(entry_id, staff=self.staff, reason="mistake", lang="en")
        except FundError:
            return  # e.g. the allocation was spent already: refused, nothing booked
        self.reversible.remove(entry_id)
        with pytest.raises(FundError):
            reversals.reverse(reversal.id, staff=self.staff, reason="again", lang="en")

    @invariant()
    def books_are_true(self):
        if not hasattr(self, "staff"):
            return
        db.session.expire_all()
        report = check.run()
        assert report.ok, report.problems
        debits = db.session.execute(db.select(db.func.coalesce(db.func.sum(Line.amount), 0))
                                    .where(Line.side == "debit")).scalar_one()
        credits = db.session.execute(db.select(db.func.coalesce(db.func.sum(Line.amount), 0))
                                     .where(Line.side == "credit")).scalar_one()
        assert debits == credits
        for account in db.session.execute(db.select(Account)).scalars():
            if account.kind == "fund":
                assert account.balance >= 0, account

    @invariant()
    def designated_money_stays(self):
        if not hasattr(self, "staff"):
            return
        pool = accounts.for_campaign(self.campaign).id
        a, general = accounts.for_project(self.a).id, accounts.general().id
        projects = {accounts.for_project(self.a).id, accounts.for_project(self.b).id}
        moves = db.session.execute(
            db.select(Entry).where(Entry.category.in_((Category.ALLOCATION,
                                                       Category.CAMPAIGN_CLOSE)))).scalars()
        for entry in moves:
            debit = {line.account_id for line in entry.lines if line.side == "debit"}
            credit = {line.account_id for line in entry.lines if line.side == "credit"}
            assert credit <= projects
            assert debit <= {general, pool}
            if pool in debit:
                assert credit == {a}
        # a project's money leaves only for its costs, refunds, chargebacks or reversals
        leaving = db.session.execute(
            db.select(Entry.category).join(Line, Line.entry_id == Entry.id)
            .where(Line.account_id.in_(projects), Line.side == "debit").distinct()).scalars()
        assert set(leaving) <= {Category.SPEND, Category.FEE, Category.REFUND, Category.DISPUTE,
                                Category.DISPUTE_FEE, Category.REVERSAL}


Books.TestCase.settings = settings(max_examples=6, stateful_step_count=15, deadline=None,
                                   suppress_health_check=list(HealthCheck))


def test_random_money_keeps_the_books_true(ctx):
    Books.TestCase("runTest").runTest()
