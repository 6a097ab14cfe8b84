"""Configuration read from the environment when the app is created, never at import."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value, default):
    return int(value) if value not in (None, "") else default


DEV_SECRET_KEY = "dev-only-secret-change-me"
DEV_WEBHOOK_SECRET = "whsec_localstripe_dev"
ENVIRONMENTS = ("development", "staging", "production")
FEE_POLICIES = ("designation", "general")


class ConfigurationError(RuntimeError):
    """The app refuses to start: the message says what to set."""


def from_environment(env=None):
    """Build the configuration dict from environment variables.

    The defaults are the embedded ones used by `make run`: SQLite under
    instance/, localstripe on 127.0.0.1:8420, mail printed to the log.
    """
    env = os.environ if env is None else env
    instance = Path(env.get("FUND_INSTANCE_DIR", BASE_DIR / "instance"))
    stripe_base = env.get("STRIPE_API_BASE")
    secret = env.get("STRIPE_SECRET_KEY")
    if secret is None and stripe_base is None:
        # Nothing configured: the embedded localstripe of `make run`.
        stripe_base = "http://127.0.0.1:8420"
    return {
        # `make run` and the tests ask for development; anything else runs as production.
        "FUND_ENV": env.get("FUND_ENV", "production"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL"), instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "INSTANCE_DIR": str(instance),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Stripe. With a real sk_test_ key and no STRIPE_API_BASE the same code
        # talks to Stripe's test mode.
        "STRIPE_SECRET_KEY": secret or "sk_test_localstripe",
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET),
        # fund.payments.stripe.api.call retries timeouts, 429 and 5xx itself (same key);
        # the library's own retries would multiply those attempts.
        "STRIPE_MAX_NETWORK_RETRIES": _int(env.get("STRIPE_MAX_NETWORK_RETRIES"), 0),
        "STRIPE_TIMEOUT_SECONDS": _int(env.get("STRIPE_TIMEOUT_SECONDS"), 30),
        # First pause before retrying a timeout, 429 or 5xx; doubles each time.
        "STRIPE_RETRY_BACKOFF_SECONDS": float(env.get("STRIPE_RETRY_BACKOFF_SECONDS") or 0.5),
        # Donations
        "DONATION_MIN_AMOUNT": _int(env.get("DONATION_MIN_AMOUNT"), 1000),
        "DONATION_MAX_AMOUNT": _int(env.get("DONATION_MAX_AMOUNT"), 10_000_000),
        "DONATION_PRESETS": [3000, 5000, 10000, 30000, 100000],
        # Konbini vouchers (Stripe: 1-60 days) and our bank-transfer deadline.
        "KONBINI_EXPIRES_AFTER_DAYS": _int(env.get("KONBINI_EXPIRES_AFTER_DAYS"), 3),
        "BANK_TRANSFER_EXPIRES_AFTER_DAYS": _int(env.get("BANK_TRANSFER_EXPIRES_AFTER_DAYS"), 14),
        # Receipts
        "RECEIPT_LINK_MAX_AGE_DAYS": _int(env.get("RECEIPT_LINK_MAX_AGE_DAYS"), 90),
        "RECEIPT_ISSUER_NAME": env.get(
            "RECEIPT_ISSUER_NAME", "国立研究開発法人量子科学技術研究開発機構"),
        "RECEIPT_ISSUER_ADDRESS": env.get(
            "RECEIPT_ISSUER_ADDRESS", "〒263-8555 千葉県千葉市稲毛区穴川4-9-1"),
        "RECEIPT_ISSUER_REPRESENTATIVE": env.get(
            "RECEIPT_ISSUER_REPRESENTATIVE", "理事長 小安 重夫"),
        # The office that issues receipts, printed with FUND_CONTACT_PHONE/EMAIL as the
        # receipt's contact, and the institute's 法人番号 (13 digits, required outside
        # development). A receipt copies them when it is issued.
        "RECEIPT_ISSUER_OFFICE": env.get("RECEIPT_ISSUER_OFFICE", "QST未来基金事務局"),
        "RECEIPT_ISSUER_CORPORATE_NUMBER": (
            env.get("RECEIPT_ISSUER_CORPORATE_NUMBER") or "").strip(),
        # A PNG/JPEG of the 公印 printed beside the representative; without one a receipt
        # says the seal is omitted because it is issued electronically.
        "RECEIPT_SEAL_IMAGE": env.get("RECEIPT_SEAL_IMAGE"),
        "RECEIPT_ATTACH_PDF": _bool(env.get("RECEIPT_ATTACH_PDF"), False),
        # Where issued receipt PDFs are kept write-once: db (default) or s3 (README).
        "RECEIPT_STORAGE": env.get("RECEIPT_STORAGE", "db"),
        "RECEIPT_S3_BUCKET": env.get("RECEIPT_S3_BUCKET"),
        "RECEIPT_S3_PREFIX": env.get("RECEIPT_S3_PREFIX", "receipts/"),
        "RECEIPT_S3_ENDPOINT_URL": env.get("RECEIPT_S3_ENDPOINT_URL"),
        # Who is mailed (once per receipt) when a stored receipt file fails its SHA-256
        # check; FUND_CONTACT_EMAIL (the office) when unset.
        "RECEIPT_ALERT_EMAIL": env.get("RECEIPT_ALERT_EMAIL"),
        # Processes that render receipts in bulk (0: one per CPU).
        "RECEIPT_WORKERS": _int(env.get("RECEIPT_WORKERS"), 0),
        # The January run of annual summaries (fund.receipts.january): from this day of
        # January (JST), donors per transaction; the reminder of unopened receipts from
        # this day of February (filing opens 16 February).
        "RECEIPT_JANUARY_DAY": _int(env.get("RECEIPT_JANUARY_DAY"), 4),
        "RECEIPT_JANUARY_BATCH": _int(env.get("RECEIPT_JANUARY_BATCH"), 20),
        "RECEIPT_REMINDER_DAY": _int(env.get("RECEIPT_REMINDER_DAY"), 2),
        # How donors reach the fund office: every public page's footer and every donor mail.
        "FUND_CONTACT_EMAIL": env.get("FUND_CONTACT_EMAIL", "kikin@qst.example"),
        "FUND_CONTACT_PHONE": env.get("FUND_CONTACT_PHONE", ""),
        "FUND_CONTACT_ADDRESS": env.get(
            "FUND_CONTACT_ADDRESS", "〒263-8555 千葉県千葉市稲毛区穴川4-9-1"),
        # Mail: without MAIL_SERVER messages are written to the log.
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": _int(env.get("MAIL_PORT"), 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_FROM": env.get("MAIL_FROM", "QST未来基金 <kikin@qst.example>"),
        # Where a local catch-all SMTP server keeps what it received (`make run`): the
        # office opens those messages at /office/mail/catch-all.
        "MAIL_CATCHALL_DIR": env.get("MAIL_CATCHALL_DIR"),
        # Without a broker, run the periodic tasks (mail retries, campaign deadlines …) in a
        # thread of the web process, each at least every INLINE_BEAT_MAX_SECONDS (`make run`).
        "INLINE_BEAT": _bool(env.get("FUND_INLINE_BEAT")),
        "INLINE_BEAT_MAX_SECONDS": _int(env.get("FUND_INLINE_BEAT_MAX_SECONDS"), 60),
        # Jobs: without a broker they run inline, in the request or command.
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL"),
        # The home page and the public campaign and project pages: what they show below the
        # header (figures, 芳名録, messages: the same for every visitor) is rendered once per
        # page and language and served for at most this many seconds per worker process
        # (fund.core.pagecache); 0 renders every request.
        "PUBLIC_PAGE_CACHE_SECONDS": _int(env.get("PUBLIC_PAGE_CACHE_SECONDS"), 10),
        # Rate limits: "hits/seconds" per client address; counters in Redis when set.
        "RATELIMIT_STORAGE_URL": env.get("RATELIMIT_STORAGE_URL"),
        "TRUSTED_PROXIES": _int(env.get("TRUSTED_PROXIES"), 0),
        "DONATION_RATE_LIMIT": env.get("DONATION_RATE_LIMIT", "10/600"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10/600"),
        # Donor self-service: sign-in links asked per address and per client, and how long
        # a link and a signed-in session last.
        "DONOR_SIGN_IN_RATE_LIMIT": env.get("DONOR_SIGN_IN_RATE_LIMIT", "5/600"),
        "RECEIPT_LINK_RENEW_RATE_LIMIT": env.get("RECEIPT_LINK_RENEW_RATE_LIMIT", "3/3600"),
        "DONOR_SIGN_IN_LINK_MINUTES": _int(env.get("DONOR_SIGN_IN_LINK_MINUTES"), 30),
        "DONOR_SESSION_MINUTES": _int(env.get("DONOR_SESSION_MINUTES"), 60),
        "WTF_CSRF_TIME_LIMIT": None,
        # Cookies: never sent to scripts or with cross-site posts; HTTPS-only outside development.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("FUND_ENV", "production") != "development",
        # Logs: JSON lines (with a request id) outside development, plain text in it.
        "LOG_FORMAT": env.get("LOG_FORMAT") or (
            "text" if env.get("FUND_ENV", "production") == "development" else "json"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # Staff passwords: Argon2id cost (passes, KiB, lanes); raising it rehashes at sign-in.
        "STAFF_PASSWORD_HASH": env.get("STAFF_PASSWORD_HASH", "t=3,m=65536,p=4"),
        # A second factor (TOTP) for every staff account; admins need one in any case.
        "STAFF_REQUIRE_TOTP": _bool(env.get("STAFF_REQUIRE_TOTP"), False),
        # A staff session ends after this much inactivity.
        "STAFF_IDLE_MINUTES": _int(env.get("STAFF_IDLE_MINUTES"), 30),
        # The ledger. Which fund pays Stripe's card fees: "designation" (the gift's own
        # fund) or "general" (the general fund). Shown on every project statement.
        "LEDGER_FEE_POLICY": env.get("LEDGER_FEE_POLICY", "designation"),
        # Allocations and spends above this many yen need an admin's approval.
        "LEDGER_APPROVAL_THRESHOLD": _int(env.get("LEDGER_APPROVAL_THRESHOLD"), 100_000),
        # The institute's bank account that payouts reach and spends are paid from.
        "LEDGER_BANK_ACCOUNT": env.get("LEDGER_BANK_ACCOUNT", "bank:main"),
        # An invoice PDF attached to a spend is kept in the database: at most this many bytes.
        "SPEND_ATTACHMENT_MAX": _int(env.get("SPEND_ATTACHMENT_MAX"), 5 * 1024 * 1024),
        # Request bodies above this get 413 (room for a scanned invoice PDF).
        "MAX_CONTENT_LENGTH": _int(env.get("MAX_CONTENT_LENGTH"), 10 * 1024 * 1024),
    }


def _database_url(url, instance):
    if not url:
        return f"sqlite:///{instance / 'fund.sqlite'}"
    # psycopg 3 is the driver; accept the plain postgres:// form too.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def corporate_number_problem(value):
    """Why `value` is not a 法人番号 (13 digits, the first a check digit), or None.

    The check digit is 9 - (sum of the other 12 digits, counted from the right,
    weighted 1 at odd and 2 at even positions) mod 9 (国税庁, 法人番号の指定).
    """
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        return "must be 13 digits"
    digits = [int(ch) for ch in reversed(value[1:])]
    weighted = sum(d * (1 if n % 2 else 2) for n, d in enumerate(digits, start=1))
    if int(value[0]) != 9 - weighted % 9:
        return "has a wrong check digit (its first digit)"
    return None


def check(config):
    """Refuse to start unsafely; development must be asked for (FUND_ENV=development)."""
    environment = config.get("FUND_ENV", "production")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"FUND_ENV must be one of {', '.join(ENVIRONMENTS)}.")
    if config.get("LEDGER_FEE_POLICY", "designation") not in FEE_POLICIES:
        raise ConfigurationError(
            f"LEDGER_FEE_POLICY must be one of {', '.join(FEE_POLICIES)} (which fund pays "
            "Stripe's card fees).")
    if not str(config.get("LEDGER_BANK_ACCOUNT", "bank:main")).startswith("bank:"):
        raise ConfigurationError("LEDGER_BANK_ACCOUNT must name a bank account: bank:<name>.")
    corporate_number = config.get("RECEIPT_ISSUER_CORPORATE_NUMBER") or ""
    if corporate_number and corporate_number_problem(corporate_number):
        raise ConfigurationError(
            f"RECEIPT_ISSUER_CORPORATE_NUMBER {corporate_number!r} "
            f"{corporate_number_problem(corporate_number)}: give the institute's 法人番号.")
    if environment == "development":
        return
    problems = []
    if not corporate_number:
        problems.append("set RECEIPT_ISSUER_CORPORATE_NUMBER to the institute's 法人番号 "
                        "(13 digits; every receipt prints it)")
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
        problems.append("set SECRET_KEY to a long random value (it signs sessions and links)")
    if not config.get("STRIPE_WEBHOOK_SECRET") or \
            config["STRIPE_WEBHOOK_SECRET"] == DEV_WEBHOOK_SECRET:
        problems.append("set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)")
    if str(config.get("STRIPE_SECRET_KEY", "")).startswith("sk_live_") \
            and environment != "production":
        problems.append(f"a live Stripe key (sk_live_…) is refused in {environment}")
    if problems:
        raise ConfigurationError(
            f"Refusing to start ({environment}): " + "; ".join(problems)
            + ". For a development machine set FUND_ENV=development.")
