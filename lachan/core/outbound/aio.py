"""Guarded aiohttp fetching: every address checked at resolution and at connect time, every hop re-checked.

``guarded_session()`` builds an ``aiohttp.ClientSession`` whose connector

* resolves names through ``GuardedResolver`` — the answers are checked by the policy and only checked
  addresses are handed to aiohttp, which connects to exactly those (no second resolution: the address
  is validated and pinned for the connection);
* creates every socket through a factory that checks the address once more just before connecting
  (this also covers IP literals, which aiohttp never passes to the resolver);
* ignores proxy environment variables (``trust_env=False``), since a proxy would resolve on its side.

``fetch()`` follows redirects itself and re-checks each hop's URL (``check_url``) and, through the
session, its resolution; reads the body with a byte cap; reports TLS certificate facts; and turns
every failure into ``FetchError(kind, message)`` — never a raw traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from django.utils.translation import gettext as _
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .policy import BlockedAddress, allowlist_networks, check_address, check_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_CHUNK = 64 * 1024
# Headers that must not follow a redirect to another origin.
_CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")

FETCH_ERROR_KINDS = (
    "blocked",  # refused by the policy (URL, resolved address or connect-time address)
    "dns",  # name does not resolve
    "connect",  # refused, unreachable, reset
    "timeout",  # connect, read or total time exceeded
    "tls",  # handshake or certificate verification failed
    "too_large",  # body above max_bytes and truncate=False
    "too_many_redirects",
    "http",  # protocol error, bad redirect, truncated payload
)


class FetchError(Exception):
    """A fetch that did not produce a response; ``kind`` is one of ``FETCH_ERROR_KINDS``."""

    def __init__(self, kind: str, message: str, *, url: str = "", redirects=()):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.url = url
        self.redirects = list(redirects)


@dataclass
class FetchResult:
    """What a fetch returned.

    ``redirects`` lists each redirect answer as ``(status, url that answered)``; ``final_url`` is the
    URL that gave ``status``. ``body`` holds at most ``max_bytes`` bytes (``truncated`` says whether
    there was more). ``tls`` describes the certificate of the final hop when it was https.
    """

    url: str
    final_url: str
    status: int
    headers: CIMultiDictProxy
    body: bytes
    truncated: bool = False
    redirects: list[tuple[int, str]] = field(default_factory=list)
    elapsed_ms: float = 0.0
    peer_ip: str = ""
    tls: dict | None = None
    charset: str | None = None

    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8 (undecodable bytes replaced)."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class BlockedConnect(OSError):
    """Raised by the socket factory (an OSError so aiohttp wraps it); carries the policy refusal."""

    def __init__(self, blocked: BlockedAddress):
        super().__init__(blocked.reason)
        self.blocked = blocked


class GuardedResponse(aiohttp.ClientResponse):
    """Notes the peer address and TLS object of its connection before aiohttp may release it."""

    peer_ip = ""
    transport_facts: tuple | None = None  # (tls version, cipher, DER certificate) on TLS connections

    async def start(self, connection):
        transport = connection.transport
        if transport is not None:
            peer = transport.get_extra_info("peername")
            self.peer_ip = peer[0] if peer else ""
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                self.transport_facts = (
                    ssl_object.version(),
                    (ssl_object.cipher() or ("",))[0],
                    ssl_object.getpeercert(binary_form=True),
                )
        return await super().start(connection)


class GuardedResolver(AbstractResolver):
    """Resolve with ``upstream`` (aiohttp's default resolver if None) and check every answer.

    If ANY answer is refused by the policy the whole name is refused (``BlockedAddress``), rather than
    dropping the bad answers: a name that mixes public and internal addresses is the shape of a DNS
    rebinding attack, and dropping would still let an attacker steer the connection by ordering.
    Only checked answers are returned, and aiohttp connects to exactly those addresses.
    """

    def __init__(self, upstream: AbstractResolver | None = None, *, allowlist=None):
        self._upstream = upstream
        self._networks = allowlist_networks(allowlist)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._upstream is None:
            self._upstream = DefaultResolver()
        answers = await self._upstream.resolve(host, port, family=family)
        if not answers:
            raise OSError(_("%s has no address") % host)
        for answer in answers:
            try:
                check_address(answer["host"], allowlist=self._networks)
            except BlockedAddress as exc:
                raise BlockedAddress(
                    _("%(host)s resolves to %(ip)s: %(reason)s")
                    % {"host": host, "ip": answer["host"], "reason": exc.reason},
                    target=host,
                ) from None
        return answers

    async def close(self) -> None:
        if self._upstream is not None:
            await self._upstream.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector with ``GuardedResolver`` and a socket factory that checks the address to connect."""

    def __init__(self, *, allowlist=None, upstream_resolver: AbstractResolver | None = None, **kwargs):
        self.allowlist = allowlist_networks(allowlist)
        networks = self.allowlist

        def socket_factory(addr_info):
            family, type_, proto, _canonname, sockaddr = addr_info
            try:
                check_address(sockaddr[0], allowlist=networks)
            except BlockedAddress as exc:
                raise BlockedConnect(exc) from None
            return socket.socket(family=family, type=type_, proto=proto)

        kwargs.setdefault("ttl_dns_cache", 10)
        super().__init__(
            resolver=GuardedResolver(upstream_resolver, allowlist=networks),
            socket_factory=socket_factory,
            **kwargs,
        )


def guarded_session(
    *,
    allowlist=None,
    upstream_resolver: AbstractResolver | None = None,
    limit: int = 100,
    limit_per_host: int = 0,
    ttl_dns_cache: int = 10,
    ssl=True,
    **session_kwargs,
) -> aiohttp.ClientSession:
    """A ClientSession for outbound fetches (call inside a running event loop; close it when done).

    ``allowlist`` overrides ``settings.OUTBOUND_ALLOWLIST``; ``upstream_resolver`` replaces the DNS
    source (its answers are still checked). Other keyword arguments go to ``ClientSession`` except
    ``connector`` and ``trust_env``, which would defeat the guard.
    """
    for forbidden in ("connector", "trust_env", "response_class"):
        if forbidden in session_kwargs:
            raise TypeError(f"guarded_session() does not accept {forbidden!r}")
    connector = GuardedConnector(
        allowlist=allowlist,
        upstream_resolver=upstream_resolver,
        limit=limit,
        limit_per_host=limit_per_host,
        ttl_dns_cache=ttl_dns_cache,
        ssl=ssl,
    )
    return aiohttp.ClientSession(
        connector=connector, trust_env=False, response_class=GuardedResponse, **session_kwargs
    )


def tls_info(facts: tuple | None) -> dict | None:
    """Certificate facts: not_after/not_before (ISO, UTC), days_left, issuer, subject, TLS version, cipher."""
    if facts is None:
        return None
    version, cipher, der = facts
    info = {"version": version, "cipher": cipher}
    if not der:
        return info
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    not_after = cert.not_valid_after_utc
    info.update(
        not_after=not_after.isoformat(),
        not_before=cert.not_valid_before_utc.isoformat(),
        days_left=(not_after - dt.datetime.now(dt.UTC)).days,
        issuer=cert.issuer.rfc4514_string(),
        subject=cert.subject.rfc4514_string(),
    )
    return info


def _classify(exc: BaseException) -> tuple[str, str]:
    """(kind, message) for an exception raised while fetching."""
    if isinstance(exc, BlockedAddress):
        return "blocked", exc.reason
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, BlockedConnect):
        return "blocked", exc.os_error.blocked.reason
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", str(exc.os_error) or str(exc)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "tls", str(exc.certificate_error)
    if isinstance(exc, aiohttp.ClientSSLError):
        return "tls", str(exc)
    if isinstance(exc, TimeoutError):  # ServerTimeoutError, ConnectionTimeoutError, asyncio timeouts
        return "timeout", str(exc) or _("timed out")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientOSError):
        return "connect", str(exc)
    if isinstance(exc, aiohttp.ClientError | ValueError):
        return "http", str(exc) or type(exc).__name__
    return "http", f"{type(exc).__name__}: {exc}"


