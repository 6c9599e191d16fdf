"""Real loopback websites (and a DNS server) for the monitor's tests: no mocked responses.

A ``Site`` is a mutable map of paths to ``Page``s served by an aiohttp app; swap a page while the server
runs to deface or inject it. Ready-made sites: ``clean_site()``, ``injected_site()``,
``defaced_site(style="marker" | "marquee")``,
``cloaked_site(by="googlebot" | "referer")``, ``slow_site(delay)``, ``error_site(status)``,
``redirect_site(target)``, ``sitemap_site()``. Serve them

* in async tests: ``async with serve(site.app(), host="127.0.0.1", ssl_context=None) as base_url:``
  (``base_url`` is ``"http://127.0.0.1:PORT"``, ``https://`` with an ``ssl_context``);
* in sync tests: ``with ServerThread() as servers: base_url = servers.start(site.app())`` (the servers run
  in a background thread with their own event loop).

``make_cert(days_after=…)`` gives ``(server_context, client_context)`` for a self-signed certificate of
127.0.0.1 (the client context trusts it). ``free_port()`` is a port nobody listens on (connection
refused). ``serve_dns(zone)`` runs a UDP DNS server on 127.0.0.1 answering from a ``Zone`` (mutable:
change its records between two checks). Loopback must be allowlisted by the caller
(``guarded_session(allowlist=LOOPBACK)``). Body text may contain ``{base}``: it becomes the URL of the
server that answers (scheme, host and port), so pages and sitemaps can hold absolute same-site links.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import secrets
import socket
import ssl
import tempfile
import threading
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from aiohttp import web

LOOPBACK = ("127.0.0.0/8", "::1/128")
SEARCH_ENGINES = ("google.", "bing.com", "coccoc.com", "yahoo.", "duckduckgo.com")

# --- pages ------------------------------------------------------------------------------------------------

NEWS = """
<h2>Tin tức - Sự kiện</h2>
<p>Sáng ngày 20/11, nhà trường long trọng tổ chức lễ kỷ niệm Ngày Nhà giáo Việt Nam với sự tham dự của đại diện
lãnh đạo Sở Giáo dục và Đào tạo, Ban đại diện cha mẹ học sinh và toàn thể cán bộ, giáo viên, nhân viên.</p>
<p>Trong học kỳ I năm học 2026-2027, học sinh của trường đạt nhiều thành tích cao trong kỳ thi chọn học sinh
giỏi cấp tỉnh với 12 giải nhất, 18 giải nhì và 25 giải ba ở các môn Toán, Ngữ văn, Tiếng Anh, Vật lý và Hóa học.</p>
<p>Thực hiện kế hoạch của Sở, nhà trường triển khai chuyển đổi số trong quản lý và dạy học: sổ điểm điện tử,
học bạ số, thanh toán học phí không dùng tiền mặt và thư viện số phục vụ học sinh tra cứu tài liệu.</p>
<p>Thông báo tuyển sinh lớp 10 năm học 2027-2028: hồ sơ nộp trực tuyến trên Cổng dịch vụ công của tỉnh, thời gian
nhận hồ sơ từ ngày 15/5 đến hết ngày 30/5. Phụ huynh liên hệ văn phòng nhà trường để được hướng dẫn chi tiết.</p>
<p>Đoàn trường phát động phong trào thanh niên tình nguyện mùa hè xanh, hiến máu nhân đạo và trồng cây xanh
trong khuôn viên trường, thu hút hơn năm trăm đoàn viên tham gia với tinh thần trách nhiệm cao.</p>
"""

CLEAN_HOME = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Trường THPT Nguyễn Du - Cổng thông tin điện tử</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script></head>
<body>
<header><h1>Trường THPT Nguyễn Du</h1>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/gioi-thieu">Giới thiệu</a></li>
<li><a href="/tin-tuc">Tin tức</a></li><li><a href="/lien-he">Liên hệ</a></li></ul></nav></header>
<main>""" + NEWS + """
<img src="/static/le-20-11.jpg" alt="Lễ kỷ niệm 20/11"></main>
<footer><p>Địa chỉ: số 1 đường Lê Lợi, thành phố Hòa Bình. Điện thoại: 0218 3852 123.</p>
<a href="https://chinhphu.vn/">Cổng thông tin Chính phủ</a> <a href="https://moet.gov.vn/">Bộ Giáo dục và Đào tạo</a>
</footer></body></html>
"""

