"""The payload every stored point carries, and the way back from it to a chunk.

Both vector store adapters use these two mappings, so a collection written by one reads the
same through the other (the embedded store and a Qdrant server share one schema).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.models import Chunk, Passage, QueryVectors, Source, SourceKind, StoredPoint, VectorSpace

Payload = dict[str, Any]

# The payload keys the store needs to rebuild a Source, without the (long) chunk text.
SOURCE_KEYS: tuple[str, ...] = ("source_id", "source_kind", "title", "url")


def chunk_to_payload(chunk: Chunk) -> Payload:
    """The payload stored with a chunk's vector; every key is present, unset ones as None."""
    return {
        "text": chunk.text,
        "source_id": chunk.source.source_id,
        "source_kind": chunk.source.kind.value,
        "title": chunk.source.title,
        "url": chunk.source.url,
        "page": chunk.page,
        "start_seconds": chunk.start_seconds,
        "end_seconds": chunk.end_seconds,
        "chunk_index": chunk.index,
        "language": chunk.language,
        "heading": chunk.heading,
        # [[offset in text, second], ...]: where each caption starts (cited seconds).
        "cue_starts": [[offset, second] for offset, second in chunk.cue_starts],
        # A memory's: when (UTC epoch seconds, range-filtered), who, where, what it cited.
        "said_at": chunk.said_at,
        "author": chunk.author,
        "thread_id": chunk.thread_id,
        "cited": list(chunk.cited),
        "open_question": chunk.open_question,
    }


def payload_to_source(payload: Mapping[str, Any]) -> Source:
    """Rebuild the Source a stored point belongs to."""
    return Source(
        source_id=_text(payload.get("source_id")),
        title=_text(payload.get("title")),
        kind=_kind(payload.get("source_kind")),
        url=_optional_text(payload.get("url")),
    )


def payload_to_chunk(payload: Mapping[str, Any]) -> Chunk:
    """Rebuild the Chunk a stored point was made from."""
    return Chunk(
        text=_text(payload.get("text")),
        source=payload_to_source(payload),
        index=_optional_int(payload.get("chunk_index")) or 0,
        page=_optional_int(payload.get("page")),
        start_seconds=_optional_float(payload.get("start_seconds")),
        end_seconds=_optional_float(payload.get("end_seconds")),
        language=_optional_text(payload.get("language")),
        heading=_optional_text(payload.get("heading")),
        cue_starts=_cue_starts(payload.get("cue_starts")),
        said_at=_optional_float(payload.get("said_at")),
        author=_optional_text(payload.get("author")),
        thread_id=_optional_text(payload.get("thread_id")),
        cited=_texts(payload.get("cited")),
        open_question=payload.get("open_question") is True,
    )


def _cue_starts(value: object) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, list):
        return ()
    starts: list[tuple[int, float]] = []
    for item in value:
        if isinstance(item, list | tuple) and len(item) == 2:
            offset, second = item
            if isinstance(offset, int) and isinstance(second, int | float):
                starts.append((offset, float(second)))
    return tuple(starts)


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _kind(value: object) -> SourceKind:
    # A point written by a newer version may carry a kind this one does not know; reading
    # it as a document keeps the channel searchable instead of failing every query.
    try:
        return SourceKind(str(value))
    except ValueError:
        return SourceKind.DOCUMENT


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _optional_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # JSON stores may hand back whole numbers as floats.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _optional_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def check_vectors(points: Sequence[StoredPoint], spaces: Sequence[VectorSpace]) -> None:
    """Raise ValueError unless every point has one vector of the right size in each space."""
    expected = {space.name: space.dimension for space in spaces}
    for point in points:
        if set(point.vectors) != set(expected):
            raise ValueError(
                f"point {point.point_id} has vectors {sorted(point.vectors)}, "
                f"expected {sorted(expected)}"
            )
        for name, vector in point.vectors.items():
            if len(vector) != expected[name]:
                raise ValueError(
                    f"point {point.point_id} has {len(vector)} dimensions in {name}, "
                    f"expected {expected[name]}"
                )


def candidate_limit(limit: int) -> int:
    """How many nearest points each space proposes before all are scored in every space."""
    return max(limit * 4, 20)


def best_passages(
    cosines: Mapping[Any, dict[str, float]],
    payloads: Mapping[Any, Mapping[str, Any]],
    query: QueryVectors,
    limit: int,
) -> list[Passage]:
    """The `limit` candidates with the best `query.score` of their cosines, as passages."""
    return passages_of(best_ids(cosines, query, limit), cosines, payloads, query)


def best_ids(cosines: Mapping[Any, dict[str, float]], query: QueryVectors, limit: int) -> list[Any]:
    """The ids of the `limit` candidates with the best `query.score`, best first."""
    return sorted(cosines, key=lambda i: query.score(cosines[i]), reverse=True)[:limit]


def passages_of(
    ids: Sequence[Any],
    cosines: Mapping[Any, dict[str, float]],
    payloads: Mapping[Any, Mapping[str, Any]],
    query: QueryVectors,
) -> list[Passage]:
    """The candidates `ids` names, in that order, as passages (`payloads` needs only theirs)."""
    return [
        Passage(payload_to_chunk(payloads[i]), query.score(cosines[i]), cosines=cosines[i])
        for i in ids
    ]
