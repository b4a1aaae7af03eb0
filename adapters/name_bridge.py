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
A test runs 1,200 common Korean words against 250 realistic names and finds no match.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz

from core.terms import strip_particle

# Revised Romanization of the jamo of a Hangul syllable: initial, medial, final.
# fmt: off
_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch",
             "k", "t", "p", "h")
_MEDIALS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
            "wo", "we", "wi", "yu", "eu", "ui", "i")
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "l", "l", "m",
           "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t")
# fmt: on
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
_CLASSES = {
    **dict.fromkeys("bpfv", "P"),
    **dict.fromkeys("dt", "T"),
    **dict.fromkeys("gkcq", "K"),
    **dict.fromkeys("sjzx", "S"),
    **dict.fromkeys("lr", "L"),
    "m": "M",
    "n": "N",
}
_VOWELS = set("aeiouy")
# The 으 of 스, 트, 드 before a consonant or at the end of a word: no vowel of the name.
_EPENTHETIC = re.compile(r"eu(?=[^aeiouy]|$)")
# Medials that start with a glide (야, 여, 와, 워, 웨, 위...): 웨이포인트 is Waypoint,
# 유니티 is Unity, so a word starting with one may match either kind of name.
_GLIDE_MEDIALS = frozenset((2, 3, 6, 7, 9, 10, 12, 14, 15, 16, 17))
SKELETON_MIN = 3
NAME_MIN = 5
SKELETON_RATIO = 88.0
SPELLING_RATIO = 90.0
PHRASE_SPELLING_RATIO = 75.0
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


def _surname_pattern() -> str:
    spellings = {spelling for variants in _SURNAMES.values() for spelling in variants}
    spellings |= {romanise(surname) for surname in _SURNAMES}
    return "|".join(sorted(spellings, key=len, reverse=True))


# The channel's names are spelled out again for every query word: each spelling is cached.
@functools.lru_cache(maxsize=65536)
def romanise(hangul: str) -> str:
    """Revised Romanization of Hangul syllables (other characters through anyascii)."""
    out = []
    for char in hangul:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            initial, rest = divmod(code, 588)
            medial, final = divmod(rest, 28)
            out.append(_INITIALS[initial] + _MEDIALS[medial] + _FINALS[final])
        else:
            out.append(anyascii(char).lower())
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def skeleton(latin: str) -> str:
    """The consonant classes of a Latin spelling as Korean hears them, doubles merged.

    An r that no vowel follows is silent in Korean loanwords (Glimmer -> 글리머); th and
    sh sound as s, ph as f.
    """
    word = anyascii(latin).lower()
    word = re.sub(r"[^a-z]", "", word)
    word = re.sub(r"c(?=[eiy])", "s", word)  # Celeste -> 셀레스트
    word = word.replace("th", "s").replace("ph", "f").replace("sh", "s").replace("ch", "s")
    word = word.replace("ck", "k").replace("qu", "k").replace("x", "ks")
    # A g sounds after ng before a vowel, l or r: Ingrid -> 잉그리드, Hungary -> 헝가리.
    word = re.sub(r"ng(?![aeiouylr])", "n", word)
    word = word.replace("dg", "j")
    classes: list[str] = []
    # Only neighbours merge: the t, d and t of Tidewater are three sounds (타이드워터).
    merges = False
    for position, letter in enumerate(word):
        following = word[position + 1] if position + 1 < len(word) else ""
        if letter in _VOWELS:
            merges = False
            continue
        if letter == "r" and following not in _VOWELS and following != "w":
            continue
        mapped = _CLASSES.get(letter)
        if mapped and not (merges and classes[-1] == mapped):
            classes.append(mapped)
            merges = True
    return "".join(classes)


def hangul_skeleton(hangul: str) -> str:
    """The skeleton of a Hangul word, without the 으 Korean puts between English consonants
    (스트라 is str)."""
    return skeleton(_EPENTHETIC.sub("", romanise(hangul)))


def _vowel_initial(latin: str) -> bool:
    return anyascii(latin[:1]).lower() in _VOWELS - {"y"}


