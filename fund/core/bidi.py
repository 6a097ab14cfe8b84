"""Text a person typed, shown beside ours without reordering ours.

A donor's name, address or message may hold bidirectional controls (U+202E
RIGHT-TO-LEFT OVERRIDE, embeddings, isolates). Stored as given, they would
still reverse whatever follows them on the same line: the honorific after a
name on a receipt, the date after a name under a message, the rest of a line
in a mail. `isolate` (the Jinja filter of that name) keeps their effect inside
the value: in HTML (pages and the receipt PDF) by a <bdi> element, in plain
text (mails) by FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE around it. A value
without such a control is returned exactly as before, so pages and receipts
of ordinary names are byte for byte what they were.
"""
import re

from jinja2 import pass_eval_context
from markupsafe import Markup, escape

# Embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
FSI, PDI = "\u2068", "\u2069"


def isolate_text(text):
    """`text` wrapped so that no control inside reaches past its end (plain text).

    A PDI inside closes one isolate early, so the value is opened once more than it
    holds PDIs: however it is built, the last of ours still holds when it ends."""
    depth = text.count(PDI) + 1
    return FSI * depth + text + PDI * depth


@pass_eval_context
def isolate(eval_ctx, value):
    """The Jinja filter: `{{ donor.name|isolate }}`."""
    text = "" if value is None else str(value)
    if not CONTROLS.search(text):
        return escape(text) if eval_ctx.autoescape else text
    if eval_ctx.autoescape:
        # <bdi> isolates in browsers and in WeasyPrint; the characters inside are
        # isolated as well, for an element boundary a reader may not honour.
        return Markup("<bdi>%s</bdi>") % isolate_text(text)
    return isolate_text(text)
