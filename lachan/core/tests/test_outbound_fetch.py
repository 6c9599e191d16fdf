"""Guarded fetching against real aiohttp servers on loopback (plain and TLS); no mocks.

The servers run in a background thread with their own event loop, so both the async ``fetch`` (run
with ``asyncio.run`` in the test) and the blocking ``fetch_sync`` reach them.
"""

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import Counter

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation

from lachan.core.outbound import (
    BlockedAddress,
    FetchError,
    GuardedResolver,
    fetch,
    fetch_sync,
    guarded_session,
)
from lachan.core.outbound.aio import BlockedConnect

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- servers -------------------------------------------------------------------------------------


def make_cert(tmp_path, name, *, days_before, days_after):
    """A self-signed certificate for 127.0.0.1 valid from now-days_before to now+days_after."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lachan-test-{name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=days_before))
        .not_valid_after(now + dt.timedelta(days=days_after))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    return server_ctx, client_ctx


class Farm:
    """aiohttp.web servers on 127.0.0.1 (plain, TLS valid 30 days, TLS expired) and 127.0.0.2."""

    def __init__(self, tmp_path):
        self.hits = Counter()
        self.loop = asyncio.new_event_loop()
        self.runners = []
        self.tls_ok, self.client_ok = make_cert(tmp_path, "ok", days_before=1, days_after=30)
        self.tls_expired, self.client_expired = make_cert(tmp_path, "expired", days_before=10, days_after=-1)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self._start("127.0.0.1")
        self.port_b = self._start("127.0.0.2")
        self.tls_port = self._start("127.0.0.1", ssl_context=self.tls_ok)
        self.expired_port = self._start("127.0.0.1", ssl_context=self.tls_expired)

    def url(self, path, host="127.0.0.1", port=None):
        return f"http://{host}:{port or self.port}{path}"

    def _start(self, host, ssl_context=None):
        return asyncio.run_coroutine_threadsafe(self._serve(host, ssl_context), self.loop).result(10)

    async def _serve(self, host, ssl_context):
        app = web.Application()
        app.router.add_get("/ok", self.ok)
        app.router.add_get("/host", self.echo_host)
        app.router.add_get("/big", self.big)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/loop/{n}", self.loop_redirect)
        app.router.add_route("*", "/redirect", self.redirect)
        runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
        await site.start()
        self.runners.append(runner)
        return site._server.sockets[0].getsockname()[1]

    async def ok(self, request):
        self.hits[(request.host, request.path)] += 1
        return web.Response(text="bonjour Lá Chắn", headers={"X-Test": "1"}, charset="utf-8")

    async def echo_host(self, request):
        self.hits[(request.host, request.path)] += 1
        return web.Response(text=request.headers.get("Host", ""))

    async def big(self, request):
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if request.query.get("length"):
            response.content_length = 10 * MB
        await response.prepare(request)
        chunk = b"x" * (64 * 1024)
        try:
            for _ in range(10 * MB // len(chunk)):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def slow(self, request):
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def loop_redirect(self, request):
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/loop/{n + 1}")

    async def redirect(self, request):
        self.hits[(request.host, request.path)] += 1
        raise web.HTTPFound(request.query["to"])

    def close(self):
        for runner in self.runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    servers = Farm(tmp_path_factory.mktemp("certs"))
    yield servers
    servers.close()


def get(url, *, allowlist=None, upstream_resolver=None, **options):
    """Run the async fetch once in a fresh loop with a fresh guarded session."""

    async def go():
        async with guarded_session(allowlist=allowlist, upstream_resolver=upstream_resolver) as session:
            return await fetch(session, url, **options)

    return asyncio.run(go())


def fails(url, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        get(url, **kwargs)
    return info.value


class StubDNS(AbstractResolver):
    """A fake DNS answer source (the upstream of the resolver under test), answering from a dict."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host}: no such name")
        return [
            {"hostname": host, "host": ip, "port": port, "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
             "proto": 0, "flags": socket.AI_NUMERICHOST}
            for ip in self.answers[host]
        ]  # fmt: skip

    async def close(self):
        pass


# --- loopback and the allowlist ------------------------------------------------------------------


