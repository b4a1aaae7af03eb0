"""The SSRF guard against real HTTP(S) servers on loopback addresses (nothing else is
reached): 127.0.0.2 plays the "public" site through an injected resolver and policy,
127.0.0.1 the private address a link or a redirect must not reach."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adapters.links.guard import (
    GuardedTransport,
    IPAddress,
    check_url,
    fetch_capped,
    guarded_client,
    is_public_address,
    resolve_host,
)
from core.errors import UserFacingError

PUBLIC_IP = ipaddress.ip_address("127.0.0.2")
PRIVATE_IP = ipaddress.ip_address("127.0.0.1")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        route = parts.path
        if route == "/whoami":
            self._send(200, self.server.name.encode())
        elif route == "/host":
            self._send(200, (self.headers.get("Host") or "").encode())
        elif route == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif route == "/bytes":
            self._send(200, b"x" * int(query["n"]))
        elif route == "/unsized":
            # No Content-Length: the body runs until the connection closes.
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"y" * int(query["n"]))
        elif route == "/claims-huge":
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            self.wfile.write(b"z" * 10)
        elif route == "/gzip-bomb":
            body = gzip.compress(b"\0" * int(query["n"]))
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._send(404, b"no such page")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, name: str) -> None:
        super().__init__((host, 0), _Handler)
        self.name = name

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[..., _Server]]:
    """Start servers on loopback addresses; all are shut down after the module."""
    started: list[_Server] = []

    def start(host: str, name: str, tls: ssl.SSLContext | None = None) -> _Server:
        server = _Server(host, name)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def private(serve: Callable[..., _Server]) -> _Server:
    return serve("127.0.0.1", "private")


@pytest.fixture(scope="module")
def public(serve: Callable[..., _Server]) -> _Server:
    return serve("127.0.0.2", "public")


@dataclass
class FakeDns:
    """A resolver for made-up public names; each lookup is recorded."""

    names: dict[str, list[IPAddress]]
    lookups: list[str] = field(default_factory=list)

    def __call__(self, host: str) -> Sequence[IPAddress]:
        self.lookups.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[host]


def only_public_ip(address: IPAddress) -> bool:
    """The tests' policy: 127.0.0.2 stands for the public internet, nothing else does."""
    return address == PUBLIC_IP


def dns() -> FakeDns:
    return FakeDns(
        {"public.example": [PUBLIC_IP], "sneaky.example": [PRIVATE_IP], "localhost": [PRIVATE_IP]}
    )


def key_of(error: pytest.ExceptionInfo[UserFacingError]) -> str:
    return error.value.key


# --- check_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/plain,hello",
        "mailto:someone@example.com",
        "example.com/no-scheme",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_only_http_and_https_pass_even_with_private_addresses_allowed(
    url: str, allow_private: bool
) -> None:
    with pytest.raises(UserFacingError) as error:
        check_url(url, allow_private=allow_private)

    assert key_of(error) == "link_scheme"


@pytest.mark.parametrize("url", ["http://", "https:///just/a/path", "http://:80/", "http://[::1"])
def test_a_url_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(UserFacingError) as error:
        check_url(url, allow_private=True)

    assert key_of(error) == "link_no_host"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://localhost/",
        "HTTP://LOCALHOST:6333/collections",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://user:pass@127.0.0.1/",
    ],
)
def test_loopback_in_any_spelling_is_refused_by_what_it_resolves_to(url: str) -> None:
    with pytest.raises(UserFacingError) as error:
        check_url(url)

    assert key_of(error) == "link_private_address"


