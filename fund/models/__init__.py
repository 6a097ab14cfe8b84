"""All models, imported here so Alembic and the app see the whole schema."""
from fund.models.audit import AuditEntry
from fund.models.campaign import Campaign
from fund.models.donation import Dispute, Donation, Payment, Refund
from fund.models.donor import Donor
from fund.models.email import OutboundEmail
from fund.models.instructions import PaymentInstructions
from fund.models.pledge import Pledge, PledgeInvoice
from fund.models.project import Project
from fund.models.receipt import Receipt, ReceiptJob, ReceiptLine, ReceiptSeries
from fund.models.staff import StaffUser
from fund.models.stripe_event import StripeEvent

__all__ = [
    "AuditEntry", "Campaign", "Donation", "Donor", "OutboundEmail", "Payment",
    "Project", "Receipt", "ReceiptLine", "ReceiptSeries", "StaffUser", "StripeEvent",
    "Refund", "Dispute",
    "PaymentInstructions", "Pledge", "PledgeInvoice",
    "ReceiptJob",
]
