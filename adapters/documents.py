"""Reads files into chunks: llama-index documents split by llama-index's SentenceSplitter."""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
import io
import json
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llama_index.core
import pypdf
import pypdf.errors
import tiktoken
from bs4 import BeautifulSoup
from bs4.element import NavigableString
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal
from llama_index.core.schema import Document

from core.errors import UserFacingError
from core.models import Chunk, Source

log = logging.getLogger("ragbot.documents")

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
_SNIFF_BYTES = 8192
_PAGE_KEY = "page"
_HEADING_KEY = "heading"
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

# Elements whose text is code or markup, never prose a user would ask about.
_HTML_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
# Block elements end a line, so "<p>a</p><p>b</p>" reads as two lines, not "ab".
_HTML_BLOCKS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "title", "tr", "ul",
)  # fmt: skip
_HTML_CELLS = ("td", "th")

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

# cl100k_base: the tiktoken file llama-index bundles, and its constants from
# tiktoken_ext.openai_public (tiktoken would otherwise download the file on first use).
_CL100K_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"  # sha1 of the download URL
_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_encoding: tiktoken.Encoding | None = None
_punkt: Any = None
_lazy_lock = threading.Lock()


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


def _sniff(head: bytes) -> str | None:
    """The kind of a file without a known extension: "pdf", "text", or None (refused)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    if b"\x00" in head:
        return None
    try:
        # An incremental decoder accepts a character cut in half at the 8 KiB boundary.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return "text"


def _decode(data: bytes, name: str) -> str:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or Korean CP949."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserFacingError("doc_undecodable", name=name) from None
        return _clean(text)
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UserFacingError("doc_binary", name=name)
    try:
        return _clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        # CP949 is a superset of EUC-KR, so it reads both legacy Korean encodings.
        text = data.decode("cp949")
    except UnicodeDecodeError:
        raise UserFacingError("doc_undecodable", name=name) from None
    # Other 8-bit encodings (Latin-1, CP1252) may decode as CP949 by chance: accept the
    # result only when it reads as Korean.
    foreign = [char for char in text if ord(char) > 127]
    if len(_HANGUL.findall(text)) < len(foreign) / 2:
        raise UserFacingError("doc_undecodable", name=name)
    return _clean(text)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _plain_documents(text: str, name: str) -> list[Document]:
    return [Document(text=text)]


def _markdown_documents(text: str, name: str) -> list[Document]:
    # Not llama-index's MarkdownReader: it strips every line, drops blank lines, files the
    # text under a "# A" heading into the next "## B" section, and its image pattern eats "!."
    # in prose. Markdown reads well as it is; only images and links are made plain, keeping
    # web addresses (users ask for them). One document per section, its heading kept apart:
    # chunks are small, and the heading says what a chunk is about.
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(lambda m: f"{m[1]} ({m[2]})" if "://" in m[2] else m[1], text)
    documents = []
    heading: str | None = None
    lines: list[str] = []

    def close_section() -> None:
        body = "\n".join(lines).strip()
        if body:
            documents.append(_section(body, heading))

    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _MD_HEADING.match(line)
        if match:
            close_section()
            heading, lines = match.group(2).strip(), []
        else:
            lines.append(line)
    close_section()
    return documents


def _section(text: str, heading: str | None) -> Document:
    if heading is None:
        return Document(text=text)
    return Document(
        text=text,
        metadata={_HEADING_KEY: heading},
        # Kept out of the text the splitter measures, so chunks keep their size.
        excluded_embed_metadata_keys=[_HEADING_KEY],
        excluded_llm_metadata_keys=[_HEADING_KEY],
    )


def _html_documents(text: str, name: str) -> list[Document]:
    soup = BeautifulSoup(text, "html.parser")
    for element in soup.find_all(_HTML_DROP):
        element.decompose()
    for element in soup.find_all(_HTML_BLOCKS):
        element.append(NavigableString("\n"))
    for element in soup.find_all(_HTML_CELLS):
        element.append(NavigableString(" "))
    lines = (_SPACES.sub(" ", line).strip() for line in soup.get_text().split("\n"))
    return [Document(text="\n".join(line for line in lines if line))]


def _json_documents(text: str, name: str) -> list[Document]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserFacingError("doc_bad_json", name=name, line=error.lineno) from None
    except RecursionError:
        raise UserFacingError("doc_json_too_deep", name=name) from None
    return [Document(text="\n".join(_flatten_json(data)))]


def _flatten_json(data: Any) -> list[str]:
    """One "path > to > key: value" line per leaf, in document order."""
    lines: list[str] = []
    # An explicit stack, because JSON nesting may exceed Python's recursion limit.
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            items = [(f"{path} > {key}" if path else str(key), item) for key, item in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i + 1}]", item) for i, item in enumerate(value)]))
        else:
            shown = value if isinstance(value, str) else json.dumps(value)
            if shown.strip():
                lines.append(f"{path}: {shown}" if path else shown)
    return lines


_TEXT_READERS: dict[str, Callable[[str, str], list[Document]]] = {
    "text": _plain_documents,
    "markdown": _markdown_documents,
    "html": _html_documents,
    "json": _json_documents,
}


def _pdf_documents(data: bytes, name: str) -> list[Document]:
    # pypdf directly, as llama-index's PDFReader does, without that reader's costs: its package
    # calls logging.basicConfig(level=INFO) on import (taking over the app's logging), imports
    # pandas, and retries a broken file three times.
    try:
        pdf = pypdf.PdfReader(io.BytesIO(data))
        pages = list(pdf.pages)
    except pypdf.errors.FileNotDecryptedError:
        raise UserFacingError("pdf_password", name=name) from None
    except Exception as error:
        # pypdf reports a damaged file with many exception types (struct, key, value errors).
        log.info("unreadable PDF %s: %r", name, error)
        raise UserFacingError("pdf_damaged", name=name) from None
    if not pages:
        raise UserFacingError("pdf_damaged", name=name)
    documents = []
    failed = 0
    # One document per page; the 1-based position is the page number (a page label may be a
    # roman numeral or any text).
    for number, page in enumerate(pages, start=1):
        try:
            text = _clean(page.extract_text())
        except pypdf.errors.FileNotDecryptedError:
            raise UserFacingError("pdf_password", name=name) from None
        except pypdf.errors.DependencyError as error:
            log.warning("cannot decrypt %s: %s", name, error)
            raise UserFacingError("pdf_encrypted", name=name) from None
        except Exception as error:
            # One broken page should not cost the rest of the document.
            log.info("unreadable page %d of %s: %r", number, name, error)
            failed += 1
            continue
        if text.strip():
            documents.append(
                Document(
                    text=text,
                    metadata={_PAGE_KEY: number},
                    # Kept out of the text the splitter measures, so chunks keep their size.
                    excluded_embed_metadata_keys=[_PAGE_KEY],
                    excluded_llm_metadata_keys=[_PAGE_KEY],
                )
            )
    if documents:
        return documents
    if failed:
        raise UserFacingError("pdf_damaged", name=name)
    raise UserFacingError("pdf_scanned", name=name)


def _split_sentences(text: str) -> list[str]:
    # The same untrained Punkt tokenizer llama-index uses by default, built here so that
    # llama-index never runs its NLTK data check (which downloads when NLTK_DATA points
    # elsewhere). Imported on first use: importing nltk takes about a second.
    global _punkt
    if _punkt is None:
        with _lazy_lock:
            if _punkt is None:
                from nltk.tokenize.punkt import (  # type: ignore[import-untyped]
                    PunktSentenceTokenizer,
                )

                _punkt = PunktSentenceTokenizer()
    sentences: list[str] = split_by_sentence_tokenizer_internal(text, _punkt)
    return sentences


def _count_tokens(text: str) -> list[int]:
    global _encoding
    if _encoding is None:
        with _lazy_lock:
            if _encoding is None:
                _encoding = _load_cl100k()
    return _encoding.encode_ordinary(text)


def _load_cl100k() -> tiktoken.Encoding:
    bundled = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache" / _CL100K_FILE
    try:
        data = bundled.read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() != _CL100K_SHA256:
        # A llama-index without the bundled file: tiktoken's own cache (or download).
        log.warning("llama-index has no bundled cl100k file; tiktoken loads its own")
        return tiktoken.get_encoding("cl100k_base")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    return tiktoken.Encoding(
        name="cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )


__all__ = ["LlamaIndexDocumentReader"]
