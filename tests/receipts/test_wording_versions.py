"""Receipt wording is versioned: a newer wording never changes a receipt already issued."""
import hashlib
import shutil
from datetime import timedelta

from babel.messages.pofile import read_po, write_po

from fund.core import clock
from fund.core.extensions import db
from fund.receipts import issuing as receipts
from fund.receipts import pdf, wording
from tests.receipts.helpers import ACTOR, paid_gift, pdf_text

NEW_TEXT = "この文言は新しい版でのみ印刷されます。"


def _new_version(tmp_path, monkeypatch, first_day):
    """A copy of the newest catalogues as version 2099.1, with one statement reworded
    (it takes the newest version's rules: wording.rules_for)."""
    latest = wording.WORDING[-1][1]
    catalogues = tmp_path / "wording"
    shutil.copytree(wording.CATALOGUES, catalogues)
    shutil.copytree(catalogues / latest, catalogues / "2099.1")
    path = catalogues / "2099.1" / "ja.po"
    with open(path, "rb") as f:
        catalogue = read_po(f, locale="ja")
    catalogue[wording.rules_for(latest).tax["individual"]].string = NEW_TEXT
    with open(path, "wb") as f:
        write_po(f, catalogue, width=0)
    monkeypatch.setattr(wording, "CATALOGUES", catalogues)
    monkeypatch.setattr(wording, "WORDING", wording.WORDING + ((first_day, "2099.1"),))
    wording._catalogue.cache_clear()


def test_an_issued_receipt_keeps_its_wording_when_a_new_version_starts(ctx, tmp_path, monkeypatch):
    old = receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR)
    db.session.commit()
    try:
        _new_version(tmp_path, monkeypatch, clock.today_jst() + timedelta(days=1))
        again = receipts.pdf_bytes(old)
        assert hashlib.sha256(again).hexdigest() == old.sha256
        assert NEW_TEXT not in "".join(pdf_text(again).split())

        # A receipt issued from that day on (the row stays as issued: printable's copy).
        later = receipts.printable(receipts.issue_for_donation(donation=paid_gift(), actor=ACTOR))
        later.issued_on = clock.today_jst() + timedelta(days=1)
        text = "".join(pdf_text(pdf.render_receipt(later)).split())
        assert NEW_TEXT in text and wording.version_for(later.issued_on) == "2099.1"
    finally:
        wording._catalogue.cache_clear()


def test_every_wording_has_its_japanese_text():
    for version_dir in sorted(wording.CATALOGUES.iterdir()):
        with open(version_dir / "ja.po", "rb") as f:
            catalogue = read_po(f, locale="ja")
        assert [m.id for m in catalogue if m.id and not m.string] == [], version_dir.name
        with open(version_dir / "en.po", "rb") as f:
            english = read_po(f, locale="en")
        assert {m.id for m in english if m.id} == {m.id for m in catalogue if m.id}
