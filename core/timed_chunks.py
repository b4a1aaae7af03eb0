"""Chunks of a transcript that remember time: which second each caption starts at.

A video's captions become chunks of about `target_tokens`, never across a chapter, ending
at a sentence end where one is near. Each chunk keeps the start of every caption in it,
so an answer can cite the second a fact is said rather than the start of the chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from core.citations import _salient_terms
from core.models import Chapter, Chunk, Cue, Source

TokenCounter = Callable[[str], int]

# Punctuation, or (Korean automatic captions have none) a final verb ending: 니다, 다, 요...
_SENTENCE_END = re.compile(r"(?:[.!?…。！？]|[다요죠까])[\"'”’)\]]*$")
# Roughly what a subword tokenizer makes: short Latin pieces, digit groups, syllable pairs.
_TOKENISH = re.compile(r"[A-Za-z]{1,6}|\d{1,3}|[\uac00-\ud7a3]{1,2}|[^\sA-Za-z\d\uac00-\ud7a3]")
_CITATION = re.compile(r"\[\d{1,2}\]")


def approximate_tokens(text: str) -> int:
    """An estimate of the tokens in `text`, for when no tokenizer is at hand."""
    return len(_TOKENISH.findall(text))


def ends_sentence(text: str) -> bool:
    """Whether caption text ends a sentence (punctuation, or a Korean final ending)."""
    return _SENTENCE_END.search(text.rstrip()) is not None


def timed_chunks(
    cues: Sequence[Cue],
    source: Source,
    chapters: Sequence[Chapter] | None = None,
    target_tokens: int = 160,
    count_tokens: TokenCounter = approximate_tokens,
    language: str | None = None,
) -> list[Chunk]:
    """Chunks of about `target_tokens` from captions in time order, each within one chapter
    (its title as `heading`), with start, end and every caption's start (`cue_starts`).

    Captions are never split: a chunk ends between two, at the last sentence end in it
    when that keeps at least half the target, else where the target is reached. A caption
    belongs to the chapter it starts in; one still shown when the next chapter starts
    makes its chunk end there, not after.
    """
    kept = sorted((cue for cue in cues if cue.text.strip()), key=lambda cue: cue.start)
    chunks: list[Chunk] = []
    for title, limit, group in _by_chapter(kept, sorted(chapters or (), key=lambda c: c.start)):
        for piece in _pieces(group, target_tokens, count_tokens):
            chunks.append(_chunk(piece, source, len(chunks), title, language, limit))
    return chunks


def _chapter_of(cue: Cue, chapters: Sequence[Chapter]) -> int | None:
    """The number of the chapter a caption starts in, or None before or after them all."""
    number: int | None = None
    for at, chapter in enumerate(chapters):
        if chapter.start <= cue.start:
            number = at
    if number is not None:
        end = chapters[number].end
        if end is not None and cue.start >= end:
            return None
    return number


def _chapter_end(chapters: Sequence[Chapter], number: int | None) -> float | None:
    """Where chapter `number` ends: at its end or the next chapter's start, whichever comes
    first (chapter lists can overlap by a second); None when open, and outside chapters."""
    if number is None:
        return None
    ends = [chapters[number].end, *(c.start for c in chapters[number + 1 : number + 2])]
    known = [end for end in ends if end is not None]
    return min(known) if known else None


def _by_chapter(
    cues: Sequence[Cue], chapters: Sequence[Chapter]
) -> list[tuple[str | None, float | None, list[Cue]]]:
    """Runs of consecutive captions in one chapter, with its title (None outside chapters)
    and where it ends."""
    groups: list[tuple[int | None, list[Cue]]] = []
    for cue in cues:
        number = _chapter_of(cue, chapters)
        if groups and groups[-1][0] == number:
            groups[-1][1].append(cue)
        else:
            groups.append((number, [cue]))
    return [
        (None if n is None else chapters[n].title, _chapter_end(chapters, n), group)
        for n, group in groups
    ]


def _pieces(cues: Sequence[Cue], target: int, count_tokens: TokenCounter) -> list[list[Cue]]:
    """Captions cut into runs of at most `target` tokens (a longer caption stands alone)."""
    pieces: list[list[Cue]] = []
    current: list[tuple[Cue, int]] = []
    for cue in cues:
        tokens = count_tokens(cue.text)
        while current and sum(n for _, n in current) + tokens > target:
            cut = _cut(current, target)
            pieces.append([c for c, _ in current[:cut]])
            current = current[cut:]
        current.append((cue, tokens))
    if current:
        pieces.append([c for c, _ in current])
    return pieces


def _cut(current: Sequence[tuple[Cue, int]], target: int) -> int:
    """How many captions of `current` to close a chunk with: through the last sentence end
    if that holds at least half the target, else all of them."""
    total, cut, kept = 0, len(current), 0
    for at, (cue, tokens) in enumerate(current, start=1):
        total += tokens
        if ends_sentence(cue.text):
            cut, kept = at, total
    return cut if kept * 2 >= target else len(current)


def _chunk(
    cues: Sequence[Cue],
    source: Source,
    index: int,
    title: str | None,
    language: str | None,
    limit: float | None = None,
) -> Chunk:
    parts: list[str] = []
    starts: list[tuple[int, float]] = []
    offset = 0
    for cue in cues:
        text = cue.text.strip()
        starts.append((offset, cue.start))
        parts.append(text)
        offset += len(text) + 1
    return Chunk(
        text=" ".join(parts),
        source=source,
        index=index,
        start_seconds=cues[0].start,
        end_seconds=_ended(max(cue.end for cue in cues), cues[0].start, limit),
        language=language,
        heading=title,
        cue_starts=tuple(starts),
    )


def _ended(end: float, start: float, limit: float | None) -> float:
    """A chunk's end, cut at its chapter's end (never before the chunk's start)."""
    return end if limit is None else max(start, min(end, limit))


def _stems(terms: set[str]) -> set[str]:
    # Korean glues particles onto words (에펠탑은, 에펠탑의, 에펠탑에서): the word without
    # its last one or two syllables lets those forms meet.
    stems = set(terms)
    for term in terms:
        if "\uac00" <= term[0] <= "\ud7a3":
            if len(term) >= 3:
                stems.add(term[:-1])
            if len(term) >= 4:
                stems.add(term[:-2])
    return stems


def cited_second(chunk: Chunk, question: str, answer: str) -> float:
    """The start of the caption in `chunk` whose words best match the answer and question
    (the chunk's start when none does, or when it has no caption starts)."""
    fallback = chunk.start_seconds if chunk.start_seconds is not None else 0.0
    if not chunk.cue_starts:
        return fallback
    answer_terms = _stems(_salient_terms(_CITATION.sub("", answer)))
    question_terms = _stems(_salient_terms(question))
    ends = [offset for offset, _ in chunk.cue_starts[1:]] + [len(chunk.text)]
    best, second = 0, fallback
    for (offset, start), end in zip(chunk.cue_starts, ends, strict=True):
        said = _stems(_salient_terms(chunk.text[offset:end]))
        # The answer repeats the words of the fact; the question's words also match every
        # caption that merely names the subject, so they count for less.
        score = 2 * len(said & answer_terms) + len(said & question_terms)
        if score > best:
            best, second = score, start
    return second
