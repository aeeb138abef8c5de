"""Every setting, read once from the environment and `.env` (see .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from summarizer.answering.generation import RUNTIMES
from summarizer.engine import DEFAULT_GENERATION_TIMEOUT_S, DEFAULT_SUMMARY_WAIT_S, EngineConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    db: Path = Field(default=Path("data/briefbot.db"), validation_alias="BRIEFBOT_DB")
    corpus: Path = Field(default=Path("corpus"), validation_alias="BRIEFBOT_CORPUS")
    model: str = Field(default="default", validation_alias="BRIEFBOT_MODEL")
    runtime: str = Field(default="auto", validation_alias="BRIEFBOT_RUNTIME")
    server_model: str | None = Field(default=None, validation_alias="BRIEFBOT_MODEL_NAME")
    server_api_key: SecretStr | None = Field(default=None, validation_alias="BRIEFBOT_MODEL_API_KEY")
    model_cache: Path = Field(default=Path("data/models"), validation_alias="BRIEFBOT_MODEL_CACHE")
    generation_timeout: float = Field(default=DEFAULT_GENERATION_TIMEOUT_S, gt=0, validation_alias="BRIEFBOT_GENERATION_TIMEOUT")
    summary_wait: float = Field(default=DEFAULT_SUMMARY_WAIT_S, gt=0, le=840, validation_alias="BRIEFBOT_SUMMARY_WAIT")
    ask_cooldown: float = Field(default=5.0, ge=0, validation_alias="BRIEFBOT_ASK_COOLDOWN")
    digest_empty_days: bool = Field(default=False, validation_alias="BRIEFBOT_DIGEST_EMPTY_DAYS")
    discord_api_base: str | None = Field(default=None, validation_alias="BRIEFBOT_DISCORD_API_BASE")
    log_level: str = Field(default="INFO", validation_alias="BRIEFBOT_LOG_LEVEL")

    @field_validator("discord_token", "discord_api_base", "server_model", "server_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("runtime")
    @classmethod
    def _known_runtime(cls, value: str) -> str:
        if value.strip().lower() not in RUNTIMES:
            raise ValueError(f"must be one of {', '.join(RUNTIMES)}")
        return value

    def engine_config(self, *, read_only: bool = False) -> EngineConfig:
        return EngineConfig(
            db_path=self.db, corpus_dir=self.corpus, model=self.model, runtime=self.runtime,
            model_cache=self.model_cache, generation_timeout_s=self.generation_timeout, read_only=read_only,
            summary_wait_s=self.summary_wait,
            server_model=self.server_model,
            server_api_key=self.server_api_key.get_secret_value() if self.server_api_key else None,
        )
