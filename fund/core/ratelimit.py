"""Rate limits (the `limits` library), in Redis when configured so every worker shares them.

A donation form is a favourite tool for testing stolen cards: the number of
payment attempts per client address is capped, and so are staff sign-ins.
Without RATELIMIT_STORAGE_URL the counters live in this process (`make run`).
If Redis cannot be reached the limiter falls back to counters in this process
and logs it: the limits still hold (per worker, so a little looser), a gift is
never refused because Redis is down, and card testing or password guessing
does not get a free run during the outage (see the README).
"""
import logging

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)


def parse(rule):
    """'10/600' -> (10 hits, 600 seconds); the configuration's notation."""
    hits, _, seconds = str(rule).partition("/")
    return int(hits), int(seconds or 60)


def _limiter():
    url = current_app.config.get("RATELIMIT_STORAGE_URL") or "memory://"
    cached = current_app.extensions.get("fund.ratelimit")
    if cached is None or cached[0] != url:
        options = {"socket_timeout": 2, "socket_connect_timeout": 2} if url.startswith("redis") else {}
        storage = storage_from_string(url, **options)
        cached = (url, FixedWindowRateLimiter(storage))
        current_app.extensions["fund.ratelimit"] = cached
    return cached[1]


def hit(scope, key, rule):
    """Count one attempt; return True while the caller is within the limit."""
    limit, window = parse(rule)
    if limit <= 0:
        return True
    item = RateLimitItemPerSecond(limit, window)
    try:
        return _limiter().hit(item, "fund", scope, str(key))
    except Exception:  # the shared store is down: count in this process meanwhile
        log.warning("rate limiter storage unavailable; counting in this process",
                    exc_info=True)
    try:
        return _fallback().hit(item, "fund", scope, str(key))
    except Exception:  # never refuse a request because counting failed
        log.warning("rate limiter unavailable; request let through", exc_info=True)
        return True


def _fallback():
    limiter = current_app.extensions.get("fund.ratelimit.fallback")
    if limiter is None:
        limiter = FixedWindowRateLimiter(storage_from_string("memory://"))
        current_app.extensions["fund.ratelimit.fallback"] = limiter
    return limiter
