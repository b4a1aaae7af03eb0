"""Whether a chat message asks something, in English or Korean."""

from __future__ import annotations

import re

# Words an English question starts with.
# fmt: off
_ENGLISH_OPENERS = frozenset((
    "what", "whats", "what's", "who", "whom", "whose", "who's", "when", "where", "which",
    "why", "how", "how's", "is", "are", "was", "were", "do", "does", "did", "can", "could",
    "should", "would", "will", "may", "has", "have", "any", "anyone", "anybody",
))
# fmt: on
# Korean question words (the start of a word: 뭐야, 언제였지, 몇 층) and endings.
_KOREAN_QUESTION_WORD = re.compile(
    r"(?:^|\s)(?:뭐|무엇|무슨|언제|어디|누구|누가|몇|며칠|얼마|어떻게|어떤|어느|왜)"
)
_KOREAN_QUESTION_ENDING = re.compile(
    r"(?:나요|[은는인한던]가요|까요|을까|일까|는지|니|냐|죠)[.!~\s]*$"
)
_WORD = re.compile(r"[A-Za-z']+")


def is_question(text: str) -> bool:
    """Whether `text` asks something: a question mark at its end, an English question
    word or auxiliary first, or a Korean question word or ending."""
    stripped = text.strip()
    if stripped.endswith(("?", "？")):
        return True
    first = _WORD.search(stripped)
    if (
        first is not None
        and first.start() == _first_letter(stripped)
        and first.group(0).casefold() in _ENGLISH_OPENERS
    ):
        return True
    return bool(_KOREAN_QUESTION_WORD.search(stripped) or _KOREAN_QUESTION_ENDING.search(stripped))


def _first_letter(text: str) -> int:
    for position, char in enumerate(text):
        if char.isalpha():
            return position
    return -1