async def _read_capped(response, max_bytes: int, truncate: bool) -> tuple[bytes, bool]:
    length = response.content_length
    if not truncate and length is not None and length > max_bytes:
        raise FetchError("too_large", _("body of %(n)d bytes exceeds %(max)d") % {"n": length, "max": max_bytes})
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        room = max_bytes - len(body)
        if len(chunk) > room:
            if not truncate:
                raise FetchError("too_large", _("body exceeds %d bytes") % max_bytes)
            body += chunk[:room]
            return bytes(body), True
        body += chunk
    return bytes(body), False


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    method: str = "GET",
    headers=None,
    data: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    truncate: bool = True,
    timeout: float = 30.0,
    connect_timeout: float = 10.0,
    read_timeout: float = 15.0,
    max_redirects: int = 5,
    ssl=None,
) -> FetchResult:
    """Fetch ``url`` through a ``guarded_session``; raise ``FetchError`` on any failure.

    Redirects (up to ``max_redirects``) are followed here, each hop's URL re-checked. ``timeout`` bounds
    the whole fetch with its redirects; ``connect_timeout`` covers DNS + connect, ``read_timeout`` each
    read. A body above ``max_bytes`` is cut (``truncated=True``) or, with ``truncate=False``, refused
    as ``too_large``. ``ssl`` is passed to aiohttp per request (an ``SSLContext``, or False to skip
    verification — the certificate facts are still reported).
    """
    connector = session.connector
    if not isinstance(connector, GuardedConnector):
        raise TypeError("fetch() needs a session from guarded_session()")
    started = time.monotonic()
    redirects: list[tuple[int, str]] = []
    current = str(url)
    try:
        async with asyncio.timeout(timeout):
            return await _follow(
                session,
                str(url),
                method=method.upper(),
                headers=CIMultiDict(headers or {}),
                data=data,
                max_bytes=max_bytes,
                truncate=truncate,
                request_timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=read_timeout),
                max_redirects=max_redirects,
                ssl=ssl,
                allowlist=connector.allowlist,
                redirects=redirects,
                started=started,
            )
    except FetchError as exc:
        exc.url = exc.url or current
        exc.redirects = list(redirects)
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure becomes a FetchError, never a traceback to the caller
        kind, message = _classify(exc)
        raise FetchError(kind, message, url=current, redirects=redirects) from exc


