"""Fetching links people share without letting them reach the bot's own network (SSRF).

A shared link may name, or redirect to, a loopback, private or link-local address (a
cloud metadata service, an admin page on the LAN). Every connection the guarded client
makes resolves its host once, refuses it unless all addresses are public, and then
connects to one of exactly those addresses: the check happens in the connection itself,
for the first request and every redirect hop alike, so a DNS answer that changes between
check and connect (rebinding) has nothing to slip through. TLS still verifies the
certificate against the URL's host name and sends it as SNI, and the Host header is
the URL's: only the TCP connect goes to the checked address.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio.to_thread
import httpcore
import httpx

from core.errors import UserFacingError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Sequence[IPAddress]]
AddressPolicy = Callable[[IPAddress], bool]

_SCHEMES = ("http", "https")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def resolve_host(host: str) -> list[IPAddress]:
    """Every address the system resolver gives for `host`, in its order.

    Numeric spellings ("2130706433", "0x7f.1") come back as the address they mean, which
    is why the guard checks these results and never the host string.
    """
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 one carries (mapped, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is a plain IPv4 connection; only the IPv4 address says where to.
        return [address.ipv4_mapped]
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public_address(address: IPAddress) -> bool:
    """Whether `address`, and any IPv4 address inside it, is an ordinary public unicast one."""
    # is_global alone is not enough on 3.11: it calls ::127.0.0.1 and 2002:7f00:1:: global.
    return all(
        one.is_global
        and not (
            one.is_private
            or one.is_loopback
            or one.is_link_local
            or one.is_multicast
            or one.is_reserved
            or one.is_unspecified
        )
        for one in _embedded(address)
    )


def _any_address(address: IPAddress) -> bool:
    return True


def _literal(host: str) -> list[IPAddress]:
    """The address a host written as a plain IP address is; [] for a name (or an odd
    numeric spelling, "0x7f.1", that only the resolver reads)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        return []


@dataclass(frozen=True)
class _Guard:
    """How hosts are resolved and which addresses may be connected to."""

    resolve: Resolver
    is_allowed: AddressPolicy

    def addresses(self, host: str) -> list[IPAddress]:
        """The addresses of `host`, all of them allowed; a UserFacingError otherwise."""
        try:
            addresses = _literal(host) or list(self.resolve(host))
        except (OSError, UnicodeError, ValueError) as error:
            raise UserFacingError("link_unresolvable", host=host) from error
        if not addresses:
            raise UserFacingError("link_unresolvable", host=host)
        if not all(self.is_allowed(address) for address in addresses):
            raise UserFacingError("link_private_address", host=host)
        return addresses


def _guard(allow_private: bool, resolve: Resolver, is_allowed: AddressPolicy | None) -> _Guard:
    policy = is_allowed or (_any_address if allow_private else is_public_address)
    return _Guard(resolve=resolve, is_allowed=policy)


def _checked_host(url: str, scheme: str, host: str) -> str:
    if scheme.lower() not in _SCHEMES:
        raise UserFacingError("link_scheme", url=url)
    if not host:
        raise UserFacingError("link_no_host", url=url)
    return host


def check_url(
    url: str,
    allow_private: bool = False,
    *,
    resolve: Resolver = resolve_host,
    is_allowed: AddressPolicy | None = None,
) -> None:
    """Raise a UserFacingError unless `url` is http(s) with a host whose every address is
    allowed (public ones; any with `allow_private`, which never skips the scheme check).

    Blocks while resolving; a guarded client checks again itself at connect time, so this
    is for refusing a link early, not a substitute for that client.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError as error:
        raise UserFacingError("link_no_host", url=url) from error
    _guard(allow_private, resolve, is_allowed).addresses(_checked_host(url, parts.scheme, host))


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the check inside connect: resolve once, verify, and
    connect to a verified address (TLS then runs over it with the URL's host name)."""

    def __init__(self, guard: _Guard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(self._guard.addresses, host)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # addresses() never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not for shared links")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that refuses non-http(s) URLs and connects only to allowed
    addresses, checked when each connection opens (every redirect hop included).

    `resolve` and `is_allowed` replace the system resolver and the public-only policy
    (tests drive both); `allow_private` allows any address but never another scheme.
    No proxy is used: a proxy would make the connect-time check meaningless.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolver = resolve_host,
        is_allowed: AddressPolicy | None = None,
        verify: ssl.SSLContext | bool = True,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        retries: int = 0,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=5)
        super().__init__(verify=verify, trust_env=False, http2=http2, limits=limits)
        # httpx offers no way to pass a network backend, so the pool it built is replaced
        # by one with the same settings and the guarded backend (it holds no sockets yet).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            retries=retries,
            network_backend=_GuardedBackend(_guard(allow_private, resolve, is_allowed)),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a URL of another scheme or without a host, then send the request."""
        _checked_host(str(request.url), request.url.scheme, request.url.host)
        return await super().handle_async_request(request)


def guarded_client(
    *,
    allow_private: bool = False,
    resolve: Resolver = resolve_host,
    is_allowed: AddressPolicy | None = None,
    verify: ssl.SSLContext | bool = True,
    timeout: float = 20.0,
    max_redirects: int = 5,
    headers: typing.Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """An httpx client for shared links: guarded transport, redirects followed (each hop
    checked), no proxies or other settings taken from the environment."""
    return httpx.AsyncClient(
        transport=GuardedTransport(
            allow_private=allow_private, resolve=resolve, is_allowed=is_allowed, verify=verify
        ),
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=timeout,
        headers=headers,
        trust_env=False,
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} bytes"


@dataclass(frozen=True)
class FetchedBody:
    """What a capped fetch brought back: the body, its media type, the URL it came from
    after redirects."""

    body: bytes
    content_type: str
    url: str


async def fetch_capped(client: httpx.AsyncClient, url: str, max_bytes: int) -> bytes:
    """The body at `url` (GET), read as a stream and abandoned past `max_bytes`: refused up
    front when Content-Length already says so. Failures become UserFacingErrors.

    `client` should come from `guarded_client`: the cap does not guard addresses.
    """
    return (await fetch_with_type(client, url, max_bytes)).body


async def fetch_with_type(client: httpx.AsyncClient, url: str, max_bytes: int) -> FetchedBody:
    """As `fetch_capped`, with the response's media type and final URL."""
    too_large = UserFacingError("link_too_large", url=url, limit=_size(max_bytes))
    try:
        async with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise UserFacingError("link_status", url=url, status=response.status_code)
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise too_large
            body = bytearray()
            # Decoded bytes are counted, so a small compressed body cannot unpack past the cap.
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > max_bytes:
                    raise too_large
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return FetchedBody(bytes(body), media_type, str(response.url))
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise UserFacingError("link_unreachable", url=url) from error
