"""The text around a retrieved chunk: search finds small units, the model reads a window.

A question about one fact in a long document matches the few sentences that state it far
better than a long chunk covering several subjects; the model then needs the sentences
around them to answer. Hits close together in one source share one window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.models import Passage
from core.ports import VectorStore


@dataclass
class _Span:
    best: Passage
    first: int
    last: int


async def with_context(
    store: VectorStore, collection: str, passages: list[Passage], window: int
) -> list[Passage]:
    """`passages` (best first) each with the chunks up to `window` either side as context;
    overlapping or touching windows of one source are merged into the better passage."""
    if window <= 0:
        return [replace(p, context=(p.chunk,)) for p in passages]
    spans: list[_Span] = []
    for passage in passages:
        index = passage.chunk.index
        first, last = max(0, index - window), index + window
        for span in spans:
            same = span.best.chunk.source.source_id == passage.chunk.source.source_id
            if same and first <= span.last + 1 and last >= span.first - 1:
                span.first, span.last = min(span.first, first), max(span.last, last)
                break
        else:
            spans.append(_Span(passage, first, last))
    result = []
    for span in spans:
        source_id = span.best.chunk.source.source_id
        chunks = await store.chunks(collection, source_id, span.first, span.last)
        # A window never crosses into another section: its text is about something else.
        section = span.best.chunk.heading
        context = tuple(c for c in chunks if c.heading == section) or (span.best.chunk,)
        result.append(replace(span.best, context=context))
    return result


def context_text(passage: Passage) -> str:
    """What the model reads of a passage: its window (or the chunk), heading first."""
    chunks = passage.context or (passage.chunk,)
    lines: list[str] = []
    heading = None
    for chunk in chunks:
        if chunk.heading and chunk.heading != heading:
            lines.append(chunk.heading)
            heading = chunk.heading
        lines.append(chunk.text.strip())
    return "\n".join(lines)
