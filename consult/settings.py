"""One frozen settings object, read from the environment."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    environment: str = "development"  # development | test | production
    database_url: str = "sqlite:///consult.db"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""  # smtp://user:pass@host:port ; empty: mail printed to the console
    mail_from: str = "consult <no-reply@consult.local>"
    default_locale: str = "pl"
    time_zone: str = "Europe/Warsaw"
    login_max_failures: int = 5
    login_window_minutes: int = 15
    max_body_bytes: int = 10 * 1024 * 1024

    @model_validator(mode="after")
    def _require_secret_outside_development(self) -> Settings:
        if not self.secret_key:
            if self.environment not in ("development", "test"):
                raise ValueError("SECRET_KEY must be set outside development")
            object.__setattr__(self, "secret_key", DEVELOPMENT_SECRET)
        return self

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
