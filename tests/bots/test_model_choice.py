"""Which runtime and file the bot picks, the default model's download and its fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.model_download import ModelUnavailable
from bots.model_choice import choose_model, default_model_target
from config.settings import Settings, load_settings
from core.errors import UserFacingError
from tests.support_gguf import write_gguf_header


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "llama2": write_gguf_header(tmp_path / "llama-2-tiny.gguf", "llama", "llama"),
        "qwen": write_gguf_header(tmp_path / "qwen-tiny.gguf", "qwen2", "gpt2"),
    }


def settings(tmp_path: Path, **llm: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", llm=llm)


def test_auto_picks_ctransformers_for_a_llama2_format_file(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    choice = choose_model(settings(tmp_path, model_path=str(files["llama2"])), download=None)

    assert (choice.backend, choice.path) == ("ctransformers", files["llama2"])
    assert "llama with a llama vocabulary, so ctransformers" in choice.reason


def test_auto_picks_llama_cpp_for_a_qwen2_file(tmp_path: Path, files: dict[str, Path]) -> None:
    choice = choose_model(settings(tmp_path, model_path=str(files["qwen"])), download=None)

    assert (choice.backend, choice.path) == ("llama-cpp", files["qwen"])
    assert "qwen2 with a gpt2 vocabulary, so llama-cpp" in choice.reason


def test_ctransformers_asked_for_a_file_it_cannot_load_is_refused(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    with pytest.raises(UserFacingError, match=r"ctransformers cannot load qwen-tiny\.gguf"):
        choose_model(
            settings(tmp_path, model_path=str(files["qwen"]), backend="ctransformers"),
            download=None,
        )


def test_the_openai_backend_needs_no_file(tmp_path: Path) -> None:
    choice = choose_model(settings(tmp_path, backend="openai"), download=None)

    assert (choice.backend, choice.path) == ("openai", None)


def test_the_default_model_is_downloaded_into_the_data_directory(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    configured = settings(tmp_path, default_model_sha256="ab" * 32)
    calls: list[tuple[str, str, Path]] = []

    def download(url: str, sha256: str, target: Path) -> Path:
        calls.append((url, sha256, target))
        target.parent.mkdir(parents=True)
        target.write_bytes(files["llama2"].read_bytes())
        return target

    choice = choose_model(configured, download=download)

    assert calls == [
        (
            configured.llm.default_model_url,
            "ab" * 32,
            tmp_path / "data/models/llama-2-7b-chat.Q4_K_M.gguf",
        )
    ]
    assert (choice.backend, choice.path, choice.notice) == ("ctransformers", calls[0][2], None)
    again = choose_model(configured, download=download)
    assert len(calls) == 1, "a present default model is not downloaded again"
    assert again.path == calls[0][2]


def test_offline_the_bundled_model_runs_and_start_up_says_so(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    def download(url: str, sha256: str, target: Path) -> Path:
        raise ModelUnavailable("cannot reach huggingface.co")

    choice = choose_model(
        settings(tmp_path, offline_model_path=str(files["qwen"])), download=download
    )

    assert (choice.backend, choice.path) == ("llama-cpp", files["qwen"])
    assert choice.notice == (
        "The default model llama-2-7b-chat.Q4_K_M.gguf could not be had (cannot reach "
        "huggingface.co); running the bundled offline model qwen-tiny.gguf instead."
    )


def test_with_downloads_off_nothing_is_fetched(tmp_path: Path, files: dict[str, Path]) -> None:
    def download(url: str, sha256: str, target: Path) -> Path:
        raise AssertionError("must not download")

    choice = choose_model(
        settings(tmp_path, offline_model_path=str(files["qwen"]), download=False), download=download
    )

    assert choice.path == files["qwen"]
    assert choice.notice is not None and "downloads are off (llm.download = false)" in choice.notice
    assert default_model_target(settings(tmp_path)).name == "llama-2-7b-chat.Q4_K_M.gguf"


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match=r"nowhere\.gguf is missing"):
        choose_model(settings(tmp_path, model_path=str(tmp_path / "nowhere.gguf")), download=None)
