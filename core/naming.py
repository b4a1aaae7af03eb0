"""The one place that names a channel's collections."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from core.models import ChannelRef

_UNSAFE = re.compile(r"[^a-z0-9]+")


class CollectionPurpose(StrEnum):
    """What a channel collection holds."""

    DOCUMENTS = "docs"
    MEMORY = "memory"


def _slug(value: str, max_length: int = 24) -> str:
    slug = _UNSAFE.sub("-", value.lower()).strip("-")
    return slug[:max_length] or "x"


def collection_name(channel: ChannelRef, purpose: CollectionPurpose) -> str:
    """Name the collection holding `purpose` for `channel`.

    Readable slugs keep names recognisable on disk and in a Qdrant dashboard; the hash of
    the exact identifiers keeps distinct channels distinct after slugging ("a b" vs "a-b").
    The result is safe as a directory name and as a Qdrant collection name.
    """
    exact = "\x1f".join((channel.platform, channel.workspace, channel.channel))
    digest = hashlib.sha256(exact.encode("utf-8")).hexdigest()[:10]
    parts = (_slug(channel.platform, 12), _slug(channel.workspace), _slug(channel.channel))
    return f"{'_'.join(parts)}_{digest}_{purpose.value}"
