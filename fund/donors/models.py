from sqlalchemy import event
from sqlalchemy.dialects import postgresql

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow
from fund.donors import names

DONOR_KINDS = ("individual", "corporation")
RECEIPT_PREFERENCES = ("per_gift", "annual", "none")
# How receipts reach the donor: a PDF link by mail, or on paper the office prints and posts (郵送).
RECEIPT_DELIVERIES = ("email", "post")


class Donor(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False, default="individual")
    # Individuals: name. Corporations: company_name plus representative, and
    # `name` is the contact person who filled in the form.
    name = db.Column(db.String(200), nullable=False)
    name_kana = db.Column(db.String(200), nullable=False, default="")
    company_name = db.Column(db.String(200))
    representative = db.Column(db.String(200))
    email = db.Column(db.String(254), nullable=False, index=True)
    postal_code = db.Column(db.String(16), nullable=False, default="")
    # The whole address as receipts print it; the parts below are what the form asked
    # (prefecture, city, street and number, building) and fill the form again.
    address = db.Column(db.String(500), nullable=False, default="")
    prefecture = db.Column(db.String(16), nullable=False, default="")
    city = db.Column(db.String(200), nullable=False, default="")
    street = db.Column(db.String(200), nullable=False, default="")
    building = db.Column(db.String(200), nullable=False, default="")
    phone = db.Column(db.String(32))
    locale = db.Column(db.String(8), nullable=False, default="ja")
    # 芳名録: opt-in, separate from consent to store data; anonymous by default.
    publish_name = db.Column(db.Boolean, nullable=False, default=False)
    # Mail consent, separate from publication. Non-essential mail (news, appeals) only
    # with consent, off by default; 活動報告 of what they supported unless they opt out.
    # Mail about the donor's own money (thanks, receipts, refunds) is always sent.
    wants_news = db.Column(db.Boolean, nullable=False, default=False)
    wants_reports = db.Column(db.Boolean, nullable=False, default=True)
    mail_preferences_at = db.Column(TZDateTime)
    receipt_preference = db.Column(db.String(16), nullable=False, default="per_gift")
    receipt_delivery = db.Column(db.String(8), nullable=False, default="email")
    stripe_customer_id = db.Column(db.String(64), index=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    # Kept from the fields above on every write (fund.donors.names): the office's search
    # (a trigram index on PostgreSQL) and 名寄せ compare these.
    search_text = db.Column(db.String(1200), nullable=False, default="")
    # Its 1- and 2-character grams (names.grams): a GIN index finds 山田 or 林, which the
    # trigram index cannot. An array on PostgreSQL; kept as JSON on SQLite, unread there.
    search_grams = db.Column(postgresql.ARRAY(db.Text).with_variant(db.JSON(), "sqlite"),
                             nullable=False, default=list)
    name_key = db.Column(db.String(200), nullable=False, default="", index=True)
    email_key = db.Column(db.String(254), nullable=False, default="", index=True)
    phone_key = db.Column(db.String(32), nullable=False, default="", index=True)
    address_key = db.Column(db.String(520), nullable=False, default="")
    # Every gift of this donor counted and summed (GiftFact's rows, any status), kept by
    # fund.office.facts in the transaction that changes a gift: a search that only names
    # donors reads its totals from the donor rows it finds, not from their gifts.
    gift_count = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    gift_paid = db.Column(db.BigInteger, nullable=False, default=0, server_default="0")
    gift_refunded = db.Column(db.BigInteger, nullable=False, default=0, server_default="0")
    gift_lost = db.Column(db.BigInteger, nullable=False, default=0, server_default="0")
    gift_fee = db.Column(db.BigInteger, nullable=False, default=0, server_default="0")
    gift_net = db.Column(db.BigInteger, nullable=False, default=0, server_default="0")
    # 名寄せ: a donor merged into another keeps its row (old links lead on) and nothing else.
    merged_into_id = db.Column(db.Integer, db.ForeignKey("donor.id"), index=True)
    merged_at = db.Column(TZDateTime)

    donations = db.relationship("Donation", back_populates="donor", lazy="dynamic")

    __table_args__ = (
        db.Index("ix_donor_search_trgm", "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}),
        db.Index("ix_donor_search_grams", "search_grams", postgresql_using="gin"),
        db.CheckConstraint(f"kind IN {DONOR_KINDS}", name="kind"),
        db.CheckConstraint(f"receipt_preference IN {RECEIPT_PREFERENCES}",
                           name="receipt_preference"),
        db.CheckConstraint(f"receipt_delivery IN {RECEIPT_DELIVERIES}", name="receipt_delivery"),
    )

    @property
    def receipt_name(self):
        """The name printed on a receipt: the company for corporations."""
        return self.company_name if self.kind == "corporation" else self.name

    def __repr__(self):
        return f"<Donor {self.id} {self.receipt_name!r}>"


@event.listens_for(Donor, "before_insert")
@event.listens_for(Donor, "before_update")
def _keep_keys(_mapper, _connection, donor):
    for name, value in names.keys(donor).items():
        setattr(donor, name, value)


class DonorSignIn(db.Model):
    """A one-time sign-in link mailed to an address (donor self-service, no password).

    Only the SHA-256 of the token is kept: a leaked database opens no session.
    """

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, index=True)
    token_sha256 = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(TZDateTime, nullable=False)
    used_at = db.Column(TZDateTime)

    def __repr__(self):
        return f"<DonorSignIn {self.id} used={self.used_at is not None}>"
