"""Reading Stripe's itemized payout reconciliation report, and what it refuses."""
import pytest

from fund.accounting import stripe_report
from fund.core.errors import ValidationFailed
from tests.support.stripe_report import COLUMNS, report, row


def test_rows_in_whole_yen_with_their_payout(ctx):
    rows = stripe_report.parse(report([
        row("txn_1", 5000, fee=180, source="ch_1", charge_id="ch_1", intent_id="pi_1"),
        row("txn_2", -2000, category="refund", source="re_1"),
    ]), "en")
    first, second = rows
    assert (first.gross, first.fee, first.net, first.payout_id) == (5000, 180, 4820, "po_report_1")
    assert first.created.isoformat() == "2026-05-10T03:00:00+00:00"
    assert first.payout_effective_at.date().isoformat() == "2026-05-15"
    assert (first.charge_id, first.payment_intent_id) == ("ch_1", "pi_1")
    assert (second.gross, second.net, second.reporting_category) == (-2000, -2000, "refund")


def test_the_version_without_utc_columns_reads_too(ctx):
    columns = [c.replace("_utc", "") for c in COLUMNS]
    data = report([{k.replace("_utc", ""): v for k, v in row("txn_1", 5000).items()}],
                  columns=columns)
    assert stripe_report.parse(data, "en")[0].gross == 5000


def test_missing_columns_are_named(ctx):
    columns = [c for c in COLUMNS if c not in ("fee", "automatic_payout_id")]
    with pytest.raises(ValidationFailed) as err:
        stripe_report.parse(report([row("txn_1", 5000)], columns=columns), "en")
    assert err.value.errors["missing"] == ["fee", "automatic_payout_id"]
    assert "fee, automatic_payout_id" in err.value.message


def test_another_currency_is_refused(ctx):
    with pytest.raises(ValidationFailed) as err:
        stripe_report.parse(report([row("txn_1", 5000), row("txn_2", 50, currency="usd")]), "en")
    assert err.value.errors == {"file": "currency", "line": 3} and "usd" in err.value.message


def test_a_balance_transaction_twice_is_refused(ctx):
    with pytest.raises(ValidationFailed) as err:
        stripe_report.parse(report([row("txn_1", 5000), row("txn_1", 5000)]), "en")
    assert err.value.errors["file"] == "duplicate_rows" and "txn_1" in err.value.message


def test_fractions_of_a_yen_and_bad_dates(ctx):
    bad = row("txn_1", 5000)
    bad["gross"] = "5000.50"
    with pytest.raises(ValidationFailed) as err:
        stripe_report.parse(report([bad]), "en")
    assert err.value.errors["line"] == 2
    bad = row("txn_1", 5000, created="yesterday")
    with pytest.raises(ValidationFailed):
        stripe_report.parse(report([bad]), "en")


@pytest.mark.parametrize("text, expected", [
    ("2026-05-10 03:00:00", "2026-05-10T03:00:00+00:00"),
    ("2026-05-10T03:00:00Z", "2026-05-10T03:00:00+00:00"),
    ("2026-05-10 12:00:00+0900", "2026-05-10T12:00:00+09:00"),
    ("2026-05-10", "2026-05-10T00:00:00+00:00"),
    ("2026-5-10 3:00:00", "2026-05-10T03:00:00+00:00"),  # strptime's looser digits still read
])
def test_dates_in_each_form_the_report_uses(ctx, text, expected):
    rows = stripe_report.parse(report([row("txn_1", 5000, created=text)]), "en")
    assert rows[0].created.isoformat() == expected


@pytest.mark.parametrize("text", ["2026-02-30 03:00:00", "2026-05-10 24:00:00",
                                  "2026-05-10 03:00:60", "2026-05-10 03:00", "10/05/2026"])
def test_dates_out_of_range_or_in_another_form_are_refused(ctx, text):
    with pytest.raises(ValidationFailed) as err:
        stripe_report.parse(report([row("txn_1", 5000, created=text)]), "en")
    assert err.value.errors == {"file": "value", "line": 2}


def test_amounts_with_marks_signs_or_blank_read_as_before(ctx):
    item = row("txn_1", 5000)
    item.update(gross="¥5,000", fee="", net="＋５０００")
    first = stripe_report.parse(report([item]), "en")[0]
    assert (first.gross, first.fee, first.net) == (5000, 0, 5000)
    item.update(gross="-0.00", fee="-36", net="-2,000.0")
    first = stripe_report.parse(report([item]), "en")[0]
    assert (first.gross, first.fee, first.net) == (0, -36, -2000)


def test_a_short_row_reads_its_missing_cells_as_blank(ctx):
    data = report([row("txn_1", 5000, charge_id="ch_1", intent_id="pi_1")])
    header, line = data.decode().splitlines()
    cells = line.split(",")
    short = ",".join(cells[:header.split(",").index("charge_id")])
    first = stripe_report.parse(f"{header}\n{short}\n".encode(), "en")[0]
    assert (first.charge_id, first.payment_intent_id, first.gross) == ("", "", 5000)
