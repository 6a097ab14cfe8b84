"""No template shows Japanese or English words that did not come through the catalogues.

Every visible text of the donor's pages and mails is a msgid in `_()`; words
written straight into the markup would show the same in both languages. The
test reads each template with Jinja's own lexer, keeps only the literal text
between the tags, and looks for letters in it: in text nodes and in the
attributes a person reads or hears (alt, title, placeholder, aria-label).
Scripts and styles are code, not text, and are skipped.
"""
import pathlib
import re
from html.parser import HTMLParser

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "templates"
# The donor's side; the office and accountant pages join once they are Japanese-first.
COVERED = ["base.html", "error.html", "public", "donor", "email"]
WORDS = re.compile(r"[A-Za-z]{2,}|[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
# <meta content> is read (by search engines and link previews) only for these.
READ_META = {"description", "og:title", "og:description", "og:image:alt", "twitter:title"}
HOLE = "\x00"  # where a Jinja expression or tag stood
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# Attributes a macro writes as text (aria-describedby="…") are markup, not words.
ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')


def _templates():
    for entry in COVERED:
        path = ROOT / entry
        yield from sorted(path.rglob("*.*")) if path.is_dir() else [path]


def literal_text(app, source):
    """The template's literal text, with every expression or tag replaced by HOLE."""
    parts = []
    for _lineno, kind, value in app.jinja_env.lex(source):
        if kind == "data":
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append(HOLE)
    return "".join(parts)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.code = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.code += 1
        attrs = dict(attrs)
        read = set(READ_ATTRIBUTES)
        if tag == "meta" and (attrs.get("name") in READ_META or attrs.get("property") in READ_META):
            read.add("content")
        for name, value in attrs.items():
            if name in read and value and WORDS.search(value.replace(HOLE, " ")):
                self.found.append(f"{tag}[{name}]={value!r}")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.code = max(self.code - 1, 0)

    def handle_data(self, data):
        if not self.code and WORDS.search(ATTRIBUTE.sub(" ", data).replace(HOLE, " ")):
            self.found.append(data.strip())


def strings_outside_gettext(app, source):
    """Japanese in a string constant of an expression that is not a gettext argument.

    (English there cannot be told from names such as 'public.home'.)"""
    found, depth, inside, previous = [], 0, [], None
    for _lineno, kind, value in app.jinja_env.lex(source):
        if kind == "operator" and value == "(":
            depth += 1
            if previous in GETTEXT:
                inside.append(depth)
        elif kind == "operator" and value == ")":
            if inside and inside[-1] == depth:
                inside.pop()
            depth -= 1
        elif kind == "string" and not inside and JAPANESE.search(value):
            found.append(value)
        if kind != "whitespace":
            previous = value if kind == "name" else None
    return found


def untranslated(app, path):
    source = path.read_text(encoding="utf-8")
    text = literal_text(app, source)
    constants = strings_outside_gettext(app, source)
    if constants:
        return constants
    if path.suffix != ".html":  # mail: every character outside the tags is literal text
        return [line.strip() for line in text.splitlines()
                if WORDS.search(line.replace(HOLE, " "))]
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.found


@pytest.mark.parametrize("path", list(_templates()), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_comes_from_the_catalogues(app, path):
    assert untranslated(app, path) == []


def test_the_check_finds_words_written_into_a_template(app, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<p>{{ _("Fine") }}</p><p>寄附する</p><input placeholder="for example 5000"><meta property="og:title" content="Gift">'
                    '<script>var ok = "code";</script><b>{{ amount }} %</b>'
                    "{{ name }} {{ '様' if ja else '' }}{{ _('寄附') }}")
    mail = tmp_path / "mail.txt"
    mail.write_text("{{ _('Fine') }}\nReference: {{ ref }}\n")
    assert strings_outside_gettext(app, page.read_text()) == ["'様'"]
    page.write_text(page.read_text().replace("'様'", "''"))
    assert untranslated(app, page) == ["寄附する", "input[placeholder]='for example 5000'",
                                      "meta[content]='Gift'"]
    assert untranslated(app, mail) == ["Reference: \x00"]
