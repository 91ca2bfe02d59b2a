"""Settings, read once from the environment and passed in (never imported as globals)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_INSTANCE = Path.cwd() / "instance"
SQLITE_FILENAME = "govledger.sqlite3"


class ConfigError(Exception):
    """Raised when a setting cannot be understood."""


@dataclass
class Settings:
    """Everything the service needs to start; defaults come from the environment."""

    database_url: str
    instance_path: Path
    secret_key: str = ""
    password_cost: str = "strong"
    public_url: str = ""
    cookie_secure: bool | None = None
    max_body_bytes: int = 1024 * 1024
    """The largest request body read (HTTP 413 above it, before it is parsed)."""
    witnesses: tuple[str, ...] = ()
    """Where each new signed checkpoint is pushed (``GOVLEDGER_WITNESSES``: HTTP(S) URLs of
    witnesses' add-checkpoint endpoints and/or folder paths, comma-separated)."""
    smtp_url: str = ""
    """Where email goes (``GOVLEDGER_SMTP_URL``: smtp://[user:password@]host:port[?starttls=1]
    or smtps://…); empty: email notifications wait, queued but not attempted, until it is set."""
    mail_from: str = ""
    """The sender of notification emails (``GOVLEDGER_MAIL_FROM``)."""
    webhook_allow_private: bool = False
    """Whether webhooks may target private or loopback addresses
    (``GOVLEDGER_WEBHOOK_ALLOW_PRIVATE=1``; refused by default, against request forgery)."""
    worker_interval: float = 1.0
    """Seconds between the notification worker's polls (``GOVLEDGER_WORKER_INTERVAL``)."""
    as_of_builds: int = 2
    """How many as-of views (a replay of the log's prefix each) are built at once."""
    as_of_wait: float = 2.0
    """Seconds a request for an as-of view waits for a free build slot before it is a 429."""
    idempotency_hours: int = 24
    """How long an ``Idempotency-Key`` (and a form's token) is remembered (at least 24)."""
    web_workers: int = 0
    """Web processes of ``govledger serve`` (``GOVLEDGER_WEB_WORKERS``; 0: 2 on PostgreSQL, 1 on
    SQLite)."""
    web_threads: int = 0
    """Request threads in each web process (``GOVLEDGER_WEB_THREADS``; 0: the default of
    ``web/cli/serving.py``, ``THREADS``)."""
    serve_worker: bool = True
    """Whether ``govledger serve`` starts one ``govledger worker`` process beside the web
    processes (``GOVLEDGER_SERVE_WORKER=0``, or ``--no-worker``: a host that only serves)."""
    web_projections: str = ""
    """Who applies new events to the read models for a web process
    (``GOVLEDGER_WEB_PROJECTIONS``): ``inline`` — the web process itself, before each read and
    after each command (SQLite's default); ``workers`` — the ``govledger worker`` processes,
    while a command waits until its own events are applied (read-your-writes; PostgreSQL's
    default under ``serve``)."""
    read_your_writes_wait: float = 5.0
    """Seconds a command waits for the workers to apply its events before the web process
    applies them itself (``GOVLEDGER_READ_YOUR_WRITES_SECONDS``)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def https(self) -> bool:
        """Whether the service is served over HTTPS (its public URL says so): HSTS is sent."""
        return self.public_url.startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies are ``Secure`` (``GOVLEDGER_COOKIE_SECURE``; default: when HTTPS)."""
        return self.https if self.cookie_secure is None else self.cookie_secure

    @property
    def is_postgres(self) -> bool:
        """Whether the store is PostgreSQL."""
        return self.database_url.startswith(("postgresql:", "postgres:", "postgresql+psycopg:"))


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``GOVLEDGER_*`` environment variables and explicit overrides."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(overrides.pop("instance_path", None) or env.get("GOVLEDGER_INSTANCE_PATH")
                    or DEFAULT_INSTANCE).resolve()
    url = overrides.pop("database_url", None) or env.get("GOVLEDGER_DATABASE_URL") or (
        f"sqlite:///{instance / SQLITE_FILENAME}")
    settings = Settings(database_url=url, instance_path=instance, **overrides)
    settings.secret_key = settings.secret_key or env.get("GOVLEDGER_SECRET_KEY", "")
    settings.public_url = settings.public_url or env.get("GOVLEDGER_PUBLIC_URL", "")
    if settings.cookie_secure is None and env.get("GOVLEDGER_COOKIE_SECURE"):
        settings.cookie_secure = env["GOVLEDGER_COOKIE_SECURE"].lower() in ("1", "true", "yes", "on")
    if "max_body_bytes" not in overrides and env.get("GOVLEDGER_MAX_BODY_BYTES"):
        settings.max_body_bytes = positive_int(env["GOVLEDGER_MAX_BODY_BYTES"],
                                               "GOVLEDGER_MAX_BODY_BYTES")
    if "witnesses" not in overrides and env.get("GOVLEDGER_WITNESSES"):
        settings.witnesses = parse_witnesses(env["GOVLEDGER_WITNESSES"])
    _notification_settings(settings, env, overrides)
    if "as_of_builds" not in overrides and env.get("GOVLEDGER_AS_OF_BUILDS"):
        settings.as_of_builds = positive_int(env["GOVLEDGER_AS_OF_BUILDS"],
                                             "GOVLEDGER_AS_OF_BUILDS", "builds")
    if "as_of_wait" not in overrides and env.get("GOVLEDGER_AS_OF_WAIT_SECONDS"):
        try:
            settings.as_of_wait = float(env["GOVLEDGER_AS_OF_WAIT_SECONDS"])
        except ValueError:
            settings.as_of_wait = -1.0
        if not 0 <= settings.as_of_wait <= 600:
            raise ConfigError("GOVLEDGER_AS_OF_WAIT_SECONDS must be a number of seconds from 0 "
                              f"to 600, not {env['GOVLEDGER_AS_OF_WAIT_SECONDS']!r}")
    if "idempotency_hours" not in overrides and env.get("GOVLEDGER_IDEMPOTENCY_HOURS"):
        settings.idempotency_hours = positive_int(env["GOVLEDGER_IDEMPOTENCY_HOURS"],
                                                  "GOVLEDGER_IDEMPOTENCY_HOURS", "hours")
        if settings.idempotency_hours < 24:
            raise ConfigError("GOVLEDGER_IDEMPOTENCY_HOURS must be at least 24 (keys are kept "
                              f"a day at least), not {settings.idempotency_hours}")
    _serving_settings(settings, env, overrides)
    return settings


