from werkzeug.security import check_password_hash, generate_password_hash

from fund.core.extensions import db
from fund.core.models import TZDateTime, utcnow

ROLES = ("admin", "office", "accountant")


class StaffUser(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.CheckConstraint(f"role IN {ROLES}", name="role"),)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles):
        return self.active and (self.role == "admin" or self.role in roles)

    def __repr__(self):
        return f"<StaffUser {self.email} {self.role}>"