DEFACED_HOME = """<html><head><title>Hacked by Shadow Team</title></head>
<body bgcolor="black" text="white"><center>
<img src="skull.gif" width="400">
<marquee behavior="alternate"><font size="6" color="red">Hacked by Shadow Team - your security is low</font></marquee>
<p>Greetz: all members of Shadow Team</p>
<audio autoplay loop><source src="song.mp3"></audio>
</center></body></html>
"""

MARQUEE_HOME = """<html><head><title>..::: 1337 :::..</title></head>
<body bgcolor="black" text="white"><center>
<img src="anon.png" width="400">
<marquee behavior="alternate"><font size="6" color="red">Indonesian Cyber Army</font></marquee>
<bgsound src="music.mp3" loop="infinite">
</center></body></html>
"""

HIDDEN_SPAM = """
<div style="display:none">
<a href="https://nhacaiuytin.example/">nhà cái uy tín</a> <a href="https://w88vn.example/">W88 cá cược bóng đá</a>
<a href="https://taixiu-online.example/">tài xỉu online</a> <a href="https://nohu-club.example/">nổ hũ đổi thưởng</a>
<a href="https://vaytiennhanh.example/">vay tiền nhanh</a> <a href="https://thuocgiamcan.example/">thuốc giảm cân</a>
<a href="https://seo-backlink.example/">dịch vụ backlink</a>
</div>
"""

INJECTED_HOME = CLEAN_HOME.replace("</main>", HIDDEN_SPAM + "</main>")

GAMBLING_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Nhà cái uy tín - cá cược bóng đá, tài xỉu, nổ hũ</title></head>
<body><h1>Top nhà cái uy tín nhất 2026</h1>
<p>Soi kèo nhà cái hôm nay, tỷ lệ kèo bóng đá, casino trực tuyến, game bài đổi thưởng, xóc đĩa, tài xỉu.</p>
<a href="https://nhacaiuytin.example/">Đăng ký nhà cái uy tín</a> <a href="https://w88vn.example/">Link vào W88</a>
<a href="https://kubet-vn.example/">Kubet casino</a>
</body></html>
"""

ABOUT = CLEAN_HOME.replace("<h2>Tin tức - Sự kiện</h2>", "<h2>Giới thiệu nhà trường</h2>")

ROBOTS = "User-agent: *\nDisallow: /admin/\nSitemap: {base}/sitemap_index.xml\nSitemap: https://nhacai.example/sitemap.xml\n"

SITEMAP_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-posts.xml</loc></sitemap>
<sitemap><loc>https://nhacai.example/sitemap-spam.xml</loc></sitemap>
</sitemapindex>
"""