async def _follow(session, url, *, method, headers, data, max_bytes, truncate, request_timeout,
                  max_redirects, ssl, allowlist, redirects, started) -> FetchResult:
    current = url
    while True:
        try:
            target = check_url(current, allowlist=allowlist)
        except BlockedAddress as exc:
            raise FetchError("blocked", exc.reason, url=current) from None
        try:
            response = await session.request(
                method,
                target.url,
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=request_timeout,
                ssl=True if ssl is None else ssl,
            )
        except FetchError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            kind, message = _classify(exc)
            raise FetchError(kind, message, url=current) from exc
        async with response:
            peer_ip = getattr(response, "peer_ip", "")
            location = response.headers.get("Location")
            if response.status in REDIRECT_STATUSES and location:
                redirects.append((response.status, str(target.url)))
                if len(redirects) > max_redirects:
                    raise FetchError(
                        "too_many_redirects", _("more than %d redirects") % max_redirects, url=current
                    )
                try:
                    following = target.url.join(URL(location))
                except ValueError as exc:
                    raise FetchError("http", _("invalid redirect location: %s") % exc, url=current) from None
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, data = ("HEAD" if method == "HEAD" else "GET"), None
                if following.origin() != target.url.origin():
                    for name in _CREDENTIAL_HEADERS:
                        headers.popall(name, None)
                current = str(following)
                continue
            tls = tls_info(getattr(response, "transport_facts", None)) if target.scheme == "https" else None
            try:
                body, truncated = await _read_capped(response, max_bytes, truncate)
            except FetchError as exc:
                exc.url = current
                response.close()
                raise
            except Exception as exc:
                kind, message = _classify(exc)
                raise FetchError(kind, message, url=current) from exc
            if truncated:
                response.close()  # do not download the rest
            return FetchResult(
                url=url,
                final_url=str(target.url),
                status=response.status,
                headers=CIMultiDictProxy(CIMultiDict(response.headers)),
                body=body,
                truncated=truncated,
                redirects=list(redirects),
                elapsed_ms=round((time.monotonic() - started) * 1000, 1),
                peer_ip=peer_ip,
                tls=tls,
                charset=response.charset,
            )
