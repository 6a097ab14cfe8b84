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
