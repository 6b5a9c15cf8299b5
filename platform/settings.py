"""Runtime settings, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(str, Enum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Everything the platform reads from its environment.

    `DATABASE_URL` is the owner's connection (migrations, demo data, operator
    commands).  The API itself connects as `APP_DATABASE_URL`, a role that owns
    no tables and lacks BYPASSRLS; when unset it is derived from `DATABASE_URL`
    with the user replaced by `app_db_role`.  With neither set, an embedded
    PostgreSQL is started (see `kkr.platform.embedded`).
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, description="Owner connection URL (postgresql://...).")
    app_database_url: str | None = Field(default=None, description="Connection URL of the non-owner application role.")
    app_db_role: str = Field(default="kkr_app", description="Name of the application's database role.")
    embedded_data_dir: Path | None = Field(default=None, description="Data directory of the embedded PostgreSQL.")

    host: str = "127.0.0.1"
    port: int = 8000
    environment: Environment = Environment.development
    log_level: str = "info"

    db_pool_size: int = 10
    max_page_size: int = 100
    tenants_dir: Path = REPO_ROOT / "tenants"

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.development


@lru_cache
def get_settings() -> Settings:
    return Settings()
