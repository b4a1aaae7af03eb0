"""Answers streamed natively (Slack's chat.startStream) in place of the placeholder, and
edits taking over where a native stream cannot go."""

from __future__ import annotations

from pathlib import Path

from core.models import Author, ChannelRef, MessageRef
from core.streaming import StreamingReply
from tests.core.conftest import TOWER, USER, build_harness
from tests.fakes import RecordingChat, ScriptedModel

CHANNEL = ChannelRef("test", "team", "alpha")


class FakeStream:
    """A native stream that records what was appended and whether it stopped."""

    def __init__(self, chat: NativeChat, ref: MessageRef) -> None:
        self._chat = chat
        self._ref = ref
        self.pieces: list[str] = []
        self.stopped = False

    @property
    def ref(self) -> MessageRef:
        return self._ref

    async def append(self, text: str) -> None:
        assert not self.stopped, "appended to a stopped stream"
        self.pieces.append(text)
        self._chat.texts[self._ref.message_id] = "".join(self.pieces)

    async def stop(self) -> None:
        self.stopped = True


class NativeChat(RecordingChat):
    """A recording chat that streams natively, or refuses to when `allowed` is False."""

    def __init__(self, allowed: bool = True, message_limit: int = 4000) -> None:
        super().__init__(message_limit=message_limit)
        self.allowed = allowed
        self.streams: list[FakeStream] = []
        self.askers: list[Author] = []
        self.deleted: list[str] = []

    async def start_stream(self, placeholder: MessageRef, asker: Author) -> FakeStream | None:
        self.askers.append(asker)
        if not self.allowed:
            return None
        self.deleted.append(placeholder.message_id)
        ref = await self.post(placeholder.channel, "", placeholder.thread_id)
        stream = FakeStream(self, ref)
        self.streams.append(stream)
        return stream


async def test_a_new_answer_streams_natively_in_place_of_its_placeholder(tmp_path: Path) -> None:
    harness = build_harness(tmp_path, model=ScriptedModel("The tower was built in 1887 [1]."))
    chat = NativeChat()
    harness.chat = chat
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("When was the Glimmerstone Tower built?", thread="t1")

    (stream,) = chat.streams
    assert chat.askers == [USER]
    assert stream.stopped and len(stream.pieces) > 3, "the answer arrived in pieces"
    assert chat.texts[stream.ref.message_id].startswith("The tower was built in 1887")
    assert chat.texts[stream.ref.message_id].endswith("Sources:\n[1] tower.txt")
    assert chat.deleted, "the placeholder gave way to the stream"


async def test_when_the_platform_will_not_stream_the_answer_is_edited_in(tmp_path: Path) -> None:
    harness = build_harness(tmp_path, model=ScriptedModel("The tower was built in 1887 [1]."))
    chat = NativeChat(allowed=False)
    harness.chat = chat
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("When was the Glimmerstone Tower built?", thread="t1")

    assert chat.streams == [] and chat.askers == [USER]
    assert chat.last().startswith("The tower was built in 1887")


async def test_again_edits_the_old_answer_instead_of_streaming_a_new_one(tmp_path: Path) -> None:
    harness = build_harness(
        tmp_path, model=ScriptedModel("The tower was built in 1887 [1].", "Built in 1887 [1].")
    )
    chat = NativeChat()
    harness.chat = chat
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("When was the Glimmerstone Tower built?", thread="t1")
    answer = chat.streams[0].ref.message_id

    await harness.say("again", thread="t1")

    assert len(chat.streams) == 1
    assert chat.texts[answer].startswith("Built in 1887")


async def test_past_one_message_the_stream_stops_and_edits_continue_in_new_messages() -> None:
    chat = NativeChat(message_limit=1000)
    placeholder = await chat.post(CHANNEL, " …", "t1")
    reply = StreamingReply(chat, CHANNEL, "t1", min_interval=0.0, native=(placeholder, USER))

    for number in range(400):
        await reply.append(f"w{number} ")
    await reply.finish()

    (stream,) = chat.streams
    assert stream.stopped
    assert len(reply.messages) >= 2 and reply.messages[0] == stream.ref
    shown = " ".join(chat.texts[ref.message_id] for ref in reply.messages)
    assert "w0 " in shown and shown.rstrip().endswith("w399")
