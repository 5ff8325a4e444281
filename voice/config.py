"""Configuration read from the environment.

Everything that differs between a laptop, CI and production is an environment
variable; nothing secret is hard-coded. SECRET_KEY, when not given, is generated
once into instance/secret_key so sessions survive restarts.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _secret_key(instance_path: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        # O_EXCL so two workers starting at once cannot write different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def from_environment(instance_path: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'voice.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    local = os.environ.get("VOICE_ENV", "production") == "development"
    return {
        "VOICE_ENV": "development" if local else "production",
        # Where people reach the site: every link in an e-mail or a calendar file is
        # built from it, never from a request's Host header. Required in production.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000" if local else ""),
        "SECRET_KEY": _secret_key(instance_path),
        "RECEIPT_KEY": os.environ.get("RECEIPT_KEY", ""),
        "DATABASE_URL": database_url,
        # A story is at most a few kilobytes; refuse anything much larger early.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 64 * 1024),
        "MAX_FORM_MEMORY_SIZE": _int("MAX_CONTENT_LENGTH", 64 * 1024),
        "SESSION_COOKIE_SECURE": not local and os.environ.get("SESSION_COOKIE_SECURE", "1") != "0",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "voice_session",
        "PREFERRED_URL_SCHEME": "http" if local else "https",
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        # Counters every worker shares (SECURITY.md 15): Redis when configured, else the database.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "voice+sql://",
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Argon2id cost: production keeps at least m=19456 KiB, t=2 (SECURITY.md 1).
        "ARGON2_TIME_COST": _int("ARGON2_TIME_COST", 2),
        "ARGON2_MEMORY_COST": _int("ARGON2_MEMORY_COST", 19456),
        "ARGON2_PARALLELISM": 1,
        "CONTACT_RETENTION_DAYS": _int("CONTACT_RETENTION_DAYS", 90),
        "STORY_MAX_LENGTH": _int("STORY_MAX_LENGTH", 4000),
        "HSTS": not local,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Voice <voice@trondheim.kommune.no>"),
        # Different people (browser and address) whose reports hide a published story; at least 2.
        "REPORTS_TO_HIDE": max(_int("REPORTS_TO_HIDE", 3), 2),
        "ORIGINAL_RETENTION_DAYS": _int("ORIGINAL_RETENTION_DAYS", 90),
        # An export the worker has not advanced for this long was interrupted (run again or failed).
        "EXPORT_LEASE_SECONDS": max(_int("EXPORT_LEASE_SECONDS", 60), 5),
        # The job queue (voice/jobs/tasks.py): SQLite in the instance folder, or Redis when
        # REDIS_URL is set; VOICE_JOBS names one outright (sqlite, redis, memory).
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "JOBS_STORAGE": os.environ.get("VOICE_JOBS") or ("redis" if os.environ.get("REDIS_URL") else "sqlite"),
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH") or str(instance_path / "jobs.db"),
        # The queue's name in its storage: two sites sharing one Redis (staging, production) need two names.
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "voice"),
        # Days after a quarter ends before its figures are published (and frozen for good).
        "FIGURES_SETTLE_DAYS": max(_int("FIGURES_SETTLE_DAYS", 14), 0),
        # The small-unit guard: a story naming a school, kindergarten or office shows only once
        # this many stories about it have been decided; never fewer than 3.
        "UNIT_MIN_STORIES": max(_int("UNIT_MIN_STORIES", 3), 3),
        # A plain answer shows without a check once its writer has this many answers confirmed by
        # another moderator (each claim they could not confirm counts one less); 0 trusts everyone.
        "ANSWER_TRUST_AFTER": max(_int("ANSWER_TRUST_AFTER", 3), 0),
        # Public pages kept per language and content version (voice/web/page_cache.py): in memory,
        # or in Redis when REDIS_URL is set; "off", "memory" or "redis" chooses outright.
        "PAGE_CACHE": os.environ.get("PAGE_CACHE", ""),
        # Staff sign-in with the municipality's OpenID Connect provider (voice/accounts/oidc_views.py):
        # off unless OIDC_ISSUER is set. OIDC_ROLE_MAP is a JSON object of the provider's group names
        # to Voice roles, e.g. {"voice-admins": "admin", "voice-moderators": "moderator"}.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_ROLE_MAP": os.environ.get("OIDC_ROLE_MAP", "{}"),
        "OIDC_GROUPS_CLAIM": os.environ.get("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_REQUIRE_MFA": os.environ.get("OIDC_REQUIRE_MFA", "0") == "1",
        "DISCLOSURE_MIN_COUNT": _int("DISCLOSURE_MIN_COUNT", 5),
        "DISCLOSURE_MIN_ANSWERS": _int("DISCLOSURE_MIN_ANSWERS", 10),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }


class ConfigError(RuntimeError):
    """A setting the app cannot start without."""


def check(config) -> None:
    """Refuse to start with settings that would break in production."""
    if config.get("VOICE_ENV") == "production" and not config.get("TESTING") and not config.get("PUBLIC_BASE_URL"):
        raise ConfigError(
            "PUBLIC_BASE_URL is not set: give the address people use to reach Voice, for example "
            "PUBLIC_BASE_URL=https://voice.trondheim.kommune.no (links in e-mail and calendar files are built from it)."
        )


def receipt_key(config) -> bytes:
    """The key of the receipt codes' locators: RECEIPT_KEY, or derived from SECRET_KEY.
    Every code ever given depends on it: never change it (set RECEIPT_KEY explicitly before
    rotating SECRET_KEY)."""
    import hashlib
    import hmac

    given = config.get("RECEIPT_KEY") or ""
    if given:
        return given.encode()
    return hmac.new(config["SECRET_KEY"].encode(), b"voice receipt code locators", hashlib.sha256).digest()


def trusted_hosts(config) -> list[str]:
    """The Host headers Voice answers (SECURITY.md 10): the host of PUBLIC_BASE_URL, any
    named in TRUSTED_HOSTS (comma-separated, e.g. for a health check by address), and on a
    developer's machine 127.0.0.1 and localhost. Any other Host gets a 400."""
    from urllib.parse import urlsplit

    hosts = [urlsplit(config.get("PUBLIC_BASE_URL") or "").hostname or ""]
    hosts += [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",")]
    if config.get("VOICE_ENV") == "development":
        hosts += ["127.0.0.1", "localhost"]
    return sorted({h for h in hosts if h})


class TestConfig:
    """Overrides for the test suite: cheap hashes, no Secure cookie on http://localhost."""

    TESTING = True
    PUBLIC_BASE_URL = "http://localhost"
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    RATELIMIT_STORAGE_URI = "memory://"
    JOBS_STORAGE = "memory"  # tests run the passes themselves; the worker tests start a real one
    HSTS = False
    DB_LOCK_TIMEOUT_MS = 1000
    PREFERRED_URL_SCHEME = "http"
