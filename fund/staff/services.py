"""Staff accounts: create or update one, check a password and a second factor, sign out."""
from flask import current_app

from fund.core import audit
from fund.core.extensions import db
from fund.core.models import utcnow
from fund.staff import passwords, second_factor
from fund.staff.models import StaffRecoveryCode, StaffUser


def create_staff(email, name, role, password):
    """Create the account, or update it (a new password ends its other sessions)."""
    email = email.strip().lower()
    user = db.session.execute(db.select(StaffUser).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = StaffUser(email=email, name=name, role=role, session_version=0)
        db.session.add(user)
    else:
        user.session_version = (user.session_version or 0) + 1
    user.name, user.role, user.active = name, role, True
    user.set_password(password)
    db.session.commit()
    return user


def authenticate(email, password):
    """The active staff user with this email and password, or None.

    A hash made at an older cost (or by the pre-Argon2 scheme) is replaced by
    one at the current cost while the password is at hand.
    """
    user = db.session.execute(
        db.select(StaffUser).filter_by(email=(email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        # The same work as a real check, so timing does not tell which addresses exist.
        passwords.verify(_decoy_hash(), password or "")
        return None
    matches, stale = passwords.verify(user.password_hash, password or "")
    if not matches:
        return None
    if stale:
        user.set_password(password)
        audit.record(audit.staff(user), "staff.password_rehashed", user)
        db.session.commit()
    return user


def _decoy_hash():
    cached = current_app.extensions.get("fund.staff.decoy")
    if cached is None:
        cached = current_app.extensions["fund.staff.decoy"] = passwords.hash_password("decoy")
    return cached


def needs_second_factor(user):
    """Admins always; everyone once enrolled; everyone when STAFF_REQUIRE_TOTP is set."""
    return (user.role == "admin" or user.has_second_factor
            or bool(current_app.config.get("STAFF_REQUIRE_TOTP")))


def start_enrolment(user):
    """A new TOTP secret for `user`, not in force until a code from it is confirmed."""
    if user.has_second_factor:
        return user.totp_secret
    if user.totp_secret is None:
        user.totp_secret = second_factor.new_secret()
        db.session.commit()
    return user.totp_secret


def confirm_enrolment(user, code):
    """Put the second factor in force with a first code; returns the recovery codes
    (shown once), or None when the code is wrong."""
    if user.totp_secret is None or user.has_second_factor:
        return None
    step = second_factor.matching_step(user.totp_secret, code, after_step=None)
    if step is None:
        return None
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    codes = second_factor.new_recovery_codes()
    user.recovery_codes = [StaffRecoveryCode(code_sha256=second_factor.recovery_hash(c))
                           for c in codes]
    audit.record(audit.staff(user), "staff.second_factor_enrolled", user)
    db.session.commit()
    return codes


def check_second_factor(user, code):
    """True for a fresh TOTP code or an unused recovery code (then used up)."""
    if not user.has_second_factor:
        return False
    step = second_factor.matching_step(user.totp_secret, code, after_step=user.totp_last_step)
    if step is not None:
        # Conditional update: two requests racing with one code cannot both win.
        won = db.session.execute(
            db.update(StaffUser).where(StaffUser.id == user.id,
                                       db.or_(StaffUser.totp_last_step.is_(None),
                                              StaffUser.totp_last_step < step))
            .values(totp_last_step=step)).rowcount
        db.session.commit()
        return bool(won)
    spent = db.session.execute(
        db.update(StaffRecoveryCode)
        .where(StaffRecoveryCode.staff_id == user.id,
               StaffRecoveryCode.code_sha256 == second_factor.recovery_hash(code),
               StaffRecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if spent:
        audit.record(audit.staff(user), "staff.recovery_code_used", user)
    db.session.commit()
    return bool(spent)


def reset_second_factor(user):
    """Remove the second factor (a lost phone); the next sign-in enrols again."""
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    user.recovery_codes = []
    user.session_version = (user.session_version or 0) + 1
    audit.record(audit.SYSTEM, "staff.second_factor_reset", user)
    db.session.commit()


def end_sessions(user):
    """Sign-out: every cookie issued to this user so far stops working."""
    db.session.execute(db.update(StaffUser).where(StaffUser.id == user.id)
                       .values(session_version=StaffUser.session_version + 1))
    db.session.commit()