WEB_PROJECTIONS = ("inline", "workers")


def _serving_settings(settings: Settings, env: dict[str, str], overrides: dict[str, Any]) -> None:
    """Read the settings of ``serve`` and ``worker`` processes (see docs/DEPLOYMENT.md)."""
    if "web_workers" not in overrides and env.get("GOVLEDGER_WEB_WORKERS"):
        settings.web_workers = positive_int(env["GOVLEDGER_WEB_WORKERS"],
                                            "GOVLEDGER_WEB_WORKERS", "processes")
    if "web_threads" not in overrides and env.get("GOVLEDGER_WEB_THREADS"):
        settings.web_threads = positive_int(env["GOVLEDGER_WEB_THREADS"],
                                            "GOVLEDGER_WEB_THREADS", "threads")
    if "serve_worker" not in overrides and env.get("GOVLEDGER_SERVE_WORKER"):
        value = env["GOVLEDGER_SERVE_WORKER"].lower()
        if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"GOVLEDGER_SERVE_WORKER must be 1 or 0, not {value!r}")
        settings.serve_worker = value in ("1", "true", "yes", "on")
    if "web_projections" not in overrides and env.get("GOVLEDGER_WEB_PROJECTIONS"):
        settings.web_projections = env["GOVLEDGER_WEB_PROJECTIONS"].lower()
    if settings.web_projections and settings.web_projections not in WEB_PROJECTIONS:
        raise ConfigError("GOVLEDGER_WEB_PROJECTIONS must be 'inline' or 'workers', not "
                          f"{settings.web_projections!r}")
    if "read_your_writes_wait" not in overrides and env.get("GOVLEDGER_READ_YOUR_WRITES_SECONDS"):
        try:
            settings.read_your_writes_wait = float(env["GOVLEDGER_READ_YOUR_WRITES_SECONDS"])
        except ValueError:
            settings.read_your_writes_wait = -1.0
        if not 0 <= settings.read_your_writes_wait <= 600:
            raise ConfigError("GOVLEDGER_READ_YOUR_WRITES_SECONDS must be a number of seconds "
                              f"from 0 to 600, not {env['GOVLEDGER_READ_YOUR_WRITES_SECONDS']!r}")


