"""Korean written in Latin letters: romanised people's names ("Park Seo-yeon") found in
sources and matched to a Hangul full name, and a Latin spelling ("Hanbit") matched to the
Korean word the sources write (한빛농장)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Iterable, Sequence

from anyascii import anyascii
from rapidfuzz import fuzz

from adapters.name_bridge.sounds import hangul_key, latin_key, romanise

REVERSE_RATIO = 88.0
KOREAN_NAME_RATIO = 90.0
# Common romanised spellings of Korean surnames, which Revised Romanization does not give.
_SURNAMES = {
    "박": ("park", "pak"),
    "이": ("lee", "yi", "rhee"),
    "최": ("choi", "choe"),
    "정": ("jung", "chung"),
    "김": ("kim",),
    "조": ("cho", "jo"),
    "강": ("kang",),
    "윤": ("yoon", "yun"),
    "장": ("jang", "chang"),
    "임": ("lim", "im"),
    "한": ("han",),
    "오": ("oh",),
    "서": ("seo", "suh"),
    "신": ("shin",),
    "권": ("kwon",),
    "황": ("hwang",),
    "송": ("song",),
    "류": ("ryu", "yoo"),
    "유": ("yoo", "yu"),
    "홍": ("hong",),
    "전": ("jeon", "jun"),
    "고": ("ko", "go"),
    "문": ("moon", "mun"),
    "손": ("son", "sohn"),
    "배": ("bae",),
    "백": ("baek", "paek"),
}
_VERB_ENDINGS = ("다", "요", "죠", "니다", "니까")


def surname_pattern() -> str:
    """A regular expression alternation of every surname spelling, longest first."""
    spellings = {spelling for variants in _SURNAMES.values() for spelling in variants}
    spellings |= {romanise(surname) for surname in _SURNAMES}
    return "|".join(sorted(spellings, key=len, reverse=True))


def korean_names_in_latin(texts: Iterable[str]) -> set[str]:
    """Korean people's names romanised in a source ("Dae-jung Lim", "Park Seo-yeon"): a
    known surname beside a hyphenated given name, in either order."""
    names: set[str] = set()
    for text in texts:
        for match in _LATIN_KOREAN_NAME.finditer(text):
            names.add(match.group(0))
    return names


def match_korean_name(hangul: str, names: Collection[str]) -> str | None:
    """The romanised name ("Dae-jung Lim") a Hangul full name (임대중) is spelled as, or
    None. Only a known surname starts a full name, and the whole spelling must agree."""
    if not 2 <= len(hangul) <= 4 or hangul[0] not in _SURNAMES:
        return None
    spellings = _spellings(hangul)
    best, best_score = None, 0.0
    for name in names:
        words = name.split()
        given = next((word for word in words if "-" in word), None)
        surname = next((word for word in words if "-" not in word), None)
        if given is None or surname is None:
            continue
        spelled = re.sub(r"[^a-z]", "", f"{surname}{given}".lower())
        score = max(fuzz.ratio(spelled, spelling) for spelling in spellings)
        if score > best_score or (score == best_score and best is not None and name < best):
            best, best_score = name, score
    return best if best_score >= KOREAN_NAME_RATIO else None


# Spellings people give syllables of Korean given names beside Revised Romanization.
_GIVEN_SPELLINGS = {
    "우": ("woo",),
    "유": ("yoo",),
    "윤": ("yoon",),
    "연": ("yun",),
    "현": ("hyun",),
    "준": ("joon",),
    "석": ("suk",),
    "성": ("sung",),
    "정": ("jung",),
    "영": ("young",),
    "경": ("kyung",),
    "철": ("chul",),
    "원": ("won",),
    "희": ("hee",),
    "수": ("soo",),
    "주": ("joo",),
}


@functools.lru_cache(maxsize=65536)
def _spellings(hangul: str) -> tuple[str, ...]:
    """Revised Romanization and the spellings people use beside it (hyun, yoon, Park)."""
    syllables = [(romanise(char), *_GIVEN_SPELLINGS.get(char, ())) for char in hangul[1:]]
    givens = {"".join(parts) for parts in itertools.product(*syllables)}
    surnames = {romanise(hangul[:1]), *_SURNAMES.get(hangul[0], ())}
    return tuple(surname + name for surname in surnames for name in givens)


def match_hangul(
    latin: str, words: frozenset[str], *, exact_only: bool = False, following: str = ""
) -> str | None:
    """The Korean word `latin` spells (a whole word, fuzzily, or exactly its first
    syllables, as "Hanbit" is of 한빛농장), or None.

    With `exact_only` only an exact romanisation counts (for words written in lower case,
    which may be any English word). `following` is the word after `latin` in the query: when
    words that begin with the same syllables part ways (청운키친, 청운타워), the one whose rest
    sounds like it wins ("Cheongun Tower"), and with none, the syllables they share.
    """
    spelled = re.sub(r"[^a-z]", "", anyascii(latin).lower())
    if len(spelled) < (5 if exact_only else 4):
        return None
    # Words this spelling romanises exactly, whole or their first syllables, with the rest.
    exact = _by_spelling(words).get(spelled, ())
    best, best_score = None, 0.0
    candidates = [(word, 100.0) for word, _ in exact]
    if not exact_only:
        candidates += [
            (word, max(fuzz.ratio(spelled, spelling) for spelling in _spellings(word)))
            for word in words
            if not word.endswith(_VERB_ENDINGS)
        ]
    for word, score in candidates:
        # Among equals the longest word wins ("Hanbit" is 한빛농장 rather than 한빛: the name
        # the sources give the thing), then the first in order, so a query always bridges
        # the same (a set's order changes with the hash seed).
        if score > best_score or (
            score == best_score and best is not None and (-len(word), word) < (-len(best), best)
        ):
            best, best_score = word, score
    if best is None or best_score < REVERSE_RATIO:
        return None
    return _parted(best, exact, following) if best_score == 100.0 and exact else best


@functools.lru_cache(maxsize=16)
def _by_spelling(words: frozenset[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each romanisation of a word or of its first syllables (two or more): the words so
    spelled, each with the syllables after the match."""
    index: dict[str, list[tuple[str, str]]] = {}
    for word in sorted(words):
        if word.endswith(_VERB_ENDINGS):
            continue
        seen = set()
        for cut in range(2, len(word) + 1):
            spelled = romanise(word[:cut])
            if spelled not in seen:
                seen.add(spelled)
                index.setdefault(spelled, []).append((word, word[cut:]))
    return {spelled: tuple(found) for spelled, found in index.items()}


def _parted(best: str, prefixed: Sequence[tuple[str, str]], following: str) -> str:
    """`best`, unless words sharing its first syllables go on differently: then the one
    whose rest sounds like `following`, else the syllables they share."""
    if all(best.startswith(word) for word, _ in prefixed):
        return best  # one word and its shorter forms (한빛, 한빛농장)
    if following:
        key = latin_key(following)
        scored = sorted(
            ((fuzz.ratio(hangul_key(rest), key), word) for word, rest in prefixed if rest),
            key=lambda item: (-item[0], item[1]),
        )
        if scored and scored[0][0] >= 50 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            return scored[0][1]
    shared = prefixed[0][0]
    for word, _ in prefixed[1:]:
        while not word.startswith(shared):
            shared = shared[:-1]
    return shared or best


_SURNAME_SPELLING = rf"(?:{surname_pattern().title()})"
_LATIN_KOREAN_NAME = re.compile(
    rf"\b{_SURNAME_SPELLING}\s+[A-Z][a-z]+-[a-z]+\b|\b[A-Z][a-z]+-[a-z]+\s+{_SURNAME_SPELLING}\b"
)