def test_allow_private_lets_loopback_through() -> None:
    check_url("http://127.0.0.1:8080/", allow_private=True)
    check_url("http://localhost/", allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.251",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "192.0.2.10",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "fc00::1",
        "ff02::1",
        "ff0e::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "2002:7f00:1::",
        "2002:a00:1::",
        "64:ff9b::10.0.0.1",
        "64:ff9b::127.0.0.1",
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"],
)
def test_ordinary_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_a_host_with_one_private_address_among_public_ones_is_refused() -> None:
    resolve = FakeDns(
        {"mixed.example": [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.5")]}
    )

    with pytest.raises(UserFacingError) as error:
        check_url("https://mixed.example/", resolve=resolve)

    assert key_of(error) == "link_private_address"


def test_a_public_host_passes_with_the_default_policy() -> None:
    resolve = FakeDns({"www.example.com": [ipaddress.ip_address("93.184.216.34")]})

    check_url("https://www.example.com/page", resolve=resolve)

    assert resolve.lookups == ["www.example.com"]


def test_unknown_and_empty_answers_are_unresolvable() -> None:
    resolve = FakeDns({"empty.example": []})

    for url in ("https://nowhere.example/", "https://empty.example/"):
        with pytest.raises(UserFacingError) as error:
            check_url(url, resolve=resolve)
        assert key_of(error) == "link_unresolvable"


def test_the_refusal_reads_in_english_and_korean() -> None:
    with pytest.raises(UserFacingError) as error:
        check_url("http://127.0.0.1/")

    assert "127.0.0.1" in error.value.text("en")
    assert "사설" in error.value.text("ko")


def test_the_system_resolver_reads_numeric_hosts_as_addresses() -> None:
    assert resolve_host("2130706433") == [PRIVATE_IP]
    assert resolve_host("0x7f.1") == [PRIVATE_IP]
    assert ipaddress.ip_address("::1") in resolve_host("::1")


# --- the guarded transport --------------------------------------------------------------


async def test_a_loopback_server_is_refused_by_default(private: _Server) -> None:
    async with guarded_client() as client:
        with pytest.raises(UserFacingError) as error:
            await client.get(f"http://127.0.0.1:{private.port}/whoami")

    assert key_of(error) == "link_private_address"


async def test_a_loopback_server_is_reached_with_allow_private(private: _Server) -> None:
    async with guarded_client(allow_private=True) as client:
        response = await client.get(f"http://127.0.0.1:{private.port}/whoami")

    assert response.text == "private"


async def test_numeric_spellings_of_loopback_are_refused_at_connect(private: _Server) -> None:
    async with guarded_client() as client:
        for host in ("2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "localhost"):
            with pytest.raises(UserFacingError) as error:
                await client.get(f"http://{host}:{private.port}/whoami")
            assert key_of(error) == "link_private_address"


async def test_an_allowed_host_is_fetched_at_the_address_it_was_checked_at(
    public: _Server,
) -> None:
    resolve = dns()
    async with guarded_client(resolve=resolve, is_allowed=only_public_ip) as client:
        response = await client.get(f"http://public.example:{public.port}/host")

    assert response.text == f"public.example:{public.port}"
    assert resolve.lookups == ["public.example"]


async def test_a_redirect_from_an_allowed_site_to_loopback_is_refused(
    public: _Server, private: _Server
) -> None:
    start = f"http://public.example:{public.port}/redirect"
    targets = [
        f"http://127.0.0.1:{private.port}/whoami",
        f"http://sneaky.example:{private.port}/whoami",
        f"http://localhost:{private.port}/whoami",
    ]
    async with guarded_client(resolve=dns(), is_allowed=only_public_ip) as client:
        for target in targets:
            with pytest.raises(UserFacingError) as error:
                await client.get(start, params={"to": target})
            assert key_of(error) == "link_private_address"


async def test_a_redirect_between_allowed_pages_is_followed(public: _Server) -> None:
    target = f"http://public.example:{public.port}/whoami"
    async with guarded_client(resolve=dns(), is_allowed=only_public_ip) as client:
        response = await client.get(
            f"http://public.example:{public.port}/redirect", params={"to": target}
        )

    assert response.text == "public"
    assert len(response.history) == 1


async def test_a_redirect_to_another_scheme_is_refused(public: _Server) -> None:
    async with guarded_client(resolve=dns(), is_allowed=only_public_ip) as client:
        for target in ("file:///etc/passwd", "gopher://127.0.0.1:70/"):
            with pytest.raises(UserFacingError) as error:
                await client.get(
                    f"http://public.example:{public.port}/redirect", params={"to": target}
                )
            assert key_of(error) == "link_scheme"


async def test_the_transport_refuses_other_schemes_even_with_private_allowed() -> None:
    transport = GuardedTransport(allow_private=True)
    request = httpx.Request("GET", "ftp://127.0.0.1/file")

    with pytest.raises(UserFacingError) as error:
        await transport.handle_async_request(request)

    assert key_of(error) == "link_scheme"
    await transport.aclose()


async def test_every_connection_resolves_again_so_a_rebound_name_is_refused(
    public: _Server,
) -> None:
    # The first answer is the allowed address, every later one a private address: the
    # connection made after the first check goes to the checked address, and the next
    # connection checks (and refuses) the new answer instead of trusting the old one.
    answers = [[PUBLIC_IP]]

    def rebinding(host: str) -> list[IPAddress]:
        return answers.pop() if answers else [PRIVATE_IP]

    async with guarded_client(resolve=rebinding, is_allowed=only_public_ip) as client:
        first = await client.get(f"http://rebind.example:{public.port}/whoami")
        with pytest.raises(UserFacingError) as error:
            await client.get(f"http://rebind.example:{public.port}/whoami")

    assert first.text == "public"
    assert key_of(error) == "link_private_address"


async def test_the_next_address_is_tried_when_one_does_not_answer(public: _Server) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.3", public.port))  # bound, never listening: refuses connects
    try:
        resolve = FakeDns({"two.example": [ipaddress.ip_address("127.0.0.3"), PUBLIC_IP]})
        async with guarded_client(resolve=resolve, is_allowed=lambda _: True) as client:
            response = await client.get(f"http://two.example:{public.port}/whoami")
    finally:
        closed.close()

    assert response.text == "public"


# --- https: SNI and certificate checks use the URL's host, not the address -------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=public.example",
            "-addext", "subjectAltName=DNS:public.example",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_public(
    serve: Callable[..., _Server], certificate: tuple[Path, Path]
) -> tuple[_Server, list[str | None]]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []

    def record(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = record  # type: ignore[assignment]
    return serve("127.0.0.2", "public over tls", tls=context), names


async def test_https_keeps_the_host_name_for_sni_certificate_and_host_header(
    tls_public: tuple[_Server, list[str | None]], certificate: tuple[Path, Path]
) -> None:
    server, names = tls_public
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    async with guarded_client(resolve=dns(), is_allowed=only_public_ip, verify=trust) as client:
        response = await client.get(f"https://public.example:{server.port}/host")

    assert response.text == f"public.example:{server.port}"
    assert names[-1] == "public.example"


async def test_https_to_a_name_the_certificate_does_not_cover_fails_verification(
    tls_public: tuple[_Server, list[str | None]], certificate: tuple[Path, Path]
) -> None:
    server, _ = tls_public
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    resolve = FakeDns({"other.example": [PUBLIC_IP]})
    async with guarded_client(resolve=resolve, is_allowed=only_public_ip, verify=trust) as client:
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await client.get(f"https://other.example:{server.port}/host")


# --- fetch_capped -----------------------------------------------------------------------


async def test_fetch_capped_returns_a_body_within_the_cap(private: _Server) -> None:
    async with guarded_client(allow_private=True) as client:
        body = await fetch_capped(client, f"http://127.0.0.1:{private.port}/bytes?n=1000", 1000)

    assert body == b"x" * 1000


@pytest.mark.parametrize(
    "path",
    ["/bytes?n=5000", "/unsized?n=50000", "/claims-huge", "/gzip-bomb?n=2000000"],
)
async def test_fetch_capped_stops_past_the_cap(private: _Server, path: str) -> None:
    async with guarded_client(allow_private=True) as client:
        with pytest.raises(UserFacingError) as error:
            await fetch_capped(client, f"http://127.0.0.1:{private.port}{path}", 4096)

    assert key_of(error) == "link_too_large"
    assert "4 KB" in error.value.text("en")


async def test_fetch_capped_reports_an_error_status(private: _Server) -> None:
    async with guarded_client(allow_private=True) as client:
        with pytest.raises(UserFacingError) as error:
            await fetch_capped(client, f"http://127.0.0.1:{private.port}/missing", 4096)

    assert key_of(error) == "link_status"
    assert "404" in error.value.text("ko")


async def test_fetch_capped_reports_a_site_that_does_not_answer() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    try:
        async with guarded_client(allow_private=True) as client:
            with pytest.raises(UserFacingError) as error:
                await fetch_capped(client, f"http://127.0.0.1:{port}/", 4096)
    finally:
        closed.close()

    assert key_of(error) == "link_unreachable"


async def test_fetch_capped_passes_the_guards_refusal_on(private: _Server) -> None:
    async with guarded_client() as client:
        with pytest.raises(UserFacingError) as error:
            await fetch_capped(client, f"http://127.0.0.1:{private.port}/bytes?n=10", 4096)

    assert key_of(error) == "link_private_address"
