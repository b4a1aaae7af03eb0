"""Which model file and which runtime the bot runs, and why."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from adapters.gguf_inspect import read_gguf_info
from config.settings import Settings
from core.errors import UserFacingError

log = logging.getLogger("ragbot.model")

Downloader = Callable[[str, str, Path], Path]


@dataclass(frozen=True)
class ModelChoice:
    """The resolved backend, its model file (none for a server) and the reasons."""

    backend: str
    path: Path | None
    reason: str
    notice: str | None = None


def default_model_target(settings: Settings) -> Path:
    """Where the downloaded default model lives: <data_dir>/models/<file name of the URL>."""
    name = Path(urlsplit(settings.llm.default_model_url).path).name or "default-model.gguf"
    return settings.data_dir / "models" / name


def _download(url: str, sha256: str, target: Path) -> Path:
    from adapters.model_download import download_model

    return download_model(url, sha256, target)


def _model_file(settings: Settings, download: Downloader | None) -> tuple[Path, str | None]:
    if settings.llm.model_path:
        return Path(settings.llm.model_path), None
    target = default_model_target(settings)
    if target.is_file():
        return target, None
    offline = settings.llm.offline_model_path
    if download is None or not settings.llm.download:
        reason = "downloads are off (llm.download = false)" if download else "not downloaded yet"
    else:
        from adapters.model_download import ModelUnavailable

        try:
            return download(
                settings.llm.default_model_url, settings.llm.default_model_sha256, target
            ), None
        except ModelUnavailable as error:
            reason = str(error)
    notice = (
        f"The default model {target.name} could not be had ({reason}); "
        f"running the bundled offline model {offline.name} instead."
    )
    return offline, notice


def choose_model(settings: Settings, download: Downloader | None = _download) -> ModelChoice:
    """Resolve `llm.backend` and the model file; `download=None` never downloads."""
    backend = settings.llm.backend
    if backend == "openai":
        url = settings.llm.openai.base_url
        return ModelChoice("openai", None, f"llm.backend = openai: {url}")
    path, notice = _model_file(settings, download)
    if not path.is_file():
        raise UserFacingError("model_missing", path=path)
    info = read_gguf_info(path)
    described = f"{path.name} is {info.architecture} with a {info.tokenizer_model} vocabulary"
    if backend == "auto":
        chosen = "ctransformers" if info.is_llama2_format else "llama-cpp"
        reason = f"auto: {described}, so {chosen}"
    else:
        if backend == "ctransformers" and not info.is_llama2_format:
            raise UserFacingError("model_wrong_backend", name=path.name, described=described)
        chosen, reason = backend, f"llm.backend = {backend} ({described})"
    log.info("model: %s", reason)
    return ModelChoice(chosen, path, reason, notice)
