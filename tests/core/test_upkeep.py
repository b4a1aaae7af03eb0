"""Index upkeep as a periodic job: every collection is looked at, one failure does not stop
the rest, and a store that indexes by itself gets no job."""

from __future__ import annotations

from core.upkeep import index_upkeep
from tests.fakes import MemoryStore


class UpkeptStore(MemoryStore):
    """The fake store, with an upkeep that fails on one collection."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names
        self.upkept: list[str] = []

    async def collections(self) -> list[str]:
        return list(self.names)

    async def upkeep_index(self, collection: str) -> bool:
        self.upkept.append(collection)
        if collection == "broken":
            raise RuntimeError("disk full")
        return collection == "big"


async def test_upkeep_looks_at_every_collection_even_after_one_fails() -> None:
    store = UpkeptStore(["broken", "big", "small"])
    job = index_upkeep(store, every_seconds=600)

    assert job is not None and job.kind == "index-upkeep" and job.seconds == 600
    await job.work("")

    assert store.upkept == ["broken", "big", "small"]


def test_a_store_that_indexes_by_itself_gets_no_upkeep_job() -> None:
    assert index_upkeep(MemoryStore(), every_seconds=600) is None
