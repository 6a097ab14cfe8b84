"""`flask fund seed --demo-staff` books a year of demo money once; the books then agree."""
import traceback

from fund.ledger import check, statements
from fund.ledger.models import Entry
from fund.core.extensions import db


def test_the_demo_seed_books_a_year_of_money_once(app, ctx, client, sign_in):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["fund", "seed", "--demo-staff"])
    assert first.exit_code == 0, "".join(traceback.format_exception(*first.exc_info))
    assert "demo money: 60 card gifts, a bank transfer, a payout, an allocation, a spend" in first.output
    categories = {c for c, in db.session.execute(db.select(Entry.category).distinct())}
    assert {"gift", "fee", "payout", "allocation", "spend"} <= categories
    count = db.session.query(Entry).count()
    second = runner.invoke(args=["fund", "seed", "--demo-staff"])
    assert "demo money already present" in second.output
    assert db.session.query(Entry).count() == count
    report = check.run()
    assert report.ok, report.problems
    scalpel = statements.account_for("project", "quantum-scalpel-magnet")
    assert scalpel.balance > 0
    sign_in("accountant")
    page = client.get("/office/ledger/statements/").get_data(as_text=True)
    assert "fund:project:quantum-scalpel-magnet" in page and "bank:main" in page
