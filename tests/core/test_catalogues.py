"""Every text a page or mail can show has a Japanese translation, and no two catalogues disagree."""
import pathlib

from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _catalogues(lang):
    for path in sorted(ROOT.glob(f"fund/*/translations/{lang}/LC_MESSAGES/messages.po")):
        with open(path, "rb") as f:
            yield path.relative_to(ROOT), read_po(f, locale=lang)


def test_every_message_has_a_japanese_translation():
    missing = [(str(path), message.id) for path, catalogue in _catalogues("ja")
               for message in catalogue if message.id and not all(
                   message.string if isinstance(message.string, tuple) else [message.string])]
    assert missing == []


def test_no_fuzzy_or_obsolete_entries():
    for lang in ("ja", "en"):
        for path, catalogue in _catalogues(lang):
            assert not [m.id for m in catalogue if m.id and m.fuzzy], path
            assert not catalogue.obsolete, path


def test_catalogues_that_share_a_message_translate_it_alike():
    # Flask-Babel merges the packages' catalogues into one: a message must mean one thing.
    seen = {}
    for path, catalogue in _catalogues("ja"):
        for message in catalogue:
            if message.id:
                key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
                seen.setdefault(key, set()).add(str(message.string))
    assert {key: texts for key, texts in seen.items() if len(texts) > 1} == {}


def test_the_catalogues_hold_every_message_of_the_code_and_templates(tmp_path):
    """`make catalogues` would add nothing: no text was written without its translation."""
    from babel.messages.frontend import CommandLineInterface
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0])
             for _, catalogue in _catalogues("ja") for m in catalogue if m.id}
    sources = ["fund", "templates"]
    pot = tmp_path / "all.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k",
        "lazy_gettext", "-k", "gettext_for:2", "-o", str(pot)] + [str(ROOT / s) for s in sources])
    with open(pot, "rb") as f:
        extracted = {(m.context, m.id if isinstance(m.id, str) else m.id[0])
                     for m in read_po(f) if m.id}
    assert sorted(extracted - known, key=str) == []
