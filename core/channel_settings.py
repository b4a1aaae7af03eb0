"""Per-channel settings: what a channel's admins may change, with defaults from config."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import UserFacingError
from core.models import ChannelRef
from core.ports import ChannelSettingsStore

_TRUE = ("on", "true", "yes", "1", "켜기", "켬")
_FALSE = ("off", "false", "no", "0", "끄기", "끔")
LANGUAGES = ("auto", "en", "ko")


@dataclass(frozen=True)
class ChannelSettings:
    """One channel's settings.

    `auto_index`: shared files (and links) are indexed without a mention;
    `answer_language`: auto (the question's language), en or ko;
    `summaries`: a short summary after a file is indexed;
    `remember_messages`: plain messages (not addressed to the bot) are remembered too;
    `time_zone`: the channel's IANA zone, for dates and "last week" (UTC when unset).
    """

    auto_index: bool = True
    answer_language: str = "auto"
    summaries: bool = True
    remember_messages: bool = False
    time_zone: str = "UTC"

    def shown(self) -> list[tuple[str, str]]:
        """Each setting's name and value as a person types them."""
        return [(field.name, _text(getattr(self, field.name))) for field in fields(self)]


class ChannelSettingsService:
    """Reads a channel's settings over the defaults and changes one at a time."""

    def __init__(self, store: ChannelSettingsStore, defaults: ChannelSettings) -> None:
        self._store = store
        self._defaults = defaults

    async def get(self, channel: ChannelRef) -> ChannelSettings:
        """The channel's settings: what was set there, the defaults for the rest."""
        stored = await self._store.channel_settings(channel)
        current = self._defaults
        for name, value in stored.items():
            try:
                current = _with(current, name, value, "en")
            except UserFacingError:
                continue  # a setting an older version knew and this one does not
        return current

    async def change(
        self, channel: ChannelRef, name: str, value: str, language: str
    ) -> ChannelSettings:
        """Set `name` to `value` in `channel`; a UserFacingError names what is wrong."""
        current = await self.get(channel)
        changed = _with(current, name, value, language)
        await self._store.set_channel_setting(channel, name, _text(getattr(changed, name)))
        return changed


def _with(settings: ChannelSettings, name: str, value: str, language: str) -> ChannelSettings:
    names = [field.name for field in fields(settings)]
    if name not in names:
        raise UserFacingError("setting_unknown", name=name, names=", ".join(names))
    word = value.strip().casefold()
    if name == "answer_language":
        if word not in LANGUAGES:
            raise UserFacingError("setting_bad_value", name=name, values=", ".join(LANGUAGES))
        return replace(settings, answer_language=word)
    if name == "time_zone":
        zone = value.strip()
        if not valid_time_zone(zone):
            raise UserFacingError("setting_bad_time_zone", value=zone)
        return replace(settings, time_zone=zone)
    if word not in (*_TRUE, *_FALSE):
        raise UserFacingError("setting_bad_value", name=name, values="on, off")
    if name == "auto_index":
        return replace(settings, auto_index=word in _TRUE)
    if name == "remember_messages":
        return replace(settings, remember_messages=word in _TRUE)
    return replace(settings, summaries=word in _TRUE)


def valid_time_zone(zone: str) -> bool:
    """Whether `zone` names an IANA time zone (Asia/Seoul, UTC)."""
    if not zone or zone.startswith("/") or ".." in zone:
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


class MemoryChannelSettingsStore:
    """ChannelSettingsStore in memory (tests, and a bot without a database)."""

    def __init__(self) -> None:
        self._values: dict[ChannelRef, dict[str, str]] = {}

    async def channel_settings(self, channel: ChannelRef) -> dict[str, str]:
        """What was set in `channel`, by name."""
        return dict(self._values.get(channel, {}))

    async def set_channel_setting(self, channel: ChannelRef, name: str, value: str) -> None:
        """Set one setting of `channel`."""
        self._values.setdefault(channel, {})[name] = value
