"""Markdown as one llama-index document per section, its heading kept as metadata, with
images and links made plain."""

from __future__ import annotations

import re

from llama_index.core.schema import Document

_HEADING_KEY = "heading"
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")


def _markdown_documents(text: str, name: str) -> list[Document]:
    # Not llama-index's MarkdownReader: it strips every line, drops blank lines, files the
    # text under a "# A" heading into the next "## B" section, and its image pattern eats "!."
    # in prose. Markdown reads well as it is; only images and links are made plain, keeping
    # web addresses (users ask for them). One document per section, its heading kept apart:
    # chunks are small, and the heading says what a chunk is about.
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(lambda m: f"{m[1]} ({m[2]})" if "://" in m[2] else m[1], text)
    documents: list[Document] = []
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
