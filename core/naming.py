"""The one place that names a channel's collections."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from core.models import ChannelRef

_UNSAFE = re.compile(r"[^a-z0-9]+")
_SPACE_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class CollectionPurpose(StrEnum):
    """What a channel collection holds."""

    DOCUMENTS = "docs"
    MEMORY = "memory"


def _slug(value: str, max_length: int = 24) -> str:
    slug = _UNSAFE.sub("-", value.lower()).strip("-")
    return slug[:max_length] or "x"


def collection_base(channel: ChannelRef, purpose: CollectionPurpose) -> str:
    """What every collection of `channel` holding `purpose` is named by, whatever vectors it
    holds (collections made before named vectors carry only this).

    Readable slugs keep names recognisable on disk and in a Qdrant dashboard; the hash of
    the exact identifiers keeps distinct channels distinct after slugging ("a b" vs "a-b").
    """
    exact = "\x1f".join((channel.platform, channel.workspace, channel.channel))
    digest = hashlib.sha256(exact.encode("utf-8")).hexdigest()[:10]
    parts = (_slug(channel.platform, 12), _slug(channel.workspace), _slug(channel.channel))
    return f"{'_'.join(parts)}_{digest}_{purpose.value}"


def collection_name(channel: ChannelRef, purpose: CollectionPurpose, space_key: str) -> str:
    """Name the collection holding `purpose` for `channel`, embedded as `space_key` says.

    The embedding key is part of the name, so a collection is never searched with vectors
    of another model: a changed embedder finds no collection of its own and migrates the
    old one. The result is safe as a directory name and as a Qdrant collection name.
    """
    return with_space_key(collection_base(channel, purpose), space_key)


def with_space_key(base: str, space_key: str) -> str:
    """The collection of `base` that holds vectors of `space_key`."""
    if not _SPACE_KEY.fullmatch(space_key):
        raise ValueError(f"not an embedding key: {space_key!r}")
    return f"{base}_{space_key}"


def base_of(name: str) -> str | None:
    """The collection base a stored collection name belongs to, or None if it is not ours."""
    parts = name.split("_")
    purposes = {purpose.value for purpose in CollectionPurpose}
    if len(parts) >= 5 and parts[-1] in purposes:
        return name  # made before named vectors: no embedding key
    if len(parts) >= 6 and parts[-2] in purposes:
        return "_".join(parts[:-1])
    return None
