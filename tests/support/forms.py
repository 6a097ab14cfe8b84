"""Helpers for posting the public form as a browser would (with its CSRF token)."""
import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, url="/donate"):
    page = client.get(url).get_data(as_text=True)
    return CSRF.search(page).group(1)


def donation_form(**overrides):
    data = {
        "destination": "general",
        "amount_choice": "5000",
        "amount_other": "",
        "donor_kind": "individual",
        "name": "量子 花子",
        "name_kana": "リョウシ ハナコ",
        "email": "hanako@example.jp",
        "postal_code": "263-8555",
        "prefecture": "千葉県",
        "city": "千葉市稲毛区",
        "street": "穴川4-9-1",
        "phone": "",
        "wants_receipt": "y",
        "message": "応援しています",
        "agree_privacy": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_donation(client, token=None, **overrides):
    data = donation_form(**overrides)
    data["csrf_token"] = csrf_token(client)
    if token:
        data["card_token"] = token
    return client.post("/donate", data=data)
