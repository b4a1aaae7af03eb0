"""Kiwi, the real Korean morphological analyser, splits words as the shared words need."""

from __future__ import annotations

import pytest

from adapters.kiwi_words import KiwiWordAnalyser
from core.terms import terms, word_forms


@pytest.fixture(scope="module")
def kiwi() -> KiwiWordAnalyser:
    return KiwiWordAnalyser()


def test_a_verb_or_an_adverb_holds_no_topic(kiwi: KiwiWordAnalyser) -> None:
    for word in ("만드는", "없이", "가져가서"):
        parts = kiwi.parts(word)
        assert not parts.nouns, word
    assert kiwi.parts("만드는").has_predicate


def test_a_noun_is_found_under_its_particle_and_suffix(kiwi: KiwiWordAnalyser) -> None:
    assert "수수료" in kiwi.parts("수수료율이").nouns
    assert "술값" in kiwi.parts("술값은").nouns
    assert "연차" in kiwi.parts("연차를").nouns


def test_the_noun_of_a_hada_verb_is_found_and_the_verb_marked(kiwi: KiwiWordAnalyser) -> None:
    parts = kiwi.parts("전화하면")

    assert parts.nouns == frozenset({"전화"})
    assert parts.has_predicate


def test_shared_words_of_a_korean_question_are_its_nouns(kiwi: KiwiWordAnalyser) -> None:
    assert terms("생크림 없이 까르보나라 만드는 법", kiwi) == {"생크림", "크림", "까르보나라"}
    # A product name the model does not know still counts whole.
    assert frozenset({"바로페이", "바로페", "페이"}) in word_forms("바로페이 장애", kiwi)


def test_english_words_and_figures_are_found_as_without_it(kiwi: KiwiWordAnalyser) -> None:
    text = "What caused the Quillon outage in 2026 (INC-2231)?"

    assert terms(text, kiwi) == terms(text)
