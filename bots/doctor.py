"""`python -m bots doctor`: what the bot would run with, and whether each engine loads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bots.engine_probe import CHECKS, ProbeResult, run_probe
from bots.model_choice import ModelChoice, choose_model, default_model_target
from config.settings import Settings
from core.errors import UserFacingError


def _size(path: Path) -> str:
    if not path.is_file():
        return "missing"
    return f"{path.stat().st_size / 1_000_000:,.0f} MB"


def describe_store(settings: Settings, absolute: bool = False) -> str:
    """Where the vectors live, in a few words."""
    if settings.store.backend == "server":
        return f"Qdrant server at {settings.store.url}"
    shards = settings.data_dir / "qdrant"
    return f"Qdrant Edge in {shards.resolve() if absolute else shards}"


def describe(settings: Settings, choice: ModelChoice | None) -> list[str]:
    """What the settings resolve to, one fact a line."""
    llm = settings.llm
    lines = [f"data directory   {settings.data_dir.resolve()}"]
    if choice is not None:
        lines.append(f"llm backend      {choice.backend} ({choice.reason})")
        if choice.path is not None:
            lines.append(f"model file       {choice.path} ({_size(choice.path)})")
        if choice.notice:
            lines.append(f"note             {choice.notice}")
    default = default_model_target(settings)
    downloads = "on" if llm.download else "off"
    lines.append(f"default model    {default} ({_size(default)}; download {downloads})")
    lines.append(f"offline model    {llm.offline_model_path} ({_size(llm.offline_model_path)})")
    if llm.backend == "openai" or (choice and choice.backend == "openai"):
        lines.append(f"model server     {llm.openai.base_url} (model {llm.openai.model})")
    embedder: str = settings.embedder.backend
    if embedder == "sentence-transformers":
        embedder += f" ({settings.embedder.model or 'bundled all-MiniLM-L6-v2'})"
    lines.append(f"embedder         {embedder}")
    lines.append(f"vector store     {describe_store(settings, absolute=True)}")
    return lines


def format_check(check: ProbeResult, name: str) -> str:
    """One check as a report line: `ok   name   detail` or `FAIL name   detail`."""
    return f"{'ok  ' if check.ok else 'FAIL'} {name:<15}  {check.detail}"


async def run_doctor(settings: Settings, emit: Callable[[str], None]) -> bool:
    """Describe the configuration and try each engine, emitting each line once known.

    Each engine is checked in a child process (the language model on a prompt of several
    hundred tokens), so a native crash is reported as a failed line. Nothing is
    downloaded. Returns whether every check passed.
    """
    emit("ragbot doctor")
    emit("")
    choice: ModelChoice | None = None
    failure: str | None = None
    try:
        choice = choose_model(settings, download=None)
    except UserFacingError as error:
        failure = error.message
    for line in describe(settings, choice):
        emit(line)
    emit("")
    passed = True
    for name in CHECKS:
        if name == "language model" and failure is not None:
            result = ProbeResult(False, failure)
        else:
            result = await asyncio.to_thread(run_probe, name)
        passed = passed and result.ok
        emit(format_check(result, name))
    return passed
