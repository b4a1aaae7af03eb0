"""Name bridging across scripts, against the realistic names and common words in tests/data."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from adapters.name_bridge import ScriptNameBridge
from adapters.name_bridge.bridge import match_latin, match_phrase
from adapters.name_bridge.romanised_korean import korean_names_in_latin, match_korean_name
from adapters.name_bridge.sounds import romanise, skeleton

DATA = Path(__file__).resolve().parents[1] / "data" / "retrieval"
# Loanwords that are the very English words the list holds: a right match, not a false one.
TRUE_TRANSLITERATIONS = {
    "스프린트": "Sprint",
    "프로젝트": "Project",
    "픽셀": "Pixel",
    "포인트": "Point",
    "빌딩": "Building",
    "킥오프": "Kickoff",
    "사우나": "Sauna",
}
# English words Korean sources write as loanwords: bridged to them, rightly.
ENGLISH_LOANWORDS = {
    "hotel": "호텔",
    "kayak": "카약",
    "model": "모델",
    "radio": "라디오",
    "sauna": "사우나",
    "seoul": "서울특별시",
}


@pytest.fixture(scope="module")
def bridge() -> ScriptNameBridge:
    return ScriptNameBridge()


@pytest.fixture(scope="module")
def channel_names(bridge: ScriptNameBridge) -> set[str]:
    texts = [path.read_text(encoding="utf-8") for path in (DATA / "documents").iterdir()]
    return bridge.names_in(texts)


def test_no_common_korean_word_is_taken_for_a_name(channel_names: set[str]) -> None:
    words = (DATA / "korean-common-words.txt").read_text(encoding="utf-8").split()
    listed = (DATA / "latin-names.txt").read_text(encoding="utf-8").split()
    names = {name for name in channel_names if name.isascii() and name[0].isupper()} | {
        word for word in listed if len(word) >= 4
    }
    assert len(words) >= 1000 and len(names) >= 250

    matches = {word: match_latin(word, names) for word in words}

    false = {
        word: name
        for word, name in matches.items()
        if name is not None and TRUE_TRANSLITERATIONS.get(word) != name
    }
    assert false == {}


def test_no_two_common_korean_words_are_taken_for_a_full_name(channel_names: set[str]) -> None:
    words = (DATA / "korean-common-words.txt").read_text(encoding="utf-8").split()
    listed = (DATA / "latin-names.txt").read_text(encoding="utf-8").splitlines()
    phrases = {name for name in channel_names if " " in name and name.isascii()}
    phrases |= {name for name in listed if " " in name}
    shuffled = random.Random(7)
    pairs = list(itertools.pairwise(words))
    pairs += [(shuffled.choice(words), shuffled.choice(words)) for _ in range(3000)]
    assert len(pairs) >= 4000 and len(phrases) >= 200

    false = {pair: match_phrase(pair, phrases) for pair in pairs}

    assert {pair: name for pair, name in false.items() if name} == {}


def test_no_common_korean_word_is_taken_for_a_romanised_korean_name(
    channel_names: set[str],
) -> None:
    words = (DATA / "korean-common-words.txt").read_text(encoding="utf-8").split()
    listed = (DATA / "latin-names.txt").read_text(encoding="utf-8").splitlines()
    names = korean_names_in_latin(listed) | {name for name in channel_names if "-" in name}
    assert len(names) >= 20
    matches = {word: match_korean_name(word, names) for word in words}

    assert {word: name for word, name in matches.items() if name} == {}


def test_no_lower_case_english_word_is_taken_for_a_korean_word(bridge: ScriptNameBridge) -> None:
    texts = {path.stem: path.read_text(encoding="utf-8") for path in (DATA / "documents").iterdir()}
    english = [text for stem, text in texts.items() if not stem.endswith("-ko")]
    words = {word.lower() for text in english for word in re.findall(r"[A-Za-z]{5,}", text)}
    common = (DATA / "korean-common-words.txt").read_text(encoding="utf-8").split()
    # A channel of Korean sources only: no English word of theirs to leave alone.
    korean = [text for stem, text in texts.items() if stem.endswith("-ko")]
    names = bridge.names_in(korean) | set(common)
    assert len(words) >= 1000 and len(names) >= 2500

    bridged = {word: bridge.bridge(word, names) for word in sorted(words)}

    false = {word: found for word, found in bridged.items() if found != word}
    assert false == ENGLISH_LOANWORDS


def test_a_lower_case_word_the_sources_write_in_latin_letters_stays(
    bridge: ScriptNameBridge,
) -> None:
    names = bridge.names_in(["호텔 예약은 총무팀이 합니다.", "The hotel has a pool."])

    assert bridge.bridge("which hotel do we use", names) == "which hotel do we use"
    assert bridge.bridge("which hotel do we use", names - {"hotel"}) == "which 호텔 do we use"


def test_a_korean_full_name_matches_its_romanisation_in_either_order() -> None:
    names = {"Dae-jung Lim", "Park Seo-yeon", "Ji-woo Han"}
    assert match_korean_name("임대중", names) == "Dae-jung Lim"
    assert match_korean_name("박서연", names) == "Park Seo-yeon"
    assert match_korean_name("한지우", names) == "Ji-woo Han"
    assert match_korean_name("한지민", names) is None


@pytest.mark.parametrize(
    ("question", "bridged"),
    [
        ("스트라토링크는 연간 얼마 불렀어", "Stratolink는 연간 얼마 불렀어"),
        # A glide (웨) may start a consonant-initial name; a final y sounds as 리.
        ("웨이포인트로 출장 예약은 며칠 전에", "Waypoint로 출장 예약은 며칠 전에"),
        ("레저리에 경비 청구는 언제까지", "Ledgerly에 경비 청구는 언제까지"),
        # t, d and t apart by vowels are three sounds; the i before a silent e is 아이.
        ("타이드워터 캠퍼스 구내식당", "Tidewater Campus 구내식당"),
        # The g after ng before a vowel or r is heard (잉그리드).
        ("잉그리드가 원인을 찾았어?", "Ingrid가 원인을 찾았어?"),
        ("콕핏 관리 콘솔 포트 번호 알려줘", "Cockpit 관리 콘솔 포트 번호 알려줘"),
        ("브란다우어 연구실이 언제 옮겼지", "Brandauer 연구실이 언제 옮겼지"),
        ("What's Jeong Ha-yun's extension?", "What's 정하윤's extension?"),
        ("when do i call park seo-jun", "when do i call 박서준"),
        ("how long does Kim Min-ji need", "how long does 김민지 need"),
        ("When does Hanbit Farm open?", "When does 한빛농장 Farm open?"),
        ("셀레스트 애버내시가 누구예요?", "Celeste Abernathy가 누구예요?"),
        ("헤론 스위트엔 누가 묵어", "Heron Suite엔 누가 묵어"),
        ("브램 카스테야노스가 맡은 활동이 뭐예요?", "Bram Castellanos가 맡은 활동이 뭐예요?"),
        ("토마시 레예스는 왜 빠졌어요?", "Tomasz Reyes는 왜 빠졌어요?"),
        ("퀼론 장애 원인이 뭐였어?", "Quillon 장애 원인이 뭐였어?"),
        ("코르비드 랩스는 누가 창업했어요?", "Corvid Labs는 누가 창업했어요?"),
        ("마로우 베이 로지 와이파이 이름이 뭐였지", "Marrow Bay Lodge 와이파이 이름이 뭐였지"),
        ("임대중님 마감일 언제였지", "Dae-jung Lim님 마감일 언제였지"),
        # Postgres, the short form users say, of the PostgreSQL the sources write.
        (
            "임대중님 포스트그레스 벤치마크 마감일 언제였지",
            "Dae-jung Lim님 PostgreSQL 벤치마크 마감일 언제였지",
        ),
        # A ch may sound as k (Mocha is 모카).
        ("프로젝트 모카는 몇 버전 코드네임이에요?", "Project Mocha는 몇 버전 코드네임이에요?"),
        # Two consonants in three syllables: only an exact spelling; 나 ends the name here.
        ("사우나 부하 테스트에서 초당 몇 건", "Sauna 부하 테스트에서 초당 몇 건"),
        ("Marisol 오카포는 무슨 일을 해?", "Marisol Okafor는 무슨 일을 해?"),
        ("한지우 씨 담당이 뭐야", "Ji-woo Han 씨 담당이 뭐야"),
        (
            "how far is solmae village from hongcheon town",
            "how far is 솔매마을길 village from 홍천군 town",
        ),
        ("Where is Cheongun Tower?", "Where is 청운타워 Tower?"),
        ("how much is a meal at cheongun kitchen", "how much is a meal at 청운키친 kitchen"),
    ],
)
def test_names_in_the_other_script_become_the_sources_spelling(
    bridge: ScriptNameBridge, channel_names: set[str], question: str, bridged: str
) -> None:
    assert bridge.bridge(question, channel_names) == bridged


def test_a_word_the_sources_write_in_hangul_stays_with_its_particle(
    bridge: ScriptNameBridge,
) -> None:
    # 사우나 is a word of these sources: neither its stem (사우) nor the whole word bridges.
    names = bridge.names_in(["사우나는 3층에 있습니다.", "The Sauna harness ran overnight."])

    assert bridge.bridge("사우나 몇 층이야", names) == "사우나 몇 층이야"


def test_a_question_without_names_of_the_channel_is_left_alone(
    bridge: ScriptNameBridge, channel_names: set[str]
) -> None:
    for question in ("오늘 회의 몇 시야?", "What is the follow-up for the e-mail?", "버그 고쳤어?"):
        assert bridge.bridge(question, channel_names) == question


def test_romanisation_and_skeletons_follow_korean_loanword_sounds() -> None:
    assert romanise("한빛농장") == "hanbitnongjang"
    assert skeleton(romanise("글리머스톤")) == skeleton("Glimmerstone")
    assert match_latin("글리머스톤", {"Glimmerstone", "Bergen"}) == "Glimmerstone"
    assert match_latin("버그", {"Bergen"}) is None
    assert match_latin("오케스트라", {"Kestrel"}) is None


def test_a_short_word_matches_a_name_only_when_spelled_exactly() -> None:
    assert match_latin("사우나", {"Sauna"}) == "Sauna"
    assert match_latin("사우나", {"Sawna"}) is None
    # Two syllables are too few even when spelled exactly: 나라 is not Nara or Na-rae.
    assert match_latin("나라", {"Narae", "Nara"}) is None


def test_a_long_word_matches_the_name_it_is_the_short_form_of() -> None:
    assert match_latin("포스트그레스", {"PostgreSQL"}) == "PostgreSQL"
    # The whole name a word spells goes before the longer one it begins.
    assert match_latin("포스트그레스", {"PostgreSQL", "Postgres"}) == "Postgres"
    # Three or four consonants begin too many names to tell.
    assert match_latin("포스트", {"PostgreSQL"}) is None
    assert match_latin("포스트그", {"PostgreSQL"}) is None
    # Only the beginning: a word the name merely holds is not its short form.
    assert match_latin("그레스큐엘", {"PostgreSQL"}) is None


def test_a_ch_is_heard_as_k_or_ch() -> None:
    assert match_latin("크로니클", {"Chronicle"}) == "Chronicle"
    assert match_latin("체스터필드", {"Chesterfield"}) == "Chesterfield"