SITEMAP_POSTS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/</loc></url>
<url><loc>{base}/tin-tuc/le-20-11</loc></url>
<url><loc>{base}/tin-tuc/tuyen-sinh</loc></url>
<url><loc>{base}/tin-tuc/bai-cu</loc></url>
<url><loc>https://nhacai.example/nha-cai-uy-tin</loc></url>
<url><loc>http://127.0.0.2/tin-tuc/khac</loc></url>
</urlset>
"""


@dataclass
class Page:
    """A response: ``body`` (``{base}`` replaced), ``status``, ``content_type``, extra ``headers``, a ``delay``
    (seconds) before answering, and the variants served to Googlebot (User-Agent) or to a visitor coming from
    a search engine (Referer)."""

    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    googlebot: Page | None = None
    search_referer: Page | None = None
    dynamic: bool = False  # ``{visits}`` and ``{token}`` replaced by a visit counter and a random token per request


def redirect(location: str, status: int = 302) -> Page:
    return Page(status=status, headers={"Location": location}, content_type="text/plain")


class Site:
    """Pages by path (mutable while served); ``hits`` counts requests by (path, variant)."""

    def __init__(self, pages: dict | None = None):
        self.pages: dict[str, Page] = dict(pages or {})
        self.hits: Counter = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        page = self.pages.get(request.path)
        variant = "browser"
        if page is not None:
            agent = request.headers.get("User-Agent", "").lower()
            referer = request.headers.get("Referer", "").lower()
            if page.googlebot is not None and "googlebot" in agent:
                page, variant = page.googlebot, "googlebot"
            elif page.search_referer is not None and any(engine in referer for engine in SEARCH_ENGINES):
                page, variant = page.search_referer, "referer"
        self.hits[(request.path, variant)] += 1
        if page is None:
            return web.Response(status=404, text="Not found")
        if page.delay:
            await asyncio.sleep(page.delay)
        body = page.body
        if isinstance(body, str):
            body = body.replace("{base}", f"{request.scheme}://{request.host}")
            if page.dynamic:
                body = body.replace("{visits}", str(10_000 + sum(self.hits.values())))
                body = body.replace("{token}", secrets.token_urlsafe(30))
            body = body.encode("utf-8")
        headers = {"Content-Type": page.content_type, **page.headers}
        return web.Response(status=page.status, body=body, headers=headers)


def _school(**changes) -> Site:
    pages = {
        "/": Page(CLEAN_HOME),
        "/gioi-thieu": Page(ABOUT),
        "/tin-tuc": Page(CLEAN_HOME.replace("<h1>", "<h1>Tin tức - ")),
        "/lien-he": Page(CLEAN_HOME.replace("<h1>", "<h1>Liên hệ - ")),
    }
    pages.update(changes)
    return Site(pages)


def clean_site() -> Site:
    return _school()


def defaced_site(style: str = "marker") -> Site:
    """The home page replaced by a defacement: ``"marker"`` ("Hacked by …", greetz, marquee, audio) or
    ``"marquee"`` (a short page of an image, a marquee and music, no marker words)."""
    return _school(**{"/": Page({"marker": DEFACED_HOME, "marquee": MARQUEE_HOME}[style])})


def injected_site() -> Site:
    """Hidden (display:none) gambling links and unrelated spam links on the home page."""
    return _school(**{"/": Page(INJECTED_HOME)})


def cloaked_site(by: str = "googlebot") -> Site:
    """The clean home page for browsers; a gambling page for Googlebot (``by="googlebot"``) or for visitors
    from a search engine (``by="referer"``)."""
    key = {"googlebot": "googlebot", "referer": "search_referer"}[by]
    return _school(**{"/": Page(CLEAN_HOME, **{key: Page(GAMBLING_PAGE)})})


def slow_site(delay: float = 5.0) -> Site:
    return _school(**{"/": Page(CLEAN_HOME, delay=delay)})


def error_site(status: int = 500) -> Site:
    return _school(**{"/": Page("<h1>Internal Server Error</h1>", status=status)})


def redirect_site(target: str, *, via: int = 1) -> Site:
    """``/`` redirects (through ``via`` hops on this site) to ``target``."""
    hops = {f"/hop{i}": redirect(f"/hop{i + 1}" if i + 1 < via else target) for i in range(1, via)}
    return _school(**{"/": redirect("/hop1" if via > 1 else target), **hops})


def sitemap_site() -> Site:
    """robots.txt → a sitemap index → a urlset of same-site pages (one of them a gambling page) and
    off-site URLs that must never be fetched."""
    return _school(**{
        "/robots.txt": Page(ROBOTS, content_type="text/plain"),
        "/sitemap_index.xml": Page(SITEMAP_INDEX, content_type="application/xml"),
        "/sitemap-posts.xml": Page(SITEMAP_POSTS, content_type="application/xml"),
        "/tin-tuc/le-20-11": Page(CLEAN_HOME),
        "/tin-tuc/tuyen-sinh": Page(ABOUT),
        "/tin-tuc/bai-cu": Page(GAMBLING_PAGE),
    })


# --- serving ----------------------------------------------------------------------------------------------

@asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1", *, ssl_context: ssl.SSLContext | None = None):
    """Serve ``app`` on ``host`` (a free port) for the ``async with`` block; yields the base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if ssl_context else 'http'}://{host}:{port}"
    finally:
        await runner.cleanup()


