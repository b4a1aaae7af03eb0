"""Which language a text is written in, as far as the bot's replies need to know."""

from __future__ import annotations

KOREAN = "ko"
ENGLISH = "en"
# How a prompt names each language to the model.
LANGUAGE_NAMES = {KOREAN: "Korean", ENGLISH: "English"}


def _is_hangul(char: str) -> bool:
    code = ord(char)
    return (
        0xAC00 <= code <= 0xD7A3  # syllables
        or 0x1100 <= code <= 0x11FF  # jamo
        or 0x3130 <= code <= 0x318F  # compatibility jamo
    )


def detect_language(text: str) -> str:
    """Return "ko" when Hangul makes up a real share of the letters, else "en"."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return ENGLISH
    hangul = sum(1 for char in letters if _is_hangul(char))
    # Korean messages often carry English product names; a fifth of Hangul is Korean.
    return KOREAN if hangul / len(letters) >= 0.2 else ENGLISH