def parse_witnesses(text: str) -> tuple[str, ...]:
    """``GOVLEDGER_WITNESSES``: comma-separated HTTP(S) URLs and folder paths."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        scheme = urlsplit(item).scheme
        if "://" in item and scheme not in ("http", "https"):
            raise ConfigError(f"GOVLEDGER_WITNESSES: {item!r} is neither an http(s) URL nor a "
                              f"folder path")
        found.append(item)
    return tuple(found)


def _notification_settings(settings: Settings, env: dict[str, str],
                           overrides: dict[str, Any]) -> None:
    """Read the notification settings (SMTP, sender, webhook targets, worker interval)."""
    settings.smtp_url = settings.smtp_url or env.get("GOVLEDGER_SMTP_URL", "")
    settings.mail_from = settings.mail_from or env.get("GOVLEDGER_MAIL_FROM", "")
    if "webhook_allow_private" not in overrides:
        settings.webhook_allow_private = env.get("GOVLEDGER_WEBHOOK_ALLOW_PRIVATE", "").lower() in (
            "1", "true", "yes", "on")
    if "worker_interval" not in overrides and env.get("GOVLEDGER_WORKER_INTERVAL"):
        try:
            settings.worker_interval = float(env["GOVLEDGER_WORKER_INTERVAL"])
        except ValueError:
            settings.worker_interval = 0
        if not 0 < settings.worker_interval <= 3600:
            raise ConfigError("GOVLEDGER_WORKER_INTERVAL must be a number of seconds between 0 "
                              f"and 3600, not {env['GOVLEDGER_WORKER_INTERVAL']!r}")


def positive_int(text: str, name: str, unit: str = "bytes") -> int:
    """``text`` as a positive integer, or a ConfigError naming the setting."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name} must be a positive number of {unit}, not {text!r}")
    return value


def sqlite_path(url: str) -> str:
    """Return the file path of a ``sqlite:///`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or not parts.path:
        raise ConfigError(f"not a SQLite URL: {url!r} (expected sqlite:///path/to/file)")
    return unquote(parts.path[1:])  # sqlite:///relative or sqlite:////absolute


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """Map the one database URL onto the eventsourcing persistence settings."""
    if not settings.is_postgres:
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": sqlite_path(settings.database_url),
                "SQLITE_LOCK_TIMEOUT": "30"}
    parts = urlsplit(settings.database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "govledger",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "8",
        "POSTGRES_MAX_OVERFLOW": "8",
    }


def sqlalchemy_url(settings: Settings) -> str:
    """Map the one database URL onto a SQLAlchemy URL for the read models."""
    if not settings.is_postgres:
        return f"sqlite:///{sqlite_path(settings.database_url)}"
    rest = settings.database_url.split("://", 1)[1]
    return f"postgresql+psycopg://{rest}"


def ensure_secret_key(settings: Settings) -> str:
    """Return the session secret, creating an owner-only key file in the instance on first use."""
    if settings.secret_key:
        return settings.secret_key
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    path = settings.instance_path / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    settings.secret_key = path.read_text().strip()
    return settings.secret_key