class ServerThread:
    """Servers in a background thread, for sync tests: ``start(app, host, ssl_context=None)`` → base URL."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list = []

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, app: web.Application, host: str = "127.0.0.1", *, ssl_context=None) -> str:
        return asyncio.run_coroutine_threadsafe(self._start(app, host, ssl_context), self.loop).result(10)

    async def _start(self, app, host, ssl_context):
        manager = serve(app, host, ssl_context=ssl_context)
        url = await manager.__aenter__()
        self.runners.append(manager)
        return url

    def stop(self):
        async def close():
            for manager in reversed(self.runners):
                await manager.__aexit__(None, None, None)
            self.runners.clear()

        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
        self.loop.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port with nothing listening (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# --- TLS --------------------------------------------------------------------------------------------------

def make_cert(*, days_after: int, days_before: int = 1, host: str = "127.0.0.1"):
    """``(server_context, client_context)`` for a self-signed certificate of ``host`` valid from now −
    ``days_before`` to now + ``days_after`` days (negative: already expired). The client context trusts it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lachan-test-{host}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=days_before))
        .not_valid_after(now + dt.timedelta(days=days_after, hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_path.write_bytes(cert_pem)
        key_path.write_bytes(key_pem)
        server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return server, client


# --- DNS --------------------------------------------------------------------------------------------------

class Zone:
    """Records by name: ``{"school.test": {"A": ["127.0.0.1"], "NS": ["ns1.school.test."], …}}`` (mutable).
    A name absent with no names below it is NXDOMAIN; a present name without the type is NOERROR/no data
    (with the SOA of its zone in the authority section). ``queries`` counts the questions asked."""

    def __init__(self, records: dict, *, ttl: int = 300):
        self.records = {name.rstrip(".").lower(): dict(types) for name, types in records.items()}
        self.ttl = ttl
        self.queries: Counter = Counter()

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= 0x0080  # RA: the test server answers as a recursive resolver would
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries[(name, rdtype)] += 1
        types = self.records.get(name)
        if types is not None and types.get(rdtype):
            response.answer.append(dns.rrset.from_text_list(question.name, self.ttl, "IN", rdtype, types[rdtype]))
        else:
            exists = types is not None or any(n.endswith("." + name) for n in self.records)
            if not exists:
                response.set_rcode(dns.rcode.NXDOMAIN)
            soa = self._soa_of(name)
            if soa is not None:
                response.authority.append(soa)
        return response.to_wire()

    def _soa_of(self, name):
        labels = name.split(".")
        for i in range(len(labels)):
            apex = ".".join(labels[i:])
            soa = (self.records.get(apex) or {}).get("SOA")
            if soa:
                return dns.rrset.from_text_list(dns.name.from_text(apex), 60, "IN", "SOA", soa)
        return None


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone):
        self.zone = zone
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(self.zone.answer(data), addr)


@asynccontextmanager
async def serve_dns(zone: Zone, host: str = "127.0.0.1"):
    """A UDP DNS server answering from ``zone`` for the ``async with`` block; yields its port."""
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_datagram_endpoint(lambda: _DnsProtocol(zone), local_addr=(host, 0))
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()
