"""Turns on the model: first come, first served; background work last; positions shown."""

from __future__ import annotations

import asyncio

import pytest

from core.scheduling import BACKGROUND, QUESTION, GenerationQueue
from tests.core.conftest import TOWER, Harness


async def test_turns_go_in_order_of_arrival_and_each_waiter_hears_its_position() -> None:
    queue = GenerationQueue()
    order: list[str] = []
    heard: dict[str, list[int]] = {"b": [], "c": []}
    release = asyncio.Event()

    async def first() -> None:
        async with queue.turn():
            order.append("a")
            await release.wait()

    async def later(name: str) -> None:
        async def notice(ahead: int) -> None:
            heard[name].append(ahead)

        async with queue.turn(QUESTION, notice):
            order.append(name)

    holder = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(later("b")), asyncio.create_task(later("c"))]
    await asyncio.sleep(0)
    assert queue.ahead() == 3
    release.set()
    await asyncio.gather(holder, *waiting)

    assert order == ["a", "b", "c"]
    # c may hear 1 too, unless b's turn is over before c looks again.
    assert heard["b"] == [1] and heard["c"][0] == 2 and heard["c"] == sorted(heard["c"])[::-1]


async def test_a_question_goes_before_background_work_that_waited_longer() -> None:
    queue = GenerationQueue()
    order: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with queue.turn():
            await release.wait()

    async def take(name: str, priority: int) -> None:
        async with queue.turn(priority):
            order.append(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    summary = asyncio.create_task(take("summary", BACKGROUND))
    await asyncio.sleep(0)
    question = asyncio.create_task(take("question", QUESTION))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, summary, question)

    assert order == ["question", "summary"]


async def test_a_waiter_cancelled_in_the_queue_gives_up_its_place() -> None:
    queue = GenerationQueue()
    release = asyncio.Event()

    async def hold() -> None:
        async with queue.turn():
            await release.wait()

    async def wait_turn() -> None:
        async with queue.turn():
            pass

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    gone = asyncio.create_task(wait_turn())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    release.set()
    await holder

    assert queue.ahead() == 0
    await asyncio.wait_for(wait_turn(), timeout=5)


async def test_the_placeholder_is_posted_before_retrieval_and_the_answer_replaces_it(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    posts_at_search: list[int] = []
    search = harness.store.search

    async def watched(*args: object, **kwargs: object) -> object:
        posts_at_search.append(harness.chat.count("post"))
        return await search(*args, **kwargs)  # type: ignore[arg-type]

    harness.store.search = watched  # type: ignore[method-assign,assignment]
    posts_before = harness.chat.count("post")

    await harness.say("When was the Glimmerstone Tower built?")

    assert posts_at_search and posts_at_search[0] == posts_before + 1
    assert harness.chat.count("post") == posts_before + 1
    assert harness.chat.last().startswith("The tower was built in 1887")
