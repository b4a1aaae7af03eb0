"""Re-indexing a file replaces its old copy without a moment where the source is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ingestion import IngestionService, IngestionSettings
from core.models import Attachment
from core.naming import CollectionPurpose, collection_name
from tests.core.conftest import CHANNEL_A
from tests.fakes import MemoryStore, ParagraphReader, WordEmbedder

EMBEDDINGS = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
COLLECTION = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, EMBEDDINGS.key)


class FailingUpsertStore(MemoryStore):
    """A store whose writes fail, as a crash or a full disk would make them."""

    fail = False

    async def upsert(self, *args: object, **kwargs: object) -> None:
        if self.fail:
            raise OSError("disk full")
        await super().upsert(*args, **kwargs)  # type: ignore[arg-type]


def service(store: MemoryStore) -> IngestionService:
    return IngestionService(
        ParagraphReader(), EMBEDDINGS, store, None, IngestionSettings(summarize=False)
    )


async def test_a_shorter_new_version_leaves_none_of_the_old_chunks(tmp_path: Path) -> None:
    store = MemoryStore()
    notes = tmp_path / "notes.txt"
    notes.write_text("one\n\ntwo\n\nthree\n\nfour", encoding="utf-8")
    await service(store).index_file(CHANNEL_A, Attachment("notes.txt", str(notes)), False)
    notes.write_text("uno\n\ndos", encoding="utf-8")

    report = await service(store).index_file(CHANNEL_A, Attachment("notes.txt", str(notes)), False)

    assert report.replaced
    assert [c.text for c in await store.all_chunks(COLLECTION)] == ["uno", "dos"]


async def test_a_failed_write_keeps_the_old_copy_searchable(tmp_path: Path) -> None:
    store = FailingUpsertStore()
    notes = tmp_path / "notes.txt"
    notes.write_text("one\n\ntwo", encoding="utf-8")
    await service(store).index_file(CHANNEL_A, Attachment("notes.txt", str(notes)), False)
    notes.write_text("uno", encoding="utf-8")
    store.fail = True

    with pytest.raises(OSError):
        await service(store).index_file(CHANNEL_A, Attachment("notes.txt", str(notes)), False)

    assert [c.text for c in await store.all_chunks(COLLECTION)] == ["one", "two"]
