"""What staff type into office and accountant forms: full-width digits, yen marks, blanks."""
import pytest

from fund.core.errors import ValidationFailed
from fund.web import forms

ARGS = {"year": forms.Number(), "status": forms.Choice(("valid", "void")), "amount": forms.Yen()}


@pytest.mark.parametrize("query,expected", [
    ("", {"year": None, "status": None, "amount": None}),
    ("year=2026&status=void", {"year": 2026, "status": "void", "amount": None}),
    ("year=２０２６&status=+valid+", {"year": 2026, "status": "valid", "amount": None}),
    ("year=&status=&amount=", {"year": None, "status": None, "amount": None}),
    ("amount=¥15,000", {"year": None, "status": None, "amount": 15000}),
    ("amount=１５，０００", {"year": None, "status": None, "amount": 15000}),
])
def test_staff_input_is_read_as_typed(app, query, expected):
    with app.test_request_context(f"/accountant/?{query}"):
        assert forms.query(ARGS) == expected


@pytest.mark.parametrize("query,field", [
    ("year=abc", "year"), ("year=-1", "year"), ("year=20.5", "year"),
    ("status=lost", "status"), ("amount=1.5", "amount"), ("amount=ten", "amount"),
])
def test_bad_staff_input_is_refused_naming_the_field(app, query, field):
    with app.test_request_context(f"/accountant/?{query}"):
        with pytest.raises(ValidationFailed) as refused:
            forms.query(ARGS)
    assert list(refused.value.errors) == [field]
    assert field in refused.value.message and refused.value.status == 422


def test_a_full_width_year_filters_the_accountant_desk(client, sign_in):
    sign_in("accountant")
    assert client.get("/accountant/?year=２０２６").status_code == 200
    assert client.get("/accountant/?year=二〇二六").status_code == 422


DATES = {"day": forms.Day(), "moment": forms.Moment()}


@pytest.mark.parametrize("query,day,moment", [
    ("day=2027-04-01&moment=2027-04-01 00:30", "2027-04-01", "2027-03-31T15:30:00+00:00"),
    ("day=２０２７年４月１日&moment=２０２７／０４／０１　０９：００", "2027-04-01",
     "2027-04-01T00:00:00+00:00"),
    ("day=2027/4/1&moment=2027-04-01", "2027-04-01", "2027-03-31T15:00:00+00:00"),
])
def test_days_and_moments_are_read_in_japan_time(app, query, day, moment):
    with app.test_request_context(f"/office/?{query}"):
        found = forms.query(DATES)
    assert found["day"].isoformat() == day and found["moment"].isoformat() == moment


def test_a_malformed_date_is_refused_in_the_pages_language(app):
    for lang, text in (("ja", "2026-04-01のように"), ("en", "Write the date as 2026-04-01.")):
        with app.test_request_context(f"/office/?day=2026-02-30&lang={lang}"):
            from flask_babel import refresh
            refresh()
            with pytest.raises(ValidationFailed) as refused:
                forms.query(DATES)
        assert text in refused.value.errors["day"]