def _hangul_vowel_initial(hangul: str) -> bool | None:
    """Whether the word starts with a vowel (the silent initial ㅇ); None for a glide."""
    code = ord(hangul[0]) - 0xAC00
    if not (0 <= code < 11172 and code // 588 == 11):
        return False
    return None if (code % 588) // 28 in _GLIDE_MEDIALS else True


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


@functools.lru_cache(maxsize=65536)
def _hangul_key(hangul: str) -> str:
    """A Hangul word's romanisation without the vowels Korean adds to English consonants."""
    spelled = _EPENTHETIC.sub("", romanise(hangul))
    spelled = spelled.replace("eo", "e").replace("ae", "e").replace("r", "l")
    return re.sub(r"(.)\1", r"\1", spelled)


@functools.lru_cache(maxsize=65536)
def _latin_key(latin: str) -> str:
    """A Latin spelling as Korean would write its sounds, comparable with _hangul_key."""
    word = re.sub(r"[^a-z]", "", anyascii(latin).lower())
    word = re.sub(r"c(?=[eiy])", "s", word)
    # Quillon -> 퀼론, Lodge -> 로지, Bay -> 베이, Marrow -> 마로우
    word = word.replace("qu", "kw").replace("ay", "ei")
    word = re.sub(r"dge$", "ji", word).replace("dg", "j")
    word = re.sub(r"ow(?![aeiouy])", "ou", word)
    word = re.sub(r"er$", "E", word)  # Tester -> 테스터, Brandauer -> 브란다우어
    word = re.sub(r"(?<=[^aeiou])y$", "i", word)  # Ledgerly -> 레저리
    # A silent e makes the i before it a diphthong: Tidewater -> 타이드워터, Pine -> 파인.
    word = re.sub(r"i([bdfgklmnpstvz])e(?=[^aeiou]|$)", r"ai\1", word)
    word = re.sub(r"wa(?!y)", "wo", word)  # Water -> 워터, Walker -> 워커
    word = word.replace("sz", "s")  # Tomasz -> 토마시
    word = re.sub(r"r(?![aeiouy])", "", word)
    word = word.replace("ch", "C")  # ch is ch (체스터); the k it may be is a variant
    for old, new in (("th", "s"), ("ph", "p"), ("f", "p"), ("v", "b"), ("ck", "k"), ("c", "k")):
        word = word.replace(old, new)
    word = word.replace("C", "ch")
    for old, new in (("q", "k"), ("x", "ks"), ("z", "j"), ("r", "l")):
        word = word.replace(old, new)
    word = re.sub(r"(.)\1", r"\1", word)
    return re.sub(r"e$", "", word).replace("E", "e")


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
    for spelled in _sound_variants(hangul):
        found, score = _best_latin(spelled, names, spelling_ratio)
        # Equal scores go to the first name in order, so a query bridges the same in every
        # process (a set's order changes with the hash seed).
        if found and (score > best_score or (score == best_score and best and found < best)):
            best, best_score = found, score
    return best


def _sound_variants(hangul: str) -> list[str]:
    """`hangul`, and without the 르 Korean writes for an r before a consonant (코르비드 is
    Corvid, where the skeleton drops the silent r)."""
    variants = [hangul]
    dropped = "".join(
        char
        for position, char in enumerate(hangul)
        if not (char == "르" and 0 < position < len(hangul) - 1)
    )
    if dropped != hangul and len(dropped) >= 2:
        variants.append(dropped)
    return variants


def _best_latin(
    hangul: str, names: Collection[str], spelling_ratio: float
) -> tuple[str | None, float]:
    bones = hangul_skeleton(hangul)
    key = _hangul_key(hangul)
    if len(bones) < SKELETON_MIN:
        return _spelled_exactly(hangul, key, names), 200.0
    vowel_first = _hangul_vowel_initial(hangul)
    best, best_score = None, 0.0
    for name in names:
        if len(name) < NAME_MIN:
            continue
        if vowel_first is not None and _vowel_initial(name) != vowel_first:
            continue
        for heard in _heard_as(name):
            other = skeleton(heard)
            if abs(len(other) - len(bones)) > 1 or other[:1] != bones[:1]:
                continue
            other_key = _latin_key(heard)
            if abs(len(other_key) - len(key)) > 2:
                continue
            if other_key[-1:] in ("n", "m", "l") and key[-1:] in _VOWELS:
                continue
            consonants = fuzz.ratio(bones, other)
            spelling = fuzz.ratio(key, other_key)
            if consonants < SKELETON_RATIO or spelling < spelling_ratio:
                continue
            score = consonants + spelling
            if score > best_score or (score == best_score and best is not None and name < best):
                best, best_score = name, score
    return best, best_score


def _spelled_exactly(hangul: str, key: str, names: Collection[str]) -> str | None:
    """The name a word of two consonants and three syllables or more spells exactly
    (사우나 is Sauna): too few consonants to match fuzzily (나라 is not Na-rae)."""
    if len(hangul) < 3:
        return None
    found = sorted(name for name in names if len(name) >= NAME_MIN and _latin_key(name) == key)
    return found[0] if found else None


@functools.lru_cache(maxsize=65536)
def _heard_as(name: str) -> tuple[str, ...]:
    """The ways Korean may hear `name`: a ch sounds as ch (Chesterfield is 체스터필드) or
    as k (Mocha is 모카, Chronicle 크로니클)."""
    if "ch" not in name.lower():
        return (name,)
    return (name, re.sub("ch", "k", name, flags=re.IGNORECASE))


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
        key = _latin_key(following)
        scored = sorted(
            ((fuzz.ratio(_hangul_key(rest), key), word) for word, rest in prefixed if rest),
            key=lambda item: (-item[0], item[1]),
        )
        if scored and scored[0][0] >= 50 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            return scored[0][1]
    shared = prefixed[0][0]
    for word, _ in prefixed[1:]:
        while not word.startswith(shared):
            shared = shared[:-1]
    return shared or best


# A romanised Korean name: a hyphenated given name with an optional surname before it
# ("Park Seo-yeon", "seo-jun"), or any word of four letters or more (capitalised, it may be
# a name spelled loosely; in lower case only an exact romanisation counts).
_ROMANISED_NAME = re.compile(
    rf"\b(?:(?i:{_surname_pattern()})\s+)?(?i:[a-z]+-[a-z]+)\b"
    r"|\b[A-Za-z][a-z\u00c0-\u024f]{3,}\b"
)
_FOLLOWING = re.compile(r"[ \t]+([A-Za-z]+)")


_SURNAME_SPELLING = rf"(?:{_surname_pattern().title()})"
_LATIN_KOREAN_NAME = re.compile(
    rf"\b{_SURNAME_SPELLING}\s+[A-Z][a-z]+-[a-z]+\b|\b[A-Z][a-z]+-[a-z]+\s+{_SURNAME_SPELLING}\b"
)


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
