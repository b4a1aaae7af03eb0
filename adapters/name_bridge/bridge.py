"""Bridges proper names across scripts in a query: "글리머스톤 타워" -> "Glimmerstone Tower",
"Park Seo-yeon" -> "박서연".

Embedders match a name written in another script poorly (an English name in Hangul scores
under the bar against the English passage), so before a query is embedded, a Hangul word
that sounds like one of the channel's Latin names is replaced by that name, and a Latin
word that spells one of the channel's Korean words is replaced by it. Names come from the
channel's own sources, so a question can only be pulled towards what the channel holds.

Matching compares consonant skeletons (Korean renders English sounds with a fixed set of
consonants: "Glimmerstone" and 글리머스톤 share G-L-M-S-T-N), fuzzily (rapidfuzz), and
refuses short skeletons and a vowel-initial word against a consonant-initial name: the
false matches a first version made (버그 -> Bergen, 오케스트라 -> Kestrel) are exactly those.
A word of five consonants or more may also be the short form a longer name begins with
(포스트그레스, Postgres, is PostgreSQL).
A test runs 1,200 common Korean words against 250 realistic names and finds no match.
The sounds are compared by adapters/name_bridge/sounds.py; romanised Korean names and words are
matched by adapters/name_bridge/romanised_korean.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from adapters.name_bridge.romanised_korean import (
    korean_names_in_latin,
    match_hangul,
    match_korean_name,
    surname_pattern,
)
from adapters.name_bridge.sounds import (
    VOWELS,
    hangul_key,
    hangul_skeleton,
    hangul_vowel_initial,
    heard_as,
    latin_key,
    skeleton,
    sound_variants,
    vowel_initial,
)
from core.terms import strip_particle

_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
_NAME = re.compile(r"\b[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f]{3,}\b")
# Not a part of a file name or code (hanbit-farm-recipes.md): titles are read too.
_LOWER_WORD = re.compile(r"(?<![\w./-])[a-z][a-z\u00c0-\u024f]{4,}\b(?![./-]\w)")
_CAPITALISED = r"[A-Z\u00c0-\u00de][a-z\u00c0-\u024f]+"
_PHRASE = re.compile(rf"\b{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{1,2}}\b")
# Capitalised words that start a sentence or a heading rather than a name.
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "Of",
        "For",
        "To",
        "From",
        "By",
        "With",
        "And",
        "Or",
        "But",
        "If",
        "When",
        "Where",
        "What",
        "Who",
        "How",
        "Why",
        "Our",
        "Your",
        "My",
        "We",
        "You",
        "They",
        "This",
        "That",
        "These",
        "Those",
        "Please",
        "Each",
        "Every",
        "All",
        "No",
        "Day",
    ]
)
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+(?:[ \t]+[\uac00-\ud7a3]+){1,2}")
SKELETON_MIN = 3
NAME_MIN = 5
SKELETON_RATIO = 88.0
SPELLING_RATIO = 90.0
PHRASE_SPELLING_RATIO = 75.0
SHORT_FORM_MIN = 5
SHORT_FORM_EXTRA = 3
SHORT_FORM_PENALTY = 20.0


def latin_names(texts: Iterable[str]) -> set[str]:
    """Capitalised Latin words of five letters or more written inside a sentence (not
    first on a line or after a full stop, where any word is capitalised): the names a
    source holds."""
    names: set[str] = set()
    for text in texts:
        for match in _NAME.finditer(text):
            before = text[: match.start()].rstrip(" \t")
            if before and (before[-1].isalnum() or before[-1] in ",;&("):
                names.add(match.group(0))
    return names


def latin_words(texts: Iterable[str]) -> set[str]:
    """Lower-case Latin words of five letters or more: a question that writes one of them is
    about the sources' own word, not a Korean word it might spell."""
    return {word for text in texts for word in _LOWER_WORD.findall(text)}


def latin_phrases(texts: Iterable[str]) -> set[str]:
    """Runs of two or three capitalised Latin words ("Celeste Abernathy", "Heron Suite"):
    the names a source holds whose single words are too short to bridge on their own."""
    phrases: set[str] = set()
    for text in texts:
        for match in _PHRASE.finditer(text):
            words = match.group(0).split()
            while words and words[0] in _NOT_NAMES:
                words = words[1:]
            if len(words) >= 2:
                phrases.add(" ".join(words))
    return phrases


def match_phrase(hangul_words: Sequence[str], phrases: Collection[str]) -> str | None:
    """The Latin phrase that consecutive Hangul words (stems) transliterate, or None.

    The words are compared joined, like one long name: a longer skeleton agrees by chance
    far more rarely, so the spellings may differ a little more than a single word's.
    """
    if len(hangul_words) < 2:
        return None
    joined = {phrase.replace(" ", ""): phrase for phrase in phrases}
    found = match_latin("".join(hangul_words), joined, PHRASE_SPELLING_RATIO)
    return joined[found] if found else None


