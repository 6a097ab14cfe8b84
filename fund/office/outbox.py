"""The outbox as the office reads it: each mail as sent, its links, and the local catch-all.

`make run` hands mail to a catch-all SMTP server on loopback that keeps each
message as an .eml file (MAIL_CATCHALL_DIR); the office opens them here as a
donor's mail program would.
"""
import re
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from fund.core.extensions import db
from fund.core.models import MAIL_STATES, OutboundEmail

URL = re.compile(r"https?://[^\s<>\"')]+")
PAGE_SIZE = 100


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def links(message):
    """Every link the donor can follow in the mail, text and HTML, in order, once each."""
    found = URL.findall(message.body or "")
    if message.html:
        parser = _Links()
        parser.feed(message.html)
        found += parser.links
    return list(dict.fromkeys(found))


def listing(status=None, before_id=None, limit=PAGE_SIZE):
    """The newest mail first; `status` one of MailStatus; `before_id` pages back."""
    query = db.select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)
    if status in MAIL_STATES:
        query = query.where(OutboundEmail.status == status)
    if before_id:
        query = query.where(OutboundEmail.id < before_id)
    return db.session.execute(query).scalars().all()


def catchall(directory, limit=200):
    """The messages the local catch-all kept, newest first: [(name, message)]."""
    if not directory or not Path(directory).is_dir():
        return []
    files = sorted(Path(directory).glob("*.eml"), key=lambda path: path.name, reverse=True)
    return [(path.name, _read(path)) for path in files[:limit]]


def catchall_message(directory, name):
    """One kept message by file name, or None (no path tricks: the name is looked up)."""
    if not directory or not re.fullmatch(r"[0-9A-Za-z_.-]+\.eml", name or ""):
        return None
    path = Path(directory) / name
    return _read(path) if path.is_file() else None


def _read(path):
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def parts(message):
    """(text, html) bodies of a parsed mail (either may be None)."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return (text.get_content() if text else None, html.get_content() if html else None)
