"""QdrantServerStore: the shared contract over qdrant-client's in-memory mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from qdrant_client import AsyncQdrantClient

from adapters.qdrant_server_store import QdrantServerStore
from core.ports import VectorStore
from tests.adapters.vector_store_contract import VectorStoreContract


class TestQdrantServerStore(VectorStoreContract):
    """The contract through qdrant-client; ":memory:" speaks the same API as a server."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[VectorStore]:
        # Typed as the port, so mypy checks that the adapter satisfies it.
        store: VectorStore = QdrantServerStore(AsyncQdrantClient(location=":memory:"))
        yield store
        await store.close()
