"""Periodic upkeep run by the job scheduler: the search index of big collections."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.ports import IndexUpkeep, VectorStore

log = logging.getLogger("ragbot.upkeep")


@dataclass(frozen=True)
class PeriodicJob:
    """Work the scheduler runs every `seconds`, found again by `kind` after a restart."""

    kind: str
    seconds: float
    work: Callable[[str], Awaitable[None]]


def index_upkeep(store: VectorStore, every_seconds: float) -> PeriodicJob | None:
    """The job that builds the search index of every collection grown past the size where
    exact search gets slow; None for a store that indexes by itself (a Qdrant server)."""
    if not isinstance(store, IndexUpkeep):
        return None
    upkeep: IndexUpkeep = store

    async def work(_key: str) -> None:
        for collection in await store.collections():
            try:
                if await upkeep.upkeep_index(collection):
                    log.info("built the search index of %s", collection)
            except Exception:
                # One collection's failed build must not stop the others' upkeep.
                log.exception("index upkeep of %s failed", collection)

    return PeriodicJob("index-upkeep", every_seconds, work)