def test_loopback_is_refused_by_default_and_never_reached(farm, settings):
    settings.OUTBOUND_ALLOWLIST = []
    before = farm.hits[(f"127.0.0.1:{farm.port}", "/ok")]
    error = fails(farm.url("/ok"))
    assert (error.kind, error.message) == ("blocked", "loopback address")
    assert farm.hits[(f"127.0.0.1:{farm.port}", "/ok")] == before


def test_loopback_allowed_by_the_setting(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    result = get(farm.url("/ok"))
    assert (result.status, result.body.decode(), result.text()) == (200, "bonjour Lá Chắn", "bonjour Lá Chắn")
    assert result.headers["X-Test"] == "1"
    assert (result.peer_ip, result.final_url, result.redirects, result.truncated) == (
        "127.0.0.1", farm.url("/ok"), [], False
    )  # fmt: skip
    assert result.tls is None and result.charset == "utf-8"


def test_localhost_name_is_refused_after_resolution(farm, settings):
    settings.OUTBOUND_ALLOWLIST = []
    error = fails(farm.url("/ok", host="localhost"))
    assert error.kind == "blocked"
    assert error.message.startswith("localhost resolves to ")
    assert "loopback address" in error.message


def test_odd_spellings_are_refused_before_any_connection(farm, settings):
    settings.OUTBOUND_ALLOWLIST = []
    for host in ("2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::1]"):
        assert fails(farm.url("/ok", host=host)).kind == "blocked", host
    for url in ("ftp://127.0.0.1/", "file:///etc/passwd", f"http://u:p@example.com:{farm.port}/"):
        assert fails(url).kind == "blocked", url


def test_connector_checks_the_address_at_connect_time(farm, settings):
    """A caller using the session directly (no check_url) is still refused at the socket."""
    settings.OUTBOUND_ALLOWLIST = []
    before = farm.hits[(f"127.0.0.1:{farm.port}", "/ok")]

    async def go():
        async with guarded_session() as session:
            with pytest.raises(aiohttp.ClientConnectorError) as info:
                await session.get(farm.url("/ok"))
            return info.value

    error = asyncio.run(go())
    assert isinstance(error.os_error, BlockedConnect)
    assert error.os_error.blocked.reason == "loopback address"
    assert farm.hits[(f"127.0.0.1:{farm.port}", "/ok")] == before


# --- redirects -----------------------------------------------------------------------------------


def test_redirect_to_another_loopback_address_is_refused_at_the_hop(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1/32"]
    target = farm.url("/ok", host="127.0.0.2", port=farm.port_b)
    start = farm.url(f"/redirect?to={target}")
    error = fails(start)
    assert (error.kind, error.url, error.redirects) == ("blocked", target, [(302, start)])
    assert error.message == "loopback address"
    assert farm.hits[(f"127.0.0.2:{farm.port_b}", "/ok")] == 0
    # The second server is up: with it allowlisted the same chain arrives there.
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    result = get(start)
    assert (result.status, result.final_url, result.peer_ip) == (200, target, "127.0.0.2")
    assert result.redirects == [(302, start)]
    assert farm.hits[(f"127.0.0.2:{farm.port_b}", "/ok")] == 1


def test_redirect_to_metadata_is_refused(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    for to in ("http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://[::ffff:a9fe:a9fe]/",
               "gopher://127.0.0.1:25/", "http://user:pw@127.0.0.1/"):  # fmt: skip
        error = fails(farm.url(f"/redirect?to={to}"))
        assert error.kind == "blocked", to
        assert len(error.redirects) == 1


def test_relative_redirect_and_too_many_redirects(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    result = get(farm.url("/redirect?to=/ok"))
    assert (result.status, result.final_url) == (200, farm.url("/ok"))
    error = fails(farm.url("/loop/0"), max_redirects=3)
    assert error.kind == "too_many_redirects"
    assert [url for _, url in error.redirects] == [farm.url(f"/loop/{n}") for n in range(4)]


# --- DNS: the resolver with a fake answer source -------------------------------------------------


def test_resolver_refuses_a_name_with_any_blocked_answer():
    async def resolve(answers):
        resolver = GuardedResolver(StubDNS({"mixed.example": answers}), allowlist=[])
        return await resolver.resolve("mixed.example", 80)

    assert [r["host"] for r in asyncio.run(resolve(["8.8.8.8", "2001:4860:4860::8888"]))] == [
        "8.8.8.8", "2001:4860:4860::8888"
    ]  # fmt: skip
    for answers in (["8.8.8.8", "10.0.0.5"], ["169.254.169.254", "8.8.8.8"], ["::ffff:127.0.0.1"]):
        with pytest.raises(BlockedAddress) as info:
            asyncio.run(resolve(answers))
        assert info.value.reason.startswith("mixed.example resolves to "), answers


def test_a_name_is_connected_to_the_checked_address_with_its_host_header(farm, settings):
    """Pinning: the connection goes to what the guarded resolver returned, asked once."""
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1/32"]
    dns = StubDNS({"site.example": ["127.0.0.1"], "evil.example": ["8.8.8.8", "127.0.0.2"]})
    result = get(f"http://site.example:{farm.port}/host", upstream_resolver=dns)
    assert (result.body.decode(), result.peer_ip) == (f"site.example:{farm.port}", "127.0.0.1")
    assert dns.asked == ["site.example"]
    error = fails(f"http://evil.example:{farm.port}/host", upstream_resolver=dns)
    assert error.kind == "blocked" and "127.0.0.2: loopback address" in error.message
    assert fails(f"http://nowhere.example:{farm.port}/", upstream_resolver=dns).kind == "dns"


# --- body cap, timeouts, TLS ---------------------------------------------------------------------


def test_body_cap_truncates_or_refuses(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    result = get(farm.url("/big"), max_bytes=MB)
    assert (len(result.body), result.truncated, result.status) == (MB, True, 200)
    assert fails(farm.url("/big"), max_bytes=MB, truncate=False).kind == "too_large"
    error = fails(farm.url("/big?length=1"), max_bytes=MB, truncate=False)  # refused from Content-Length
    assert (error.kind, error.message) == ("too_large", f"body of {10 * MB} bytes exceeds {MB}")


def test_slow_server_is_a_timeout(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    assert fails(farm.url("/slow"), read_timeout=0.3).kind == "timeout"
    assert fails(farm.url("/slow"), timeout=0.3).kind == "timeout"


def test_refused_port_is_a_connect_error(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: the connection is refused
        assert fails(f"http://127.0.0.1:{port}/").kind == "connect"


def test_tls_certificate_facts(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    result = get(f"https://127.0.0.1:{farm.tls_port}/ok", ssl=farm.client_ok)
    assert result.status == 200
    assert result.tls["days_left"] in (29, 30)
    assert result.tls["subject"] == result.tls["issuer"] == "CN=lachan-test-ok"
    assert result.tls["version"] in ("TLSv1.2", "TLSv1.3")
    assert dt.datetime.fromisoformat(result.tls["not_after"]) > dt.datetime.now(dt.UTC)


def test_untrusted_and_expired_certificates_are_tls_errors(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    error = fails(f"https://127.0.0.1:{farm.tls_port}/ok")  # self-signed, not trusted by default
    assert error.kind == "tls" and "self-signed" in error.message
    error = fails(f"https://127.0.0.1:{farm.expired_port}/ok", ssl=farm.client_expired)
    assert error.kind == "tls" and "expired" in error.message
    # Without verification the page is fetched and the expired certificate still described.
    result = get(f"https://127.0.0.1:{farm.expired_port}/ok", ssl=False)
    assert result.status == 200 and result.tls["days_left"] < 0


# --- blocking fetch ------------------------------------------------------------------------------


def test_fetch_sync_uses_the_same_guard(farm, settings):
    settings.OUTBOUND_ALLOWLIST = []
    with pytest.raises(FetchError) as info:
        fetch_sync(farm.url("/ok"))
    assert info.value.kind == "blocked"
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1/32"]
    assert fetch_sync(farm.url("/ok")).body == "bonjour Lá Chắn".encode()
    with pytest.raises(FetchError) as info:
        fetch_sync(farm.url(f"/redirect?to=http://127.0.0.2:{farm.port_b}/ok"))
    assert info.value.kind == "blocked"


def test_fetch_sync_inside_a_running_loop(farm, settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]

    async def from_async_code():
        return fetch_sync(farm.url("/ok"))

    assert asyncio.run(from_async_code()).status == 200


def test_fetch_needs_a_guarded_session(farm):
    async def go():
        async with aiohttp.ClientSession() as session:
            await fetch(session, farm.url("/ok"))

    with pytest.raises(TypeError, match="guarded_session"):
        asyncio.run(go())
