"""Configuration: defaults here, then environment variables, then ``instance/config.py``.

Secrets are never in the repository: ``SECRET_KEY`` comes from the environment or from
``instance/secret_key``, which is generated on first start.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: str, name: str, nbytes: int = 32) -> str:
    """Return the secret stored in ``instance/<name>``, generating it (mode 0600) if absent."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


class Config:
    ENV_NAME = os.environ.get("FUNDAPP_ENV", "development")
    PRODUCTION = ENV_NAME == "production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None → SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SECRET_KEY = os.environ.get("SECRET_KEY")
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", PRODUCTION)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30")))
    STEP_UP_WINDOW = timedelta(minutes=5)
    HSTS = PRODUCTION
    PREFERRED_URL_SCHEME = "https" if PRODUCTION else "http"
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = None  # the session's lifetime bounds the token

    BABEL_DEFAULT_LOCALE = "tg"
    BABEL_DEFAULT_TIMEZONE = "Asia/Dushanbe"
    LANGUAGES = ("tg", "ru", "en")

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Hamvatan Fund <no-reply@hamvatan.tj>")
    MAIL_SEND_AFTER_REQUEST = True

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # tests point the SDK at a local fake

    DEMO_MODE = _bool("FUNDAPP_DEMO", ENV_NAME != "production")
    MIN_REVIEWS_FOR_DECISION = int(os.environ.get("MIN_REVIEWS_FOR_DECISION", "2"))
    COUNCIL_THRESHOLD_MINOR = int(os.environ.get("COUNCIL_THRESHOLD_MINOR", "5000000"))  # diram: 50,000 TJS
    SUPPORTED_CURRENCIES = ("TJS", "USD", "EUR", "RUB", "KZT")
    # How long the public pages' figures and whole anonymous pages may be served from a
    # per-process cache (fundapp/core/pagecache.py, transparency.services.cached); 0 = never.
    TRANSPARENCY_CACHE_SECONDS = int(os.environ.get("TRANSPARENCY_CACHE_SECONDS", "5"))
    PAGE_CACHE_ENABLED = _bool("PAGE_CACHE_ENABLED", True)
    PAGE_CACHE_MAX_ENTRIES = 1000
    PAGE_CACHE_MAX_BYTES = 64 * 1024 * 1024
    PAGE_CACHE_MAX_ENTRY_BYTES = 1024 * 1024
    # Backing: the smallest and largest single donation, pledge or loan (minor units), and the days a
    # backer has to pay a pledge whose saved card failed at the campaign's close.
    MIN_BACKING_MINOR = int(os.environ.get("MIN_BACKING_MINOR", "100"))
    MAX_BACKING_MINOR = int(os.environ.get("MAX_BACKING_MINOR", str(100_000_000_00)))
    # The largest amount anyone may type in any form (minor units); each form may ask less.
    MAX_TYPED_AMOUNT_MINOR = int(os.environ.get("MAX_TYPED_AMOUNT_MINOR", str(10**14)))
    PLEDGE_GRACE_DAYS = int(os.environ.get("PLEDGE_GRACE_DAYS", "7"))
    # A pledge to be paid by transfer: the days its backer has to transfer once the campaign
    # succeeded, and the reminders (days before that deadline; each is sent once, by
    # `flask campaigns remind`).
    PLEDGE_TRANSFER_GRACE_DAYS = int(os.environ.get("PLEDGE_TRANSFER_GRACE_DAYS", "14"))
    PLEDGE_TRANSFER_REMINDER_DAYS = tuple(
        int(d) for d in os.environ.get("PLEDGE_TRANSFER_REMINDER_DAYS", "7,2").split(",") if d.strip()
    )
    # A transfer that arrives short of its backing's amount because the banks kept a fee is accepted
    # when the shortfall is at most the larger of this share of the amount (basis points: 100 = 1%)
    # and this fixed amount (minor units, per currency); the fee is booked to the fund's fees.
    RECEIPT_FEE_TOLERANCE_BP = int(os.environ.get("RECEIPT_FEE_TOLERANCE_BP", "100"))
    RECEIPT_FEE_TOLERANCE_MINOR: dict = {"TJS": 2000, "RUB": 20000, "USD": 200, "EUR": 200, "KZT": 100000}
    # Stripe signatures older than this many seconds are refused (replay window).
    STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))
    # The fund's public address: every absolute link (mail, payment return addresses, the API) is
    # built on it, never on the request's Host or X-Forwarded-Host (fundapp/core/urls.py). Required
    # in production; http://127.0.0.1:5000 in development. Requests for any other host than those
    # in TRUSTED_HOSTS (comma-separated; default: the public address's host, plus localhost in
    # development) are refused with 400.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    TRUSTED_HOSTS = os.environ.get("TRUSTED_HOSTS")
    # The fund's bank details for transfers (a mapping, set in instance/config.py; sample details
    # are shown without it).
    FUND_BANK_DETAILS: dict | None = None
    # Entries are sealed right after each posting commits; a new signed checkpoint is made at most
    # this often (and by `flask ledger checkpoint`, and when the public checkpoint is asked for and
    # the latest one is older). 0 signs one after every seal.
    LEDGER_CHECKPOINT_SECONDS = int(os.environ.get("LEDGER_CHECKPOINT_SECONDS", "10"))
    # The checkpoints' origin line and key name (default: the public address's host + "/ledger"),
    # and the witnesses whose cosignatures the fund accepts (C2SP vkeys, space-separated).
    LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN")
    LEDGER_WITNESSES = os.environ.get("LEDGER_WITNESSES", "").split()
    # Public breakdowns by backers' country show a country only with at least this many backers.
    TRANSPARENCY_MIN_GROUP_BACKERS = int(os.environ.get("TRANSPARENCY_MIN_GROUP_BACKERS", "5"))


class TestConfig(Config):
    TESTING = True
    ENV_NAME = "testing"
    PRODUCTION = False
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SECRET_KEY = "test-secret-key-not-for-production"
    MAIL_SERVER = None
    MAIL_SEND_AFTER_REQUEST = True
    HSTS = False
    SESSION_COOKIE_SECURE = False
    DEMO_MODE = True
    TRANSPARENCY_CACHE_SECONDS = 0  # tests that need the caches turn them on
    LEDGER_CHECKPOINT_SECONDS = 0
    PUBLIC_BASE_URL = "http://localhost"
    TRUSTED_HOSTS = None  # the public address's host, localhost and 127.0.0.1 (the live server)