def hangul_words(texts: Iterable[str]) -> set[str]:
    """Hangul word stems of two to six syllables: the Korean names a source may hold."""
    words: set[str] = set()
    for text in texts:
        for word in _HANGUL_WORD.findall(text):
            stem, _ = strip_particle(word)
            if 2 <= len(stem) <= 6:
                words.add(stem)
    return words


def match_latin(
    hangul: str, names: Collection[str], spelling_ratio: float = SPELLING_RATIO
) -> str | None:
    """The Latin name `hangul` (a stem) transliterates, or None when none is close.

    Both the consonant skeletons and the spellings with vowels must agree closely, on the
    same first consonant; a name ending in n, m or l (which Korean writes as a final
    consonant) never matches a word ending in an open syllable (아메리카노 is not American).
    """
    if hangul.endswith("다"):  # a verb or adjective in its dictionary form
        return None
    best, best_score = None, 0.0
    for spelled in sound_variants(hangul):
        found, score = _best_latin(spelled, names, spelling_ratio)
        # Equal scores go to the first name in order, so a query bridges the same in every
        # process (a set's order changes with the hash seed).
        if found and (score > best_score or (score == best_score and best and found < best)):
            best, best_score = found, score
    return best


def _best_latin(
    hangul: str, names: Collection[str], spelling_ratio: float
) -> tuple[str | None, float]:
    bones = hangul_skeleton(hangul)
    key = hangul_key(hangul)
    if len(bones) < SKELETON_MIN:
        return _spelled_exactly(hangul, key, names), 200.0
    vowel_first = hangul_vowel_initial(hangul)
    heard = _heard_by_first_consonant(names if isinstance(names, frozenset) else frozenset(names))
    best, best_score = None, 0.0
    for sound in heard.get(bones[:1], ()):
        name, other, other_key = sound.name, sound.bones, sound.key
        if vowel_first is not None and sound.vowel_first != vowel_first:
            continue
        if _short_form_of(bones, other):
            # 포스트그레스 is Postgres, the short form of PostgreSQL: the word spells the
            # name's beginning exactly, and scores under any whole name it matches.
            consonants, spelling = 100.0, fuzz.ratio(key, other_key[: len(key)])
            penalty = SHORT_FORM_PENALTY
        else:
            if abs(len(other) - len(bones)) > 1 or abs(len(other_key) - len(key)) > 2:
                continue
            if other_key[-1:] in ("n", "m", "l") and key[-1:] in VOWELS:
                continue
            consonants = fuzz.ratio(bones, other)
            spelling = fuzz.ratio(key, other_key)
            penalty = 0.0
        if consonants < SKELETON_RATIO or spelling < spelling_ratio:
            continue
        score = consonants + spelling - penalty
        if score > best_score or (score == best_score and best is not None and name < best):
            best, best_score = name, score
    return best, best_score


def _short_form_of(bones: str, other: str) -> bool:
    """Whether a long skeleton is the beginning of a name's longer one (Postgres of
    PostgreSQL): a word of five consonants or more agrees so by chance very rarely."""
    return (
        len(bones) >= SHORT_FORM_MIN
        and 2 <= len(other) - len(bones) <= SHORT_FORM_EXTRA
        and other.startswith(bones)
    )


@dataclass(frozen=True)
class _Heard:
    """One way Korean may hear a name: its skeleton and spelling key."""

    name: str
    bones: str
    key: str
    vowel_first: bool


# Every Hangul word of every query is compared with the channel's names: their sounds are
# worked out once per names set and grouped by first consonant, the only ones compared.
@functools.lru_cache(maxsize=16)
def _heard_by_first_consonant(names: frozenset[str]) -> dict[str, tuple[_Heard, ...]]:
    groups: dict[str, list[_Heard]] = {}
    for name in sorted(names):
        if len(name) < NAME_MIN:
            continue
        for heard in heard_as(name):
            bones = skeleton(heard)
            sound = _Heard(name, bones, latin_key(heard), vowel_initial(name))
            groups.setdefault(bones[:1], []).append(sound)
    return {first: tuple(sounds) for first, sounds in groups.items()}


def _spelled_exactly(hangul: str, key: str, names: Collection[str]) -> str | None:
    """The name a word of two consonants and three syllables or more spells exactly
    (사우나 is Sauna): too few consonants to match fuzzily (나라 is not Na-rae)."""
    if len(hangul) < 3:
        return None
    found = sorted(name for name in names if len(name) >= NAME_MIN and latin_key(name) == key)
    return found[0] if found else None


