"""TOTP second factor for staff sign-in (RFC 6238, 30-second steps, 6 digits).

A code is accepted once: the step it belongs to is remembered, so a code seen
over someone's shoulder (or replayed from a log) cannot open a second session.
Recovery codes are random, shown once at enrolment, stored as SHA-256 and used
up one by one.
"""
import hashlib
import hmac
import secrets
import time

import pyotp
import segno

ISSUER = "QST Future Fund"
STEP_SECONDS = 30
RECOVERY_CODES = 10


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, email):
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri):
    """The otpauth:// URI as an SVG QR code in a data: URI (CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_step(secret, code, after_step, now=None):
    """The time step `code` belongs to (now, or one step either side for clock drift),
    if it is later than `after_step`; otherwise None."""
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes():
    """Ten codes such as 'k7qm-2x9d-hf': 55 bits each, easy to copy from paper."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(11))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def recovery_hash(code):
    normal = "".join(ch for ch in str(code or "").lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()
