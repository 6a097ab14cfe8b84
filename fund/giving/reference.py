"""The short reference a donor can read over the phone: QF-7K3M-9P2X.

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V),
so a reference read aloud or typed from paper is not mistaken for another.
29**8 ≈ 5e11 references: unique by a database constraint, drawn at random.
"""
import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 8
PATTERN = re.compile(rf"^QF-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_reference():
    """A fresh random reference, formatted QF-XXXX-XXXX."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"QF-{chars[:4]}-{chars[4:]}"


def normalize(text):
    """What a person typed ("qf 7k3m 9p2x", full-width) as QF-XXXX-XXXX, or None."""
    cleaned = unicodedata.normalize("NFKC", text or "").upper()
    cleaned = re.sub(r"[\s\-‐－ー_.]", "", cleaned)
    if cleaned.startswith("QF"):
        cleaned = cleaned[2:]
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return f"QF-{cleaned[:4]}-{cleaned[4:]}"