# A romanised Korean name: a hyphenated given name with an optional surname before it
# ("Park Seo-yeon", "seo-jun"), or any word of four letters or more (capitalised, it may be
# a name spelled loosely; in lower case only an exact romanisation counts).
_ROMANISED_NAME = re.compile(
    rf"\b(?:(?i:{surname_pattern()})\s+)?(?i:[a-z]+-[a-z]+)\b"
    r"|\b[A-Za-z][a-z\u00c0-\u024f]{3,}\b"
)
_FOLLOWING = re.compile(r"[ \t]+([A-Za-z]+)")


@dataclass(frozen=True)
class _NameKinds:
    """A channel's names sorted by what each is matched against."""

    latin: frozenset[str]
    phrases: frozenset[str]
    romanised: frozenset[str]
    hangul: frozenset[str]
    vocabulary: frozenset[str]
    spelled_in_latin: frozenset[str]


# A channel's names are the same for every query until its sources change: sorted once.
@functools.lru_cache(maxsize=16)
def _kinds_of(names: frozenset[str]) -> _NameKinds:
    words = frozenset(n for n in names if not _HANGUL_WORD.search(n) and " " not in n)
    latin = frozenset(n for n in words if not n[0].islower())
    phrases = frozenset(
        n for n in names if not _HANGUL_WORD.search(n) and " " in n and "-" not in n
    )
    romanised = frozenset(n for n in names if "-" in n and " " in n)
    return _NameKinds(
        latin=latin,
        phrases=phrases,
        romanised=romanised,
        hangul=frozenset(n for n in names if _HANGUL_WORD.fullmatch(n)),
        vocabulary=frozenset(n.casefold() for n in words),
        spelled_in_latin=frozenset(p.casefold() for n in romanised for p in n.split()),
    )


class ScriptNameBridge:
    """NameBridge: Hangul words to the channel's Latin names and back."""

    def names_in(self, texts: Iterable[str]) -> set[str]:
        """Latin names and Hangul word stems of the texts (what queries may be bridged to)."""
        collected = list(texts)
        return (
            latin_names(collected)
            | latin_words(collected)
            | latin_phrases(collected)
            | hangul_words(collected)
            | korean_names_in_latin(collected)
        )

    def bridge(self, query: str, names: Collection[str]) -> str:
        """`query` with names in the other script replaced by the channel's spelling."""
        kinds = _kinds_of(names if isinstance(names, frozenset) else frozenset(names))
        latin, phrases, hangul = kinds.latin, kinds.phrases, kinds.hangul

        def forward(match: re.Match[str]) -> str:
            word = match.group(0)
            stem, particle = strip_particle(word)
            if stem in hangul or word in hangul:
                return word  # the sources write this word in Hangul
            # The word whole too: what looks like a particle may end the name (사우나).
            for name, ending in ((stem, particle), (word, "")) if particle else ((word, ""),):
                found = match_latin(name, latin) or match_korean_name(name, kinds.romanised)
                if found:
                    return f"{found}{ending}"
            return word

        def backward(match: re.Match[str]) -> str:
            words = match.group(0)
            if all(part.casefold() in kinds.spelled_in_latin for part in words.split()):
                return words  # the sources spell this Korean name in Latin letters
            # A romanised Korean name ("Park Seo-yeon", "seo-jun") or a word the sources
            # never write in Latin letters.
            romanised = "-" in words or " " in words
            if not romanised and words.casefold() in kinds.vocabulary:
                return words
            following = _FOLLOWING.match(match.string, match.end())
            found = match_hangul(
                words,
                hangul,
                # Lower case may be any English word: only an exact romanisation counts.
                exact_only=not romanised and not words[0].isupper(),
                following=following.group(1) if following else "",
            )
            return found or words

        def phrase(match: re.Match[str]) -> str:
            words = match.group(0).split()
            # Three words, then the first two (the third may be an ordinary word).
            for count in sorted({len(words), 2}, reverse=True):
                last, ending = strip_particle(words[count - 1])
                stems = [*words[: count - 1], last]
                if any(word in hangul for word in stems):
                    continue
                found = match_phrase(stems, phrases)
                if found:
                    rest = " ".join(words[count:])
                    return f"{found}{ending}" + (f" {rest}" if rest else "")
            return match.group(0)

        bridged = _HANGUL_RUN.sub(phrase, query) if phrases else query
        bridged = _HANGUL_WORD.sub(forward, bridged) if latin else bridged
        return _ROMANISED_NAME.sub(backward, bridged) if hangul else bridged
