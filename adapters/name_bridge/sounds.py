"""How Korean writes and hears the sounds of names: Revised Romanization of Hangul, the
consonant skeleton Korean hears in a Latin spelling, and spelling keys comparable across
the two scripts (adapters/name_bridge/bridge.py matches names by them)."""

from __future__ import annotations

import functools
import re

from anyascii import anyascii

# Revised Romanization of the jamo of a Hangul syllable: initial, medial, final.
# fmt: off
_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch",
             "k", "t", "p", "h")
_MEDIALS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
            "wo", "we", "wi", "yu", "eu", "ui", "i")
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "l", "l", "m",
           "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t")
# fmt: on
# The consonant classes Korean renders English consonants with.
_CLASSES = {
    **dict.fromkeys("bpfv", "P"),
    **dict.fromkeys("dt", "T"),
    **dict.fromkeys("gkcq", "K"),
    **dict.fromkeys("sjzx", "S"),
    **dict.fromkeys("lr", "L"),
    "m": "M",
    "n": "N",
}
VOWELS = set("aeiouy")
# The 으 of 스, 트, 드 before a consonant or at the end of a word: no vowel of the name.
_EPENTHETIC = re.compile(r"eu(?=[^aeiouy]|$)")
# Medials that start with a glide (야, 여, 와, 워, 웨, 위...): 웨이포인트 is Waypoint,
# 유니티 is Unity, so a word starting with one may match either kind of name.
_GLIDE_MEDIALS = frozenset((2, 3, 6, 7, 9, 10, 12, 14, 15, 16, 17))


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
        if letter in VOWELS:
            merges = False
            continue
        if letter == "r" and following not in VOWELS and following != "w":
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


def vowel_initial(latin: str) -> bool:
    return anyascii(latin[:1]).lower() in VOWELS - {"y"}


def hangul_vowel_initial(hangul: str) -> bool | None:
    """Whether the word starts with a vowel (the silent initial ㅇ); None for a glide."""
    code = ord(hangul[0]) - 0xAC00
    if not (0 <= code < 11172 and code // 588 == 11):
        return False
    return None if (code % 588) // 28 in _GLIDE_MEDIALS else True


@functools.lru_cache(maxsize=65536)
def hangul_key(hangul: str) -> str:
    """A Hangul word's romanisation without the vowels Korean adds to English consonants."""
    spelled = _EPENTHETIC.sub("", romanise(hangul))
    spelled = spelled.replace("eo", "e").replace("ae", "e").replace("r", "l")
    return re.sub(r"(.)\1", r"\1", spelled)


@functools.lru_cache(maxsize=65536)
def latin_key(latin: str) -> str:
    """A Latin spelling as Korean would write its sounds, comparable with hangul_key."""
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


def sound_variants(hangul: str) -> list[str]:
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


@functools.lru_cache(maxsize=65536)
def heard_as(name: str) -> tuple[str, ...]:
    """The ways Korean may hear `name`: a ch sounds as ch (Chesterfield is 체스터필드) or
    as k (Mocha is 모카, Chronicle 크로니클)."""
    if "ch" not in name.lower():
        return (name,)
    return (name, re.sub("ch", "k", name, flags=re.IGNORECASE))
