"""The migration that keeps donors' search grams filled them for the donors already there."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fund.core.extensions import db
from fund.donors import names
from fund.donors.models import Donor
from fund.office import search


def test_existing_donors_get_their_grams_and_are_found_by_two_characters(app, ctx):
    db.session.remove()
    downgrade(revision="0420_receipt_hold_annual")
    try:
        donor = sa.Table("donor", sa.MetaData(), autoload_with=db.session.connection())
        assert "search_grams" not in donor.c
        now = datetime(2026, 5, 1, tzinfo=timezone.utc)
        texts = {"山田 花子": "山田花子 やまだはなこ hanako@example.jp 09011112222",
                 "林 一郎": "林一郎 はやしいちろう", "空": ""}
        for name, text in texts.items():
            db.session.execute(donor.insert().values(
                kind="individual", name=name, name_kana="", email=f"{len(text)}@example.jp",
                postal_code="", address="", locale="ja", publish_name=False,
                receipt_preference="per_gift", created_at=now, wants_news=False,
                wants_reports=True, receipt_delivery="email", prefecture="", city="",
                street="", building="", search_text=text, name_key="", email_key="",
                phone_key="", address_key=""))
        db.session.commit()
        db.session.remove()
    finally:
        upgrade()
    rows = {d.name: d for d in db.session.execute(db.select(Donor)).scalars()}
    for name, text in texts.items():
        assert sorted(rows[name].search_grams) == names.grams(text), name
    for word, expected in (("山田", "山田 花子"), ("林", "林 一郎"), ("花子", "山田 花子")):
        found = db.session.execute(db.select(Donor.name).where(
            search.donor_condition(word))).scalars().all()
        assert found == [expected], word
