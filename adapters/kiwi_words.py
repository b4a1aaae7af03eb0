"""Korean words split into morphemes by Kiwi (kiwipiepy; its model ships on PyPI).

Kiwi picks its SIMD kernels at run time, so one wheel serves every x86-64 CPU. Its model
takes ~2.5 s and ~300 MB to load (the multi-word dictionary, another 190 MB, is left out:
it names phrases, and the nouns inside them are what the shared words need).
"""

from __future__ import annotations

import asyncio
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from core.models import WordParts

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Nouns and roots (XR: 깨끗 of 깨끗하다) carry topics; the rest of a word is its grammar.
_NOUN_TAGS = frozenset(("NNG", "NNP", "XR"))
# Verbs, adjectives, auxiliaries and the suffixes that make a noun one (전화 + 하).
_PREDICATE_TAGS = frozenset(("VV", "VA", "VX", "VCN", "XSV", "XSA"))
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_CACHED_WORDS = 200_000


class KiwiWordAnalyser:
    """A WordAnalyser over Kiwi, loaded once (`load`, or at the first word) and shared."""

    def __init__(self) -> None:
        self._kiwi: Kiwi | None = None
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=_CACHED_WORDS)(self._analyse)

    def parts(self, word: str) -> WordParts:
        """The nouns and predicates of one Hangul word."""
        return self._cached(word)

    async def load(self) -> None:
        """Load the model off the event loop (it takes seconds)."""
        await asyncio.to_thread(self._engine)

    def _engine(self) -> Kiwi:
        with self._lock:
            if self._kiwi is None:
                from kiwipiepy import Kiwi

                self._kiwi = Kiwi(load_multi_dict=False)
            return self._kiwi

    def _analyse(self, word: str) -> WordParts:
        nouns: set[str] = set()
        run: list[str] = []
        has_noun = has_predicate = False
        engine = self._engine()
        # A channel's words are analysed in a thread while questions are on the loop.
        with self._lock:
            tokens = engine.tokenize(word)
        for token in tokens:
            tag = token.tag.split("-")[0]  # VV-I: an irregular verb
            if tag in _NOUN_TAGS and _HANGUL.match(token.form):
                has_noun = True
                if len(token.form) >= 2:
                    nouns.add(token.form)
                run.append(token.form)
                continue
            has_predicate = has_predicate or tag in _PREDICATE_TAGS
            if len(run) > 1:
                nouns.add("".join(run))
            run.clear()
        if len(run) > 1:
            nouns.add("".join(run))
        return WordParts(frozenset(nouns), has_noun, has_predicate)
