"""Which passages an answer cites, and the Sources list shown under it."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.context import context_text
from core.language import ENGLISH
from core.messages import say
from core.models import Passage, SourceLink

_CITATION = re.compile(r"\[(\d{1,2})\]")
# How models say the passages do not hold the answer, in English and Korean.
_NOT_STATED = re.compile(
    r"(do(es)? not|don't|doesn't|cannot|can't) (know|say|mention|specify|state|provide|contain"
    r"|find|tell)|not (mentioned|specified|stated|provided|given|available|included)"
    r"|no (information|mention|details)"
    r"|모르|알 수 없|나와 있지 않|나와있지 않|언급(되어 있지 않|되지 않|이 없|하지 않)|정보가 없",
    re.IGNORECASE,
)
# Digits, Latin words and Hangul runs apart, so "Tower는" and "212미터" still match.
_TERM = re.compile(r"\d+|[A-Za-z\u00c0-\u024f]+|[\uac00-\ud7a3]+")


def cited_numbers(answer: str, passage_count: int) -> list[int]:
    """1-based passage numbers the answer cites as [n], in order of first use."""
    numbers: list[int] = []
    for match in _CITATION.finditer(answer):
        number = int(match.group(1))
        if 1 <= number <= passage_count and number not in numbers:
            numbers.append(number)
    return numbers


def _salient_terms(text: str) -> set[str]:
    """Numbers, longer words and Hangul words: what an answer takes over from a passage."""
    terms = set()
    for term in _TERM.findall(text):
        hangul = "\uac00" <= term[0] <= "\ud7a3"
        if term.isdigit() or len(term) >= (2 if hangul else 4):
            terms.add(term.casefold())
    return terms


def used_passages(answer: str, passages: list[Passage]) -> list[int]:
    """1-based numbers of the passages whose distinctive terms the answer repeats.

    A passage counts when it shares at least two terms with the answer, or when it alone
    shares the most; small models rarely cite reliably, but they do copy names and numbers.
    """
    terms = _salient_terms(answer)
    overlaps = [len(terms & _salient_terms(context_text(passage))) for passage in passages]
    best = max(overlaps, default=0)
    if best == 0:
        return []
    return [
        number
        for number, overlap in enumerate(overlaps, start=1)
        if overlap >= 2 or (overlap == best and overlaps.count(best) == 1)
    ]


def says_not_stated(answer: str) -> bool:
    """Whether a short answer says the passages do not hold what was asked."""
    return len(answer) <= 300 and _NOT_STATED.search(answer) is not None


_NUMBER = re.compile(r"\d+")


def _numbers(text: str) -> set[str]:
    return {match.lstrip("0") or "0" for match in _NUMBER.findall(text.replace(",", ""))}


def unsupported_numbers(answer: str, passages: list[Passage], question: str) -> set[str]:
    """Numbers in the answer that neither the passages nor the question hold: a small model
    asked for a figure the sources lack invents one (a ticket price, a floor)."""
    known = _numbers(question)
    for passage in passages:
        known |= _numbers(context_text(passage))
    return _numbers(_CITATION.sub("", answer)) - known


def looked_at(passages: list[Passage]) -> str:
    """The places the answer step read, each once, as a short list."""
    places: list[str] = []
    for passage in passages:
        chunk = passage.chunk
        place = chunk.source.title + (f" (§ {chunk.heading})" if chunk.heading else "")
        if place not in places:
            places.append(place)
    return "; ".join(places)


def select_cited(answer: str, passages: list[Passage]) -> list[tuple[int, Passage]]:
    """The passages the answer used: those it cites as [n], else those whose terms it repeats,
    else all it was given."""
    numbers = (
        cited_numbers(answer, len(passages))
        or used_passages(answer, passages)
        or list(range(1, len(passages) + 1))
    )
    return [(number, passages[number - 1]) for number in sorted(numbers)]


def link_at_time(url: str, seconds: float) -> str:
    """`url` opening at `seconds`: YouTube's t= parameter, #t= for other media."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if not (host.endswith("youtube.com") or host.endswith("youtu.be")):
        # Media fragments: players open other media URLs at #t=seconds.
        return urlunsplit(parts._replace(fragment=f"t={int(seconds)}"))
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "t"]
    query.append(("t", f"{int(seconds)}s"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def format_seconds(seconds: float) -> str:
    """`seconds` as m:ss, or h:mm:ss from an hour on."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


SecondOf = Callable[[Passage], float | None]


def _chunk_start(passage: Passage) -> float | None:
    return passage.chunk.start_seconds


def _locator(passage: Passage, second_of: SecondOf = _chunk_start) -> str | None:
    chunk = passage.chunk
    parts = []
    if chunk.heading:
        parts.append(f"§ {chunk.heading}")
    if chunk.page is not None:
        parts.append(f"p. {chunk.page}")
    second = second_of(passage)
    if second is not None:
        parts.append(format_seconds(second))
    return ", ".join(parts) or None


def _link(passage: Passage, second_of: SecondOf = _chunk_start) -> str | None:
    url = passage.chunk.source.url
    second = second_of(passage)
    if url and second is not None:
        return link_at_time(url, second)
    return url


def describe_location(passage: Passage) -> str:
    """Title plus section, page or timestamp, and the link when there is one."""
    return _described(SourceLink((), passage.chunk.source.title, _locator(passage), _link(passage)))


def _described(link: SourceLink) -> str:
    text = link.title
    if link.locator:
        # A timestamp reads "Talk @ 1:35"; a section or page "Guide, § Leave, p. 3".
        text += (" @ " if link.locator[0].isdigit() else ", ") + link.locator
    if link.url:
        text += f" <{link.url}>"
    return text


def source_links(
    cited: list[tuple[int, Passage]], second_of: SecondOf = _chunk_start
) -> list[SourceLink]:
    """The Sources of an answer as data; passages at the same place share one entry.
    `second_of` says which second of a recording a passage is cited at."""
    grouped: dict[tuple[str, str | None, str | None], list[int]] = {}
    for number, passage in cited:
        place = (
            passage.chunk.source.title,
            _locator(passage, second_of),
            _link(passage, second_of),
        )
        grouped.setdefault(place, []).append(number)
    return [
        SourceLink(tuple(numbers), title, locator, url)
        for (title, locator, url), numbers in grouped.items()
    ]


def format_sources(sources: list[SourceLink], language: str = ENGLISH) -> str:
    """The Sources list as Markdown text, for platforms that do not render it natively."""
    body = "\n".join(
        "".join(f"[{n}]" for n in link.numbers) + f" {_described(link)}" for link in sources
    )
    return f"{say('sources_header', language)}:\n{body}"
