"""Configuration from ``CIVICBOT_*`` environment variables and an optional TOML file.

Every setting is a field of :class:`Settings`. In TOML a field ``telegram_token`` may be written
flat (``telegram_token = "..."``) or in a table (``[telegram]`` then ``token = "..."``); the
environment variable is always ``CIVICBOT_`` + the upper-case field name and wins over the file.
The file is ``$CIVICBOT_CONFIG`` or ``civicbot.toml`` in the data directory.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
import types
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

import platformdirs

ENV_PREFIX = "CIVICBOT_"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass
class Settings:
    # Storage and privacy
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("civicbot")))
    database_url: str = ""  # empty: SQLite file in data_dir
    secret: str = ""  # HMAC key for pseudonymous ids; empty: generated and kept in data_dir
    retention_days: int = 365
    location_retention_hours: float = 24.0  # the last position shared is then forgotten
    log_level: str = "INFO"
    log_format: str = "text"  # "json": one JSON object per line, for log collectors
    log_file: str = ""  # civicbot chat: where logs go (empty: standard error, WARNING and up)
    log_message_text: bool = False  # off by default: no resident's words in the logs

    # City and conversation
    city_name: str = "Nantes"
    timezone: str = "Europe/Paris"
    default_language: str = "fr"
    nlu_threshold: float = 0.25  # bot/nlu.py confidence below which a message is "unknown"
    max_message_chars: int = 2000
    # Flood control (bot/flood.py): at most flood_messages answered per resident in flood_seconds
    flood_messages: int = 15  # 0: no limit
    flood_seconds: float = 30.0
    demo_data: bool = True  # load the demonstration pack when the knowledge base is empty
    topics: list[str] = field(
        default_factory=lambda: [
            "conseil municipal", "transports", "travaux", "environnement", "culture",
            "sport", "education", "social", "urbanisme", "proprete", "securite", "budget",
            "participation", "numerique",
        ]
    )

    # HTTP API
    http_host: str = "127.0.0.1"
    http_port: int = 8080

    # Telegram
    telegram_token: str = ""
    telegram_mode: str = "polling"  # or "webhook"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_base_url: str = ""  # Bot API server; empty means the official one

    # Matrix
    matrix_homeserver: str = ""
    matrix_user_id: str = ""
    matrix_password: str = ""
    matrix_access_token: str = ""
    matrix_device_name: str = "civicbot"
    matrix_allowed_servers: list[str] = field(default_factory=list)  # empty: every server

    # Web chat on the city's site (connectors/webchat.py, docs/operate/web-chat.md)
    webchat_enabled: bool = False
    webchat_allowed_origins: list[str] = field(default_factory=list)  # sites that may embed it
    webchat_rate_global: float = 200.0  # messages/s written to the visitors' inboxes (broadcasts)
    webchat_photo_max_mb: float = 10.0  # a photo's size at most (Telegram's limit for photos)
    webchat_inbox_days: int = 30  # messages no page took are then purged

    # Delivery limits
    telegram_rate_global: float = 30.0
    telegram_rate_per_chat: float = 1.0
    telegram_group_per_minute: int = 20
    telegram_paid_rate: float = 0.0  # paid broadcasts, messages/s; 0 means not used
    matrix_rate_global: float = 10.0
    quiet_hours: str = "22:00-08:00"
    matrix_rate_per_room: float = 1.0  # messages/s to one room; 0 means no limit
    delivery_concurrency: int = 8  # sends in flight per platform (and per kind of row)
    delivery_batch_size: int = 200  # outbox rows claimed at once
    delivery_lease_seconds: float = 60.0  # a dead worker's claimed rows wait this long
    delivery_max_attempts: int = 12  # transient errors, with exponential backoff (about 2 h)
    delivery_poll_seconds: float = 1.0  # how often idle workers look for due rows
    delivery_retention_days: int = 30  # delivered messages (and their chat address) are then purged
    digest_time: str = "18:00"  # when daily and weekly digests go out (city time)
    digest_weekday: str = "monday"  # the day of the weekly digest

    # City back ends
    open311_url: str = ""
    open311_api_key: str = ""
    open311_jurisdiction_id: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    idea_support_threshold: int = 50
    open311_poll_seconds: int = 300  # how often report statuses are read back
    geocoder_url: str = ""  # e.g. https://data.geopf.fr/geocodage/search ; off when empty

    # Hand-over to a person of the city
    handover_hours: str = "Mo-Fr 09:00-17:00"  # when agents usually answer (opening_hours syntax)
    handover_retention_days: int = 30  # a closed ticket's messages are deleted after this

    # E-mail (bot/email, docs/operate/email.md): on when smtp_host is set
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 465 with smtp_security "tls", 587 with "starttls", 25 with "none"
    smtp_security: str = "starttls"  # "starttls", "tls" (implicit TLS) or "none" (a local relay)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 30.0
    email_from: str = ""  # the sender, e.g. "Ville de Nantes <civicbot@nantes.fr>"
    public_url: str = ""  # where residents reach civicbot serve, e.g. https://civicbot.nantes.fr
    email_rate: float = 5.0  # e-mails per second at most
    email_confirm_hours: float = 48.0  # a confirmation link works this long
    email_link_days: int = 90  # unsubscribe and settings links work this long

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'civicbot.db'}"


def _coerce(name: str, raw: Any, target: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or raise ConfigError naming it."""
    origin = get_origin(target)
    if origin in (types.UnionType,):
        target = next(arg for arg in get_args(target) if arg is not type(None))
        origin = get_origin(target)
    try:
        if target is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if origin is list:
            if isinstance(raw, list):
                return [str(item) for item in raw]
            return [item.strip() for item in str(raw).split(",") if item.strip()]
        if target is Path:
            return Path(str(raw)).expanduser()
        return target(raw)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} ({error})") from None


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings: defaults, then the TOML file, then the environment, then overrides."""
    environ = dict(os.environ if environ is None else environ)
    hints = get_type_hints(Settings)
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}

    data_dir = environ.get(f"{ENV_PREFIX}DATA_DIR") or overrides.get("data_dir")
    default_dir = Path(data_dir) if data_dir else Settings().data_dir
    config_path = Path(environ.get(f"{ENV_PREFIX}CONFIG") or default_dir / "civicbot.toml")
    if config_path.is_file():
        try:
            table = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{config_path}: {error}") from None
        for name, raw in _flatten(table).items():
            if name not in names:
                raise ConfigError(f"{config_path}: unknown setting {name!r}")
            values[name] = _coerce(name, raw, hints[name])
    for name in names:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _coerce(name, raw, hints[name])
    values.update(overrides)
    settings = Settings(**values)
    if settings.default_language not in ("fr", "en"):
        raise ConfigError("setting 'default_language': must be 'fr' or 'en'")
    if settings.log_format not in ("text", "json"):
        raise ConfigError("setting 'log_format': must be 'text' or 'json'")
    if settings.smtp_host:
        _check_email(settings)
    return settings


def _check_email(settings: Settings) -> None:
    """E-mail needs a sender, a public address for its links and sane limits."""
    if settings.smtp_security not in ("starttls", "tls", "none"):
        raise ConfigError("setting 'smtp_security': must be 'starttls', 'tls' or 'none'")
    if not 0 <= settings.smtp_port <= 65535:
        raise ConfigError("setting 'smtp_port': must be a port number (0: the usual one)")
    if "@" not in parseaddr(settings.email_from)[1]:
        raise ConfigError("setting 'email_from': e-mail needs a sender address, "
                          "e.g. 'Ville de Nantes <civicbot@nantes.fr>'")
    url = urlsplit(settings.public_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError("setting 'public_url': e-mail links need the address where residents reach "
                          "civicbot serve, e.g. https://civicbot.nantes.fr")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        raise ConfigError("settings 'smtp_username' and 'smtp_password': give both or neither")
    if settings.email_rate <= 0 or settings.email_confirm_hours <= 0 or settings.email_link_days <= 0:
        raise ConfigError("settings 'email_rate', 'email_confirm_hours', 'email_link_days': must be above 0")
