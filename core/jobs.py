"""An ingestion job as the catalog keeps it: enough of the message that shared a source to
index it again after a restart, and to tell the channel how it went."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from core.models import Attachment, Author, ChannelRef, IncomingMessage


@dataclass(frozen=True)
class IngestionJob:
    """One source to index: the attachment or link, and the message it came with."""

    message: IncomingMessage  # its attachments hold just the one source
    summarize: bool

    @property
    def attachment(self) -> Attachment:
        """The file or link this job indexes."""
        return self.message.attachments[0]

    @property
    def channel(self) -> ChannelRef:
        """The channel whose knowledge the source joins."""
        return self.message.channel


def job_key(channel: ChannelRef, source_id: str) -> str:
    """The scheduler's id of the job that indexes `source_id` in `channel`."""
    return json.dumps([channel.platform, channel.workspace, channel.channel, source_id])


def parse_job_key(key: str) -> tuple[ChannelRef, str]:
    """The channel and source id a job key names."""
    platform, workspace, channel, source_id = json.loads(key)
    return ChannelRef(platform, workspace, channel), source_id


def encode_job(job: IngestionJob) -> str:
    """The job as JSON, for the catalog."""
    message = job.message
    body: dict[str, Any] = {
        "channel": asdict(message.channel),
        "author": asdict(message.author),
        "text": message.text,
        "message_id": message.message_id,
        "thread_id": message.thread_id,
        "attachment": asdict(job.attachment),
        "addressed": message.addressed,
        "permalink": message.permalink,
        "sent_at": message.sent_at.isoformat(),
        "summarize": job.summarize,
    }
    return json.dumps(body, ensure_ascii=False)


def decode_job(text: str) -> IngestionJob:
    """The job `encode_job` wrote."""
    body = json.loads(text)
    message = IncomingMessage(
        channel=ChannelRef(**body["channel"]),
        author=Author(**body["author"]),
        text=body["text"],
        message_id=body["message_id"],
        thread_id=body["thread_id"],
        attachments=(Attachment(**body["attachment"]),),
        addressed=body["addressed"],
        permalink=body["permalink"],
        sent_at=datetime.fromisoformat(body["sent_at"]),
    )
    return IngestionJob(message, bool(body["summarize"]))
