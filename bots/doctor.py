"""`python -m bots doctor`: what the bot would run with, and whether each engine loads."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bots.bootstrap import build_embedder, build_model, build_store
from bots.model_choice import ModelChoice, choose_model, default_model_target
from config.settings import Settings
from core.errors import UserFacingError
from core.models import ChannelRef, ChatTurn, Sampling
from core.naming import CollectionPurpose, collection_name


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


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


async def _check(name: str, work: Callable[[], Awaitable[str]]) -> Check:
    try:
        return Check(name, True, await work())
    except UserFacingError as error:
        return Check(name, False, error.message)
    except Exception as error:
        last = traceback.format_exception_only(error)[-1].strip()
        return Check(name, False, last)


async def run_checks(settings: Settings) -> tuple[list[str], list[Check]]:
    """Describe the configuration and try each engine; never downloads anything."""
    try:
        choice: ModelChoice | None = choose_model(settings, download=None)
    except UserFacingError as error:
        return describe(settings, None), [Check("language model", False, error.message)]

    async def check_model() -> str:
        assert choice is not None
        model = build_model(settings, choice)
        try:
            load = getattr(model, "load", None)
            if load is not None:
                await load()
            pieces = [
                p
                async for p in model.stream(
                    [ChatTurn("user", "Say OK.")], Sampling(max_new_tokens=4)
                )
            ]
            return f"generated {''.join(pieces).strip()!r}"
        finally:
            close = getattr(model, "close", None)
            if close is not None:
                await close()

    async def check_embedder() -> str:
        embedder = build_embedder(settings)
        vector = await embedder.embed_query("doctor")
        return f"{len(vector)} dimensions"

    async def check_store() -> str:
        store = build_store(settings)
        try:
            probe = collection_name(
                ChannelRef("doctor", "doctor", "doctor"), CollectionPurpose.DOCUMENTS
            )
            return f"reachable ({await store.count(probe)} points in the probe collection)"
        finally:
            await store.close()

    checks = [
        await _check("language model", check_model),
        await _check("embedder", check_embedder),
        await _check("vector store", check_store),
    ]
    return describe(settings, choice), checks


def report(lines: list[str], checks: list[Check]) -> str:
    """The doctor's printout."""
    marks = [
        f"{'ok  ' if check.ok else 'FAIL'} {check.name:<15}  {check.detail}" for check in checks
    ]
    return "\n".join(["ragbot doctor", "", *lines, "", *marks])
