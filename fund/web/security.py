"""Headers and cookies every response carries, and how long a staff session lasts idle.

Content-Security-Policy allows scripts from this app and Stripe only (inline
scripts carry a per-request nonce), no framing by anyone (clickjacking), and
forms that post back here only. Styles may be inline: our pages use a <style>
block and Stripe's card element sets style attributes; no script can run
through CSS.
"""
import secrets
from urllib.parse import urlsplit

from flask import current_app, g, request

# What Stripe.js needs, per Stripe's CSP guidance: its script from js.stripe.com only,
# its API calls, and its frames (card element, 3-D Secure).
STRIPE_SCRIPT = ("https://js.stripe.com",)
STRIPE_CONNECT = ("https://api.stripe.com",)
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")


def csp_nonce():
    """The nonce of this response's inline scripts."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _stripe_origins():
    """(script, connect, frame) origins of Stripe.js."""
    base = current_app.config.get("STRIPE_API_BASE")
    if base:  # localstripe serves the fake Stripe.js and its API from one origin
        parts = urlsplit(base)
        origin = (f"{parts.scheme}://{parts.netloc}",)
        return origin, origin, origin
    return STRIPE_SCRIPT, STRIPE_CONNECT, STRIPE_FRAMES


def content_security_policy():
    script, connect, frames = (" ".join(origins) for origins in _stripe_origins())
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}' {script}",
        "style-src 'self' 'unsafe-inline'",
        f"connect-src 'self' {connect}",
        f"frame-src {frames}",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://checkout.stripe.com https://billing.stripe.com",
        "frame-ancestors 'none'",
    ))


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains")
    return response


def register(app):
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_headers)
