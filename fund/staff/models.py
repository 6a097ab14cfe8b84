"""Staff accounts and their roles (admin, office, accountant), with their second factor."""
from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow
from fund.staff import passwords

ROLES = ("admin", "office", "accountant")


class StaffUser(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)
    # TOTP: the secret is set when enrolment starts and counts once confirmed with a code.
    totp_secret = db.Column(db.String(64), nullable=True)
    totp_confirmed_at = db.Column(TZDateTime, nullable=True)
    # The last time step whose code was accepted: a code works once.
    totp_last_step = db.Column(db.BigInteger, nullable=True)
    # Part of every staff session cookie; raised at sign-out and password change, so
    # a copied cookie stops working then (sessions are signed cookies, not server rows).
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (db.CheckConstraint(f"role IN {ROLES}", name="role"),)

    recovery_codes = db.relationship("StaffRecoveryCode", back_populates="staff",
                                     cascade="all, delete-orphan")

    @property
    def has_second_factor(self):
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    def set_password(self, password):
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password):
        return passwords.verify(self.password_hash, password)[0]

    def has_role(self, *roles):
        return self.active and (self.role == "admin" or self.role in roles)

    def __repr__(self):
        return f"<StaffUser {self.email} {self.role}>"


class StaffRecoveryCode(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"), nullable=False, index=True)
    code_sha256 = db.Column(db.String(64), nullable=False, unique=True)
    used_at = db.Column(TZDateTime, nullable=True)

    staff = db.relationship("StaffUser", back_populates="recovery_codes")

    def __repr__(self):
        return f"<StaffRecoveryCode staff={self.staff_id} used={self.used_at is not None}>"
