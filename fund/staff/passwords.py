"""Staff password hashes: Argon2id at the configured cost, upgraded at sign-in.

The cost is `STAFF_PASSWORD_HASH` ("t=3,m=65536,p=4": passes, KiB of memory,
lanes; RFC 9106's second recommendation, argon2-cffi's default). When it is
raised, or for a hash written by an older scheme (werkzeug's scrypt/pbkdf2 of
the first accounts), the next successful sign-in stores a new hash: nobody
has to reset a password for the stronger setting to take effect.
"""
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash

DEFAULT_COST = "t=3,m=65536,p=4"


def _cost():
    spec = current_app.config.get("STAFF_PASSWORD_HASH") if has_app_context() else None
    params = dict(part.split("=") for part in (spec or DEFAULT_COST).split(","))
    return PasswordHasher(time_cost=int(params["t"]), memory_cost=int(params["m"]),
                          parallelism=int(params["p"]), type=Type.ID)


def hash_password(password):
    """An Argon2id hash of `password` at the current cost."""
    return _cost().hash(password)


def verify(stored, password):
    """(matches, needs_rehash) for the stored hash; never raises on a bad hash."""
    if stored.startswith("$argon2"):
        hasher = _cost()
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, hasher.check_needs_rehash(stored)
    # Accounts made before Argon2: werkzeug's "scrypt:…" or "pbkdf2:…" form.
    try:
        return check_password_hash(stored, password), True
    except (ValueError, TypeError):
        return False, False
