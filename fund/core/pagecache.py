"""A small in-process cache with a bound on staleness, for the parts of public pages that
are the same for every visitor (a campaign's figures, 芳名録 and messages, rendered).

Each worker process keeps its own entries: nothing is shared, so the app stays stateless
and keeps working without Redis. An entry is served for at most `seconds` after it was
made (read from fund.core.clock, so frozen time in tests moves it), then made again;
`seconds <= 0` makes every call (no caching). The number of entries is bounded: the
oldest goes first.
"""
import threading
from datetime import timedelta

from flask import current_app

from fund.core import clock

MAX_ENTRIES = 512


class PageCache:
    def __init__(self, max_entries=MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries = {}
        self._lock = threading.Lock()

    def get_or_make(self, key, seconds, make):
        """The value kept under `key` if it was made less than `seconds` ago, else make()."""
        if seconds <= 0:
            return make()
        now = clock.now()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        # Made outside the lock: two threads may both make it once, which is harmless.
        value = make()
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (now + timedelta(seconds=seconds), value)
        return value

    def clear(self):
        with self._lock:
            self._entries.clear()


def page_cache():
    """The current app's cache (one per app and process)."""
    cache = current_app.extensions.get("fund.pagecache")
    if cache is None:
        cache = current_app.extensions.setdefault("fund.pagecache", PageCache())
    return cache


def cached(key, make):
    """make() kept for PUBLIC_PAGE_CACHE_SECONDS under `key` in this process."""
    return page_cache().get_or_make(key, current_app.config["PUBLIC_PAGE_CACHE_SECONDS"], make)
