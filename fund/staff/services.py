"""Staff accounts: create or update one, and check a password at sign-in."""
from fund.core.extensions import db
from fund.staff.models import StaffUser


def create_staff(email, name, role, password):
    email = email.strip().lower()
    user = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = StaffUser(email=email, name=name, role=role)
        db.session.add(user)
    user.name, user.role, user.active = name, role, True
    user.set_password(password)
    db.session.commit()
    return user


def authenticate(email, password):
    """The active staff user with this email and password, or None."""
    user = db.session.execute(
        db.select(StaffUser).filter_by(email=(email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user
