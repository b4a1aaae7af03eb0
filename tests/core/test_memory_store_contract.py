"""The in-memory store the core tests use behaves like the real stores."""

from __future__ import annotations

import pytest

from core.ports import VectorStore
from tests.adapters.vector_store_contract import VectorStoreContract
from tests.fakes import MemoryStore


class TestMemoryStore(VectorStoreContract):
    @pytest.fixture
    def store(self) -> VectorStore:
        return MemoryStore()
