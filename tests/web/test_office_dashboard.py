"""The dashboard: a fiscal (or calendar) year's money by destination, method and month,
the latest gifts, campaigns ending soon, and what needs a person."""
import re
from datetime import datetime, timedelta, timezone

from fund.core import clock
from fund.core.extensions import db
from fund.core.models import OutboundEmail
from tests.factories import (CampaignFactory, DisputeFactory, DonorFactory, PaymentFactory,
                             RefundFactory, paid_gift)

UTC = timezone.utc


def test_a_fiscal_year_at_a_glance(client, sign_in, ctx):
    campaign = CampaignFactory(title_ja="レーザー研究", starts_at=clock.now() - timedelta(days=30),
                               ends_at=clock.now() + timedelta(days=5))
    donor = DonorFactory(name="量子 花子")
    paid_gift(donor, 10000, at=datetime(2026, 4, 10, tzinfo=UTC), designation="campaign",
              campaign=campaign)
    refunded = paid_gift(donor, 4000, at=datetime(2026, 12, 1, tzinfo=UTC))
    RefundFactory(payment=refunded.payments[0], amount=4000)
    last_minute = paid_gift(donor, 2000, at=datetime(2027, 3, 31, 14, 59, tzinfo=UTC))
    last_minute.payments[0].fee = 72
    paid_gift(donor, 9999, at=datetime(2027, 3, 31, 15, 0, tzinfo=UTC))  # FY2027 in Japan
    konbini = paid_gift(DonorFactory(), 3000, at=datetime(2026, 8, 1, tzinfo=UTC))
    konbini.payments[0].method = "konbini"
    db.session.commit()
    sign_in("office")
    page = client.get("/office/?year=2026").get_data(as_text=True)
    assert "2026年度に受け取った寄附" in page
    assert 'class="gifts">4<' in page and 'class="received">¥19,000<' in page
    assert 'class="refunded">¥4,000<' in page and 'class="net">¥15,000<' in page
    assert 'class="fees">¥72<' in page
    destinations = page.split('class="list by-destination"')[1].split("</table>")[0]
    assert "レーザー研究" in destinations and "¥10,000" in destinations
    methods = page.split('class="list by-method"')[1].split("</table>")[0]
    assert "コンビニ払い" in methods and "カード" in methods
    assert page.count('<g class="bar">') == 12 and "<svg" in page
    months = page.split('class="list months"')[1]
    assert "<td>2027-03</td><td class=\"num\">1</td><td class=\"num\">¥2,000</td>" in months
    assert "レーザー研究" in page.split('class="ending-soon"')[1].split("</ul>")[0]
    assert "量子 花子" in page.split('class="list latest"')[1]


def test_the_calendar_year_and_the_english_page(client, sign_in, ctx):
    donor = DonorFactory()
    paid_gift(donor, 2000, at=datetime(2026, 2, 1, tzinfo=UTC))
    paid_gift(donor, 3000, at=datetime(2026, 5, 1, tzinfo=UTC))
    db.session.commit()
    sign_in("accountant")  # accountants read the dashboard too
    page = client.get("/office/?year=2026&basis=calendar&lang=en").get_data(as_text=True)
    assert "Money received in 2026" in page and 'class="received">¥5,000<' in page
    fiscal = client.get("/office/?year=2025").get_data(as_text=True)
    assert 'class="received">¥2,000<' in fiscal
    assert re.search(r'<text[^>]*>Feb</text>', page)


def test_what_needs_a_person(client, sign_in, ctx):
    gift = paid_gift(DonorFactory(), 5000)
    DisputeFactory(payment=gift.payments[0], evidence_due_by=clock.now() + timedelta(days=3))
    db.session.add(OutboundEmail(to_address="x@example.jp", subject="s", body="b", kind="thanks",
                                 status="failed", last_error="connection refused"))
    CampaignFactory(title_ja="締切を過ぎた", ends_at=clock.now() - timedelta(days=2),
                    starts_at=clock.now() - timedelta(days=60))
    RefundFactory(payment=gift.payments[0], amount=100, state="failed")
    db.session.commit()
    sign_in("office")
    page = client.get("/office/").get_data(as_text=True)
    attention = page.split('class="card attention"')[1].split("</section>")[0]
    assert "送信できなかったメール: 1通" in attention
    assert "対応中の異議申立て: 1件" in attention
    assert "締切を過ぎた" in attention
    assert f"#{gift.id}" in attention  # the refund Stripe refused
    english = client.get("/office/?lang=en").get_data(as_text=True)
    assert "1 mail could not be sent" in english


def test_a_quiet_year_has_nothing_needing_a_person(client, sign_in, ctx):
    sign_in("office")
    page = client.get("/office/?year=2030").get_data(as_text=True)
    assert 'class="card attention"' not in page and 'class="received">¥0<' in page


def test_late_instalments_arrived_payouts_and_open_bank_lines_need_a_person(client, sign_in, ctx):
    from datetime import date

    from fund.accounting.models import BankAccount, BankLine, BankStatement, StripePayout
    from fund.giving.models import Instalment, PledgeAgreement
    today = clock.jst_date(clock.now())
    company = DonorFactory(name="株式会社量子電機")
    agreement = PledgeAgreement(donor=company, total=300000)
    agreement.instalments = [
        Instalment(number=1, due_on=today - timedelta(days=10), amount=100000),
        Instalment(number=2, due_on=today + timedelta(days=20), amount=200000)]
    canceled = PledgeAgreement(donor=DonorFactory(), total=5000, status="canceled")
    canceled.instalments = [Instalment(number=1, due_on=date(2020, 1, 1), amount=5000)]
    db.session.add_all([agreement, canceled])
    db.session.add_all([
        StripePayout(stripe_payout_id="po_arrived", amount=45678, arrival_on=today - timedelta(days=2)),
        StripePayout(stripe_payout_id="po_in_transit", amount=1, arrival_on=today + timedelta(days=2)),
        StripePayout(stripe_payout_id="po_done", amount=2, arrival_on=date(2020, 1, 1),
                     state="reconciled")])
    bank = BankAccount(slug="main", name="千葉銀行")
    statement = BankStatement(bank_account=bank, sha256="0" * 64, encoding="utf-8")
    db.session.add_all([bank, statement])
    db.session.flush()
    for row, state in enumerate(("unmatched", "unmatched", "dismissed")):
        db.session.add(BankLine(statement_id=statement.id, bank_account_id=bank.id, row=row,
                                booked_on=today, deposit=1000, fingerprint=f"f{row}", state=state,
                                dismiss_reason="利息" if state == "dismissed" else None))
    db.session.commit()
    sign_in("office")
    page = client.get("/office/").get_data(as_text=True)
    attention = page.split('class="card attention"')[1].split("</section>")[0]
    late = attention.split('class="attention-overdue_instalments"')[1].split("</li>")[0]
    assert "期日を過ぎた分割寄附: 1件" in late and "株式会社量子電機" in late
    assert f"/office/money/pledges/{agreement.id}" in late
    payouts = attention.split('class="attention-unreconciled_payouts"')[1].split("</li>")[0]
    assert "照合していない入金済みの Stripe 振込: 1件" in payouts and "¥45,678" in payouts
    lines = attention.split('class="attention-unmatched_bank_lines"')[1].split("</li>")[0]
    assert "照合していない銀行明細: 2行" in lines and "/office/money/bank" in lines
    english = client.get("/office/?lang=en").get_data(as_text=True)
    assert "1 pledge instalment is past its due date" in english
    assert "1 Stripe payout has arrived and is not reconciled" in english
    assert "2 bank lines are not matched yet" in english
