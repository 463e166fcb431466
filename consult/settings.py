"""One frozen settings object, read from the environment."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 24


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UnsafeToServe(RuntimeError):
    """Serving beyond this machine with the development key, printed above for anyone to forge links with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    environment: str = "development"  # development | test | production
    database_url: str = "sqlite:///consult.db"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""  # smtp://user:pass@host:port ; empty: mail printed to the console
    mail_from: str = "consult <no-reply@consult.local>"
    # An address whose mail unsubscribes (List-Unsubscribe mailto:, beside the https link); "" offers none.
    unsubscribe_mailto: str = ""
    default_locale: str = "pl"
    time_zone: str = "Europe/Warsaw"
    login_max_failures: int = 5
    login_window_minutes: int = 15
    max_body_bytes: int = 10 * 1024 * 1024
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed; "" believes nobody.
    trusted_proxies: str = "127.0.0.1,::1"

    @model_validator(mode="after")
    def _require_secret_outside_development(self) -> Settings:
        if not self.secret_key:
            if self.environment not in ("development", "test"):
                raise ValueError("SECRET_KEY must be set outside development")
            object.__setattr__(self, "secret_key", DEVELOPMENT_SECRET)
        elif self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(f"SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters")
        if "*" in (proxy.strip() for proxy in self.trusted_proxies.split(",")):
            raise ValueError("TRUSTED_PROXIES must name the proxies: '*' believes anyone's forged X-Forwarded-For")
        return self

    def refuse_public_key(self, host: str | None = None) -> None:
        """Raise UnsafeToServe when this key would sign for others: a BASE_URL or bound host beyond loopback."""
        if self.secret_key != DEVELOPMENT_SECRET:
            return
        for name in (urlsplit(self.base_url).hostname or "", host):
            if name is not None and not is_loopback(name):
                raise UnsafeToServe(
                    f"Refusing to serve {name} with the development key, which anyone can read in the source "
                    "and forge links and sessions with. Set SECRET_KEY to a long random value and "
                    "ENVIRONMENT=production, or serve on 127.0.0.1 only."
                )

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
