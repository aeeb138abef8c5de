"""Every setting, read once from the environment and `.env` (see .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from summarizer.answering.generation import RUNTIMES
from summarizer.engine import DEFAULT_GENERATION_TIMEOUT_S, DEFAULT_SUMMARY_WAIT_S, EngineConfig
from summarizer.web.schedule import DEFAULT_FEED_EVERY_S, MIN_FEED_EVERY_S, format_interval, parse_interval


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
    allow_private_urls: bool = Field(default=False, validation_alias="BRIEFBOT_ALLOW_PRIVATE_URLS")
    # Seconds; written in .env as intervals ("30m").
    feed_every: float = Field(default=DEFAULT_FEED_EVERY_S, validation_alias="BRIEFBOT_FEED_EVERY")
    feed_min_every: float = Field(default=MIN_FEED_EVERY_S, validation_alias="BRIEFBOT_FEED_MIN_EVERY")

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

    @field_validator("feed_every", "feed_min_every", mode="before")
    @classmethod
    def _interval(cls, value: object) -> object:
        return parse_interval(value, minimum_s=1) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_within_floor(self) -> "Settings":
        if self.feed_every < self.feed_min_every:
            raise ValueError(f"BRIEFBOT_FEED_EVERY ({format_interval(self.feed_every)}) is more often than "
                             f"BRIEFBOT_FEED_MIN_EVERY ({format_interval(self.feed_min_every)})")
        return self

    def engine_config(self, *, read_only: bool = False) -> EngineConfig:
        return EngineConfig(
            db_path=self.db, corpus_dir=self.corpus, model=self.model, runtime=self.runtime,
            model_cache=self.model_cache, generation_timeout_s=self.generation_timeout, read_only=read_only,
            summary_wait_s=self.summary_wait,
            allow_private_urls=self.allow_private_urls, feed_every_s=self.feed_every,
            feed_min_every_s=self.feed_min_every,
            server_model=self.server_model,
            server_api_key=self.server_api_key.get_secret_value() if self.server_api_key else None,
        )
