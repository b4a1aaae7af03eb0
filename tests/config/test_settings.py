"""Settings: documented defaults, precedence, one clear message for a bad key, no leaked secrets."""

from __future__ import annotations

import logging
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from config.settings import DEFAULT_TOML, Settings, SettingsError, load_settings, redacted

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("RAGBOT_"):
            monkeypatch.delenv(name)


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_default_toml_documents_every_key_with_the_code_default() -> None:
    documented = flatten(tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8")))
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    code = flatten(Settings.model_construct().model_dump(mode="json"))
    # Secrets have no default value; they are documented as a commented-out key.
    secrets = {key for key, value in code.items() if value is None}
    assert all(f"# {key.split('.')[-1]} = " in text for key in secrets)
    assert documented == {key: value for key, value in code.items() if key not in secrets}


def test_environment_overrides_the_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user_file = tmp_path / "ragbot.toml"
    user_file.write_text("[llm]\ntemperature = 0.5\nthreads = 4\n", encoding="utf-8")
    monkeypatch.setenv("RAGBOT_CONFIG_FILE", str(user_file))
    monkeypatch.setenv("RAGBOT_LLM__TEMPERATURE", "0.3")

    settings = load_settings()

    assert settings.llm.temperature == 0.3
    assert settings.llm.threads == 4
    assert settings.retrieval.top_k == 5


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "RAGBOT_LLM__TEMPERATURE",
            "hot",
            "Invalid setting llm.temperature (environment RAGBOT_LLM__TEMPERATURE)",
        ),
        ("RAGBOT_RETRIEVAL__MIN_SCORE", "1.5", "Invalid setting retrieval.min_score"),
        ("RAGBOT_STORE__BACKEND", "redis", "Invalid setting store.backend"),
        (
            "RAGBOT_LLM__TEMPRATURE",
            "0.2",
            "Invalid setting llm.temprature (environment RAGBOT_LLM__TEMPRATURE): unknown setting",
        ),
    ],
)
def test_an_invalid_setting_names_its_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as error:
        load_settings()

    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_start_up_stops_with_one_line_naming_the_key(tmp_path: Path) -> None:
    environment = {"RAGBOT_LLM__THREADS": "zero", "RAGBOT_DATA_DIR": str(tmp_path), "PATH": ""}

    result = subprocess.run(
        [sys.executable, "-m", "bots", "console"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ragbot: Invalid setting llm.threads (environment RAGBOT_LLM__THREADS): "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_secrets_are_never_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RAGBOT_STORE__API_KEY", "s3cret-key")
    settings = load_settings()

    with caplog.at_level(logging.INFO):
        logging.getLogger("ragbot").info("settings: %s", redacted(settings))
        logging.getLogger("ragbot").info("settings: %s", settings)

    assert settings.store.api_key is not None
    assert settings.store.api_key.get_secret_value() == "s3cret-key"
    assert "s3cret-key" not in caplog.text


def test_a_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAGBOT_CONFIG_FILE", str(tmp_path / "nope.toml"))

    with pytest.raises(SettingsError, match=r"nope\.toml, which is not a file"):
        load_settings()


def test_a_toml_syntax_error_names_the_file_and_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user_file = tmp_path / "ragbot.toml"
    user_file.write_text("[llm]\ntemperature = 0.2\n\n[retrieval\ntop_k = 3\n", encoding="utf-8")
    monkeypatch.setenv("RAGBOT_CONFIG_FILE", str(user_file))

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert str(user_file) in message and "line 4" in message
    assert "\n" not in message
