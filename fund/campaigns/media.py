"""Pictures of campaigns and projects: checked by their first bytes, kept in the database."""
import hashlib

from fund.core.errors import ValidationFailed
from fund.core.i18n import gettext_for

MAX_IMAGE_BYTES = 5 * 1024 * 1024


def sniff_image(data):
    """The content type of PNG, JPEG or WebP bytes (by magic number), else None.

    The file name and the browser's claimed type are never trusted.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_image(data, lang, max_bytes=MAX_IMAGE_BYTES):
    """(content_type, sha256) of an upload, or ValidationFailed naming what is wrong."""
    if not data:
        raise ValidationFailed(gettext_for(lang, "Choose a picture to upload."),
                               errors={"image": "missing"})
    if len(data) > max_bytes:
        raise ValidationFailed(
            gettext_for(lang, "The picture is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)),
            errors={"image": "too_large"})
    content_type = sniff_image(data)
    if content_type is None:
        raise ValidationFailed(gettext_for(lang, "Upload a PNG, JPEG or WebP picture."),
                               errors={"image": "type"})
    return content_type, hashlib.sha256(data).hexdigest()
