"""Who is who in a Slack workspace: names and admin rights, looked up once and cached."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.models import Author

log = logging.getLogger("ragbot.slack")

# Names and rights change rarely; an hour keeps lookups rare and a demotion effective soon.
_TTL_SECONDS = 3600.0
_RETRY_SECONDS = 300.0


class SlackDirectory:
    """Users (display name, admin or owner) and channel names of one workspace."""

    def __init__(
        self,
        client: AsyncWebClient,
        admin_users: frozenset[str] = frozenset(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._admins = admin_users
        self._clock = clock
        self._users: dict[str, tuple[float, Author]] = {}
        self._channels: dict[str, tuple[float, str]] = {}

    async def author(self, user_id: str) -> Author:
        """The person behind `user_id`; admin when a workspace admin or owner, or listed."""
        cached = self._users.get(user_id)
        if cached is not None and self._clock() - cached[0] < _TTL_SECONDS:
            return cached[1]
        try:
            answer = await self._client.users_info(user=user_id)
        except SlackApiError as error:
            # Without users:read the bot still answers; only the configured admins are admins.
            log.warning("users.info %s: %s", user_id, error.response.get("error"))
            fallback = Author(user_id, user_id, user_id in self._admins)
            # Kept a short while: a missing scope must not cost a call per message.
            self._users[user_id] = (self._clock() - _TTL_SECONDS + _RETRY_SECONDS, fallback)
            return fallback
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        is_admin = bool(user.get("is_admin") or user.get("is_owner")) or user_id in self._admins
        author = Author(user_id, str(name), is_admin)
        self._users[user_id] = (self._clock(), author)
        return author

    async def user_name(self, user_id: str) -> str:
        """A user's display name."""
        return (await self.author(user_id)).name

    async def channel_name(self, channel_id: str) -> str:
        """A channel's name (its id when it cannot be read)."""
        cached = self._channels.get(channel_id)
        if cached is not None and self._clock() - cached[0] < _TTL_SECONDS:
            return cached[1]
        try:
            answer = await self._client.conversations_info(channel=channel_id)
        except SlackApiError as error:
            log.warning("conversations.info %s: %s", channel_id, error.response.get("error"))
            return channel_id
        name = str((answer.get("channel") or {}).get("name") or channel_id)
        self._channels[channel_id] = (self._clock(), name)
        return name
