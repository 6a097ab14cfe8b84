"""Where the money went: a campaign's and a project's fund month by month, from the ledger."""
from fund.campaigns.models import Campaign
from fund.core import audit, signals
from fund.core.extensions import db
from fund.donors.models import Donor
from fund.giving import gifts
from fund.ledger import accounts, bookings
from fund.ledger.models import Category
from fund.ledger.posting import Cr, Dr, post
from fund.payments import services as payments
from fund.payments.models import Refund


def _gift(campaign, amount, n):
    donor = Donor(kind="individual", name=f"寄附太郎{n}", email=f"g{n}@example.jp")
    db.session.add(donor)
    db.session.flush()
    payment = gifts.create_gift(donor=donor, amount=amount, method="card", locale="ja",
                                actor=audit.SYSTEM, campaign=campaign, wants_receipt=False,
                                message="秘密のメッセージ")
    payments.mark_succeeded(payment, audit.SYSTEM)
    db.session.commit()
    return payment


def test_the_money_page_shows_received_given_back_passed_on_and_spent(client, seeded, ctx):
    campaign = db.session.query(Campaign).one()
    project = campaign.project
    first = _gift(campaign, 30000, 1)
    _gift(campaign, 20000, 2)
    db.session.add(Refund(payment=first, amount=5000, state="succeeded", reason="test"))
    db.session.flush()
    signals.refund_succeeded.send(first.refunds[0], actor=audit.SYSTEM)
    db.session.commit()
    today = first.succeeded_at.date()
    post(key="alloc:test-1", category=Category.ALLOCATION, effective_date=today,
         lines=[Dr(accounts.for_campaign(campaign), 40000), Cr(accounts.for_project(project), 40000)],
         actor=audit.SYSTEM, memo="試作機の光学系へ")
    bookings.book_payout(payout_id="po_test_1", amount=45000, arrival_date=today,
                         actor=audit.SYSTEM)
    post(key="spend:test-1", category=Category.SPEND, effective_date=today,
         lines=[Dr(accounts.for_project(project), 12000), Cr(accounts.bank("main"), 12000)],
         actor=audit.SYSTEM, memo="レーザーダイオード 1個（光学部品店）")
    db.session.commit()

    page = client.get("/campaigns/airborne-virus-laser-2026/money?lang=ja").get_data(as_text=True)
    month = today.strftime("%Y-%m")
    row = page.split(f'data-month="{month}"')[1].split("</tr>")[0]
    assert "¥50,000" in row and "-¥5,000" in row and "-¥40,000" in row
    assert 'id="held">¥5,000' in page
    assert "寄附太郎" not in page and "秘密のメッセージ" not in page and "g1@example.jp" not in page
    spent = client.get("/projects/airborne-virus-laser/money?lang=ja").get_data(as_text=True)
    assert "レーザーダイオード 1個（光学部品店）" in spent and "¥12,000" in spent
    assert 'id="held">¥28,000' in spent and 'id="total-spent">¥12,000' in spent
    english = client.get("/campaigns/airborne-virus-laser-2026/money?lang=en").get_data(as_text=True)
    assert "Where the money went" in english and "Given back" in english
    assert 'id="money-link"' in client.get("/campaigns/airborne-virus-laser-2026").get_data(
        as_text=True)


def test_a_fund_with_no_money_yet_says_so(client, seeded, ctx):
    page = client.get("/projects/quantum-scalpel-magnet/money?lang=en").get_data(as_text=True)
    assert "Nothing has been received yet." in page and "Nothing has been spent yet." in page
    assert client.get("/projects/nothing/money").status_code == 404
