"""Fixed-window rate limits, in Redis when configured (shared by every worker).

A donation form is a favourite tool for testing stolen cards: the number of
payment attempts per client address is capped, and so are staff sign-ins.
Without RATELIMIT_STORAGE_URL the counters live in this process (`make run`).
"""
import threading
import time

from flask import current_app

_local = {}
_local_lock = threading.Lock()


def _redis():
    url = current_app.config.get("RATELIMIT_STORAGE_URL")
    if not url:
        return None
    cached = current_app.extensions.get("fund.ratelimit")
    if cached is None or cached[0] != url:
        import redis
        cached = (url, redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
        current_app.extensions["fund.ratelimit"] = cached
    return cached[1]


def parse(rule):
    """'10/600' -> (10 hits, 600 seconds)."""
    hits, _, seconds = str(rule).partition("/")
    return int(hits), int(seconds or 60)


def hit(scope, key, rule):
    """Count one attempt; return True while the caller is within the limit."""
    limit, window = parse(rule)
    if limit <= 0:
        return True
    bucket = int(time.time()) // window
    name = f"fund:rl:{scope}:{key}:{bucket}"
    client = _redis()
    if client is not None:
        try:
            with client.pipeline() as pipe:
                pipe.incr(name)
                pipe.expire(name, window + 5)
                count = pipe.execute()[0]
            return count <= limit
        except Exception:  # a limiter outage must not stop donations
            current_app.logger.warning("rate limiter unavailable", exc_info=True)
            return True
    with _local_lock:
        for old in [k for k in _local if not k.endswith(f":{bucket}")]:
            del _local[old]
        _local[name] = _local.get(name, 0) + 1
        return _local[name] <= limit
