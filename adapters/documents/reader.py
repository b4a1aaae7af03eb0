"""LlamaIndexDocumentReader: a file's kind from its extension or its first bytes, its text
read into llama-index documents by the reader of that kind, and the documents split into chunks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import Document

from adapters.documents.html_text import _html_documents
from adapters.documents.json_paths import _json_documents
from adapters.documents.markdown_sections import _HEADING_KEY, _markdown_documents
from adapters.documents.pdf_pages import _PAGE_KEY, _pdf_documents
from adapters.documents.sniffing import _SNIFF_BYTES, _decode, _sniff
from adapters.documents.splitting import _count_tokens, _split_sentences
from core.errors import UserFacingError
from core.models import Chunk, Source

_KINDS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
}


class LlamaIndexDocumentReader:
    """Reads text, Markdown, PDF, HTML and JSON files into ordered chunks.

    Chunk sizes are counted in cl100k tokens (close to the Qwen2 tokenizer of the answer model).
    Reading and splitting run in a worker thread.
    """

    def __init__(self, chunk_size: int = 512, chunk_overlap: int = 64) -> None:
        # Passing the tokenizer and the sentence tokenizer explicitly keeps llama-index away
        # from its globals, whose first use may try to download tiktoken and NLTK data.
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=_count_tokens,
            chunking_tokenizer_fn=_split_sentences,
        )

    def supports(self, path: str) -> bool:
        """Whether the file has a known extension, or starts like UTF-8 text or a PDF."""
        if Path(path).suffix.lower() in _KINDS:
            return True
        try:
            with open(path, "rb") as file:
                head = file.read(_SNIFF_BYTES)
        except OSError:
            return False
        return _sniff(head) is not None

    async def read(self, path: str, source: Source) -> list[Chunk]:
        """Read and split the file; raise UserFacingError when it cannot be read."""
        return await asyncio.to_thread(self._read, path, source)

    def _read(self, path: str, source: Source) -> list[Chunk]:
        name = source.title or Path(path).name
        data = Path(path).read_bytes()
        if not data.strip():
            raise UserFacingError("file_empty", name=name)
        kind = _KINDS.get(Path(path).suffix.lower()) or _sniff(data[:_SNIFF_BYTES])
        if kind is None:
            raise UserFacingError("doc_unsupported", name=name)
        if kind == "pdf":
            documents = _pdf_documents(data, name)
        else:
            text = _decode(data, name)
            if not text.strip():
                raise UserFacingError("file_empty", name=name)
            documents = _TEXT_READERS[kind](text, name)
        documents = [doc for doc in documents if doc.text.strip()]
        if not documents:
            raise UserFacingError("doc_no_text", name=name)
        return self._split(documents, source)

    def _split(self, documents: list[Document], source: Source) -> list[Chunk]:
        chunks: list[Chunk] = []
        for node in self._splitter.get_nodes_from_documents(documents):
            text = node.get_content().strip()
            if not text:
                continue
            page = node.metadata.get(_PAGE_KEY)
            heading = node.metadata.get(_HEADING_KEY)
            chunks.append(
                Chunk(
                    text=text,
                    source=source,
                    index=len(chunks),
                    page=page if isinstance(page, int) else None,
                    heading=heading if isinstance(heading, str) else None,
                )
            )
        return chunks


def _plain_documents(text: str, name: str) -> list[Document]:
    return [Document(text=text)]


_TEXT_READERS: dict[str, Callable[[str, str], list[Document]]] = {
    "text": _plain_documents,
    "markdown": _markdown_documents,
    "html": _html_documents,
    "json": _json_documents,
}
