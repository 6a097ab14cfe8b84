"""Japanese fonts for receipts: which one is installed, and which characters can be drawn.

Used by the wording (to print 〓 for a character no font covers) and by the
renderer (to refuse receipts when no Japanese font is installed).
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

# Families the stylesheet asks for, best first. fontconfig names them so.
JAPANESE_FAMILIES = ("IPAexMincho", "IPAexGothic", "Noto Serif CJK JP", "Noto Sans CJK JP")
# Where Debian/Ubuntu put them, for hosts without the fc-* tools.
KNOWN_FONT_FILES = {
    "IPAexMincho": ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
                    "/usr/share/fonts/truetype/ipaexfont-mincho/ipaexm.ttf"),
    "IPAexGothic": ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
                    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    "Noto Serif CJK JP": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",),
    "Noto Sans CJK JP": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
}

class FontMissing(Exception):
    """No Japanese font is installed, so no receipt can be issued."""

    def __init__(self, message=None):
        super().__init__(message or (
            "No Japanese font found (looked for IPAexMincho/IPAexGothic/"
            "Noto Serif CJK JP/Noto Sans CJK JP); install the Debian package "
            "fonts-ipaexfont (apt-get install fonts-ipaexfont): receipts are not issued"))


@functools.lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """The family name of an installed Japanese font, or None. Cached."""
    families = _fontconfig_families()
    if families is not None:
        for family in JAPANESE_FAMILIES:
            if family.lower() in families:
                return family
        return None
    for family, paths in KNOWN_FONT_FILES.items():
        if any(os.path.exists(path) for path in paths):
            return family
    return None


def _fontconfig_families():
    """Lower-cased family names fontconfig knows for Japanese, None without fc-list."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=ja", "family"], capture_output=True, text=True,
            timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # One line per face; a face may list several names ("IPAexGothic,IPAexゴシック").
    return {name.strip().lower() for line in out.splitlines() for name in line.split(",")}


def require_japanese_font() -> str:
    """Return the Japanese font family, or raise FontMissing."""
    family = japanese_font()
    if family is None:
        raise FontMissing()
    return family


# A character no installed font can draw prints as an empty box (.notdef)
# and garbles the PDF's text layer around it; such characters print as 〓
# (geta, the printers' mark for a missing character) and are logged.
GETA = "〓"


@functools.lru_cache(maxsize=1)
def _drawable_codepoints() -> frozenset:
    """Every code point some installed font covers (Pango may fall back to any)."""
    from fontTools.ttLib import TTFont

    files = set()
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run([fc_list, ":", "file"], capture_output=True, text=True,
                                 timeout=20, check=True).stdout
            files = {line.split(":")[0].strip() for line in out.splitlines() if line.strip()}
        except (OSError, subprocess.SubprocessError):
            files = set()
    if not files:
        files = {path for paths in KNOWN_FONT_FILES.values() for path in paths
                 if os.path.exists(path)}
    points = set()
    for path in sorted(files):
        try:
            collection = path.lower().endswith((".ttc", ".otc"))
            font = TTFont(path, lazy=True, fontNumber=0) if collection else TTFont(path, lazy=True)
            points.update(font.getBestCmap() or {})
        except Exception:  # an unreadable font is one fewer fallback, not an error
            log.debug("cannot read cmap of %s", path, exc_info=True)
    return frozenset(points)


def missing(text: str) -> set:
    """The characters of `text` that no installed font can draw."""
    if not text or text.isascii():
        return set()
    points = _drawable_codepoints()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in points}


def drawable(text: str) -> str:
    """`text` with characters no installed font covers replaced by 〓.

    Receipts never get here with such a character: fund.receipts.holds holds
    them for the office first. This is the last guard for the rest.
    """
    if text.isascii():
        return text
    missing_ = missing(text)
    if not missing_:
        return text
    log.warning("no font for %s (U+%s): printed as %s", "".join(sorted(missing_)),
                ", U+".join(f"{ord(ch):04X}" for ch in sorted(missing_)), GETA)
    return "".join(GETA if ch in missing_ else ch for ch in text)
