"""Logs: one JSON object a line with the request's id, and never a donor's personal data.

Outside development every line is JSON ({"time", "level", "logger", "message",
"request_id", "method", "path"}) for the log collector; the request id comes
from the proxy's X-Request-ID (when it looks like one) or is made here, and is
sent back in the response. Paths are logged without their query string and with
long segments (signed tokens in links) cut, so a log never opens a receipt.
"""
import json
import logging
import re
import secrets
import time

from flask import g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_TOKEN_SEGMENT = re.compile(r"[^/]{33,}")


def safe_path(path):
    """The path with signed tokens (long segments) replaced by '…'."""
    return _TOKEN_SEGMENT.sub("…", path or "")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry.update(request_id=g.get("request_id"), method=request.method,
                         path=safe_path(request.path))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _start_request():
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if _REQUEST_ID.match(offered) else secrets.token_hex(8)


def _tag_response(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def register(app):
    level = app.config.get("LOG_LEVEL", "INFO")
    if app.config.get("LOG_FORMAT", "text") == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(level)
    else:
        logging.basicConfig(level=level)
    app.before_request(_start_request)
    app.after_request(_tag_response)
