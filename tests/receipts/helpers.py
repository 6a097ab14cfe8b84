"""Receipt test helpers: gifts from the factories, and reading the PDFs."""
import io

from pypdf import PdfReader

from fund.core import audit
from tests.factories import DonorFactory, paid_gift, refund  # noqa: F401  (used by the tests)

ACTOR = audit.Actor("staff", "1")


def donor(**fields):
    return DonorFactory(**fields)


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pages(data):
    return len(PdfReader(io.BytesIO(data)).pages)
