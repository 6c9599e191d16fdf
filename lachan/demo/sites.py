"""Demo websites on loopback, so a new user sees every verdict of the website watch within a minute.

Five small school sites of the Hải Phòng Dept. of Education (units of ``demo.yaml``), one aiohttp
server each on ``127.0.0.1``, ports ``LACHAN_DEMO_SITES_PORT`` (default 8701) and the next four:

    clean      THPT chuyên Trần Phú   an ordinary school site                          → ok
    defaced    THPT Ngô Quyền         the home page is replaced by a "Hacked by" page  → compromised
                                      ``deface_after`` seconds after its first request
                                      (the first check records a clean baseline, the
                                      next one sees the defacement and the diff)
    injected   THPT Thái Phiên        hidden ``display:none`` block of gambling links  → compromised
                                      on the home page and on the news page
    cloaked    THPT Kiến An           clean for browsers, a gambling block for          → compromised
                                      Googlebot and for visitors from a search engine     (deep check)
    down       THCS Chu Văn An        answers 503 to everything                        → down

``lachan demo_sites`` runs them (``scripts/up.sh`` starts it next to the platform);
``lachan demo_sites load`` (``load_demo_sites()``, after ``lachan demo load``) creates their inventory
websites and watched sites (checked every 60 s, every check deep). The monitor may fetch loopback only because the demo
start script sets ``OUTBOUND_ALLOWLIST=127.0.0.0/8,::1/128``; the default settings never do.
"""

import asyncio
import datetime as dt
import html
import os
import signal
import time
from dataclasses import dataclass

from aiohttp import web

HOST = "127.0.0.1"
PORT_ENV = "LACHAN_DEMO_SITES_PORT"
DEFAULT_PORT = 8701
DEFACE_AFTER = 45.0  # seconds of clean home page (from the first request) before the defacement
INTERVAL_SECONDS = 60
GOOGLEBOT_UA = "Googlebot"
SEARCH_ENGINES = ("google.", "bing.", "coccoc.", "yahoo.", "duckduckgo.", "yandex.")


@dataclass(frozen=True)
class DemoSite:
    key: str
    unit: str  # unit code in demo.yaml
    school: str
    principal: str
    founded: int
    subpages: tuple = ("/gioi-thieu.html", "/tin-tuc.html")


DEMO_SITES = (
    DemoSite("clean", "HP-THPT-CTP", "Trường THPT chuyên Trần Phú", "Nguyễn Thị Hồng Vân", 1959),
    DemoSite("defaced", "HP-THPT-NQ", "Trường THPT Ngô Quyền", "Phạm Văn Tuấn", 1919),
    DemoSite("injected", "HP-THPT-TP", "Trường THPT Thái Phiên", "Lê Thị Thu Hà", 1965),
    DemoSite("cloaked", "HP-THPT-KA", "Trường THPT Kiến An", "Vũ Đức Thắng", 1959),
    DemoSite("down", "HP-THCS-CVA-NQ", "Trường THCS Chu Văn An", "Đỗ Thị Lan", 1960),
)
SITES_BY_KEY = {site.key: site for site in DEMO_SITES}


def base_port():
    value = os.environ.get(PORT_ENV) or str(DEFAULT_PORT)
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"{PORT_ENV}={value!r} is not a port number") from None
    if not 1 <= port <= 65535 - len(DEMO_SITES):
        raise ValueError(f"{PORT_ENV}={port}: out of range")
    return port


def site_urls(host=HOST, port=None):
    """{key: URL} of the demo sites as the inventory records them."""
    port = base_port() if port is None else port
    return {site.key: f"http://{host}:{port + i}/" for i, site in enumerate(DEMO_SITES)}


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
NOTICES = (
    ("lich-thi-hoc-ky-1", "Lịch kiểm tra cuối học kỳ I năm học 2025 - 2026 khối 10, 11, 12"),
    ("hop-phu-huynh", "Thông báo họp cha mẹ học sinh cuối học kỳ I"),
    ("tuyen-sinh-lop-10", "Kế hoạch tuyển sinh vào lớp 10 năm học 2026 - 2027"),
    ("nghi-tet", "Thông báo lịch nghỉ Tết Nguyên đán Bính Ngọ 2026"),
    ("hoi-khoe-phu-dong", "Kế hoạch tổ chức Hội khỏe Phù Đổng cấp trường"),
)
NEWS = (
    ("hsg-thanh-pho", "Học sinh nhà trường đạt 18 giải kỳ thi học sinh giỏi cấp thành phố",
     "Đội tuyển của trường đạt 3 giải Nhất, 6 giải Nhì, 5 giải Ba và 4 giải Khuyến khích; em Trần Minh Anh "
     "lớp 11 Tin đạt điểm cao nhất thành phố môn Tin học."),
    ("ngoai-khoa-an-toan-giao-thong", "Ngoại khóa an toàn giao thông và phòng chống đuối nước",
     "Nhà trường phối hợp với Công an quận tổ chức buổi tuyên truyền về an toàn giao thông, phòng chống "
     "tai nạn thương tích và tệ nạn xã hội cho toàn thể học sinh."),
    ("chuyen-doi-so", "Triển khai sổ điểm điện tử và học bạ số từ học kỳ II",
     "Giáo viên chủ nhiệm hướng dẫn cha mẹ học sinh tra cứu kết quả học tập trên cổng thông tin của Sở "
     "Giáo dục và Đào tạo; tài khoản được gửi qua tin nhắn."),
    ("an-toan-thong-tin", "Tập huấn an toàn thông tin cho cán bộ, giáo viên",
     "Cán bộ phụ trách công nghệ thông tin hướng dẫn nhận diện thư điện tử lừa đảo, đặt mật khẩu mạnh và "
     "báo cáo sự cố về Sở Thông tin và Truyền thông."),
)
TIMETABLE = (("10A1", "Toán", "Ngữ văn", "Tiếng Anh"), ("10A2", "Vật lý", "Hóa học", "Toán"),
             ("11A1", "Tin học", "Toán", "Lịch sử"), ("12A1", "Ngữ văn", "Sinh học", "Toán"))
STYLE = """
  body { background: #fff; color: #222; font: 15px/1.5 Arial, sans-serif; margin: 0; }
  #banner { background: #1a4f8b; color: #fff; padding: 18px 24px; }
  .nav { background: #e8eef6; padding: 8px 24px; } .nav a { margin-right: 14px; color: #1a4f8b; }
  .main { padding: 12px 24px; } .lich td, .lich th { border: 1px solid #999; padding: 4px 8px; }
  .footer { border-top: 3px solid #1a4f8b; padding: 12px 24px; color: #444; font-size: 13px; }
"""
GAMBLING_LINKS = (
    ("https://nhacai-uytin.example/", "nhà cái uy tín"),
    ("https://nohu-doithuong.example/", "nổ hũ đổi thưởng"),
    ("https://taixiu-online.example/", "tài xỉu online"),
    ("https://cacuoc-bongda.example/soi-keo", "soi kèo bóng đá"),
    ("https://casino-truc-tuyen.example/", "casino trực tuyến"),
    ("https://game-bai-doi-thuong.example/", "game bài đổi thưởng"),
)


def _today():
    today = dt.date.today()
    return f"{WEEKDAYS[today.weekday()]}, {today:%d/%m/%Y}"


def _menu():
    items = [("/", "Trang chủ"), ("/gioi-thieu.html", "Giới thiệu"), ("/tin-tuc.html", "Tin tức"),
             ("/thoi-khoa-bieu.html", "Thời khóa biểu"), ("/lien-he.html", "Liên hệ")]
    return "".join(f'<a href="{href}">{label}</a>' for href, label in items)


def _gambling_block(*, hidden):
    links = " ".join(f'<a href="{href}">{text}</a>' for href, text in GAMBLING_LINKS)
    if hidden:
        return f'<div style="display:none">{links}</div>'
    return (f'<div class="partner"><h2>Top nhà cái uy tín 2026 — cá cược bóng đá, tài xỉu, nổ hũ</h2>'
            f'<p>Link vào nhà cái mới nhất, khuyến mãi nạp đầu, casino trực tuyến và game bài đổi thưởng.</p>'
            f"<p>{links}</p></div>")


def school_page(site, *, path="/", visits=0, extra=""):
    """A small Vietnamese school page (home, introduction, news or contact); ``extra`` goes before the footer."""
    name = html.escape(site.school)
    visits_text = f"{visits:,}".replace(",", ".")
    if path == "/gioi-thieu.html":
        title, body = "Giới thiệu", (
            f"<h2>Giới thiệu</h2><p>{name} được thành lập năm {site.founded}, là một trong những trường trung học "
            "có bề dày truyền thống của thành phố Hải Phòng. Nhà trường có 42 lớp với gần 1.800 học sinh và 110 "
            f"cán bộ, giáo viên, nhân viên.</p><p>Hiệu trưởng: {html.escape(site.principal)}.</p>")
    elif path == "/tin-tuc.html":
        title = "Tin tức - Hoạt động"
        body = "<h2>Tin tức - Hoạt động</h2>" + "".join(
            f'<h3><a href="/tin-tuc/{slug}.html">{head}</a></h3><p>{text}</p>' for slug, head, text in NEWS)
    elif path == "/lien-he.html":
        title, body = "Liên hệ", (
            "<h2>Liên hệ</h2><p>Địa chỉ: Hải Phòng. Điện thoại: 0225 3 000 000. "
            "Thư điện tử: c3@haiphong.edu.vn (minh họa).</p>")
    else:
        title = "Trang chủ"
        notices = "".join(f'<li><a href="/thong-bao/{slug}.html">{text}</a></li>' for slug, text in NOTICES)
        news = "".join(f'<h3><a href="/tin-tuc/{slug}.html">{head}</a></h3><p>{text}</p>'
                       for slug, head, text in NEWS[:3])
        rows = "".join(f"<tr><td>{c}</td><td>{a}</td><td>{b}</td><td>{d}</td></tr>" for c, a, b, d in TIMETABLE)
        body = (f"<h2>Thông báo</h2><ul class=\"thongbao\">{notices}</ul><h2>Tin tức - Hoạt động</h2>{news}"
                f"<h2>Thời khóa biểu tuần này</h2><table class=\"lich\"><tr><th>Lớp</th><th>Tiết 1</th>"
                f"<th>Tiết 2</th><th>Tiết 3</th></tr>{rows}</table>")
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{title} - {name}</title>
<style>{STYLE}</style>
</head>
<body>
<div id="banner"><h1>{name}</h1><p>Sở Giáo dục và Đào tạo thành phố Hải Phòng</p></div>
<div class="nav">{_menu()}</div>
<div class="main">
<p class="date">Hôm nay: {_today()}</p>
{body}
</div>
{extra}
<div class="footer">
<p>{name} — Sở Giáo dục và Đào tạo thành phố Hải Phòng. Trang minh họa của Lá Chắn (không phải trang thật).</p>
<p>Lượt truy cập: {visits_text}</p>
<script>document.querySelector('.date').title = 'Cập nhật hằng ngày';</script>
</div>
</body>
</html>
"""


DEFACEMENT_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Hacked by Gh0st Cyber Team</title></head>
<body style="background:#000;color:#0f0;text-align:center;font-family:monospace">
<marquee behavior="alternate"><h1>HACKED BY GH0ST CYBER TEAM</h1></marquee>
<img src="/skull.gif" alt="">
<p>Your security is low. Patch your system!</p>
<p>Greetz: Anonymous_VN - 0xShadow - Bl4ckR00t - all Indonesian and Vietnamese h4ck3rs</p>
<audio autoplay loop src="/theme.mp3"></audio>
</body>
</html>
"""

ROBOTS = "User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n"


def _sitemap(base):
    urls = "".join(f"<url><loc>{base}{path}</loc></url>"
                   for path in ("/", "/gioi-thieu.html", "/tin-tuc.html", "/lien-he.html"))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n')


def _is_search_visitor(request):
    if GOOGLEBOT_UA.lower() in request.headers.get("User-Agent", "").lower():
        return True
    referer = request.headers.get("Referer", "").lower()
    return any(engine in referer for engine in SEARCH_ENGINES)


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------

class SiteState:
    """What one site remembers: its visit counter and when its home page was first asked for."""

    def __init__(self, site, deface_after):
        self.site = site
        self.deface_after = deface_after
        self.visits = 1_204_000 + 317 * DEMO_SITES.index(site)
        self.first_request = None

    def defaced_now(self):
        now = time.monotonic()
        if self.first_request is None:
            self.first_request = now
        return now - self.first_request >= self.deface_after

    async def handle(self, request):
        site, path = self.site, request.path
        if site.key == "down":
            return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "3600"})
        if path == "/robots.txt":
            return web.Response(text=ROBOTS)
        if path == "/sitemap.xml":
            return web.Response(text=_sitemap(f"{request.scheme}://{request.host}"), content_type="application/xml")
        if path not in ("/", "/index.html", "/gioi-thieu.html", "/tin-tuc.html", "/lien-he.html"):
            return web.Response(status=404, text="Không tìm thấy trang / Not found")
        self.visits += 1
        if site.key == "defaced" and path in ("/", "/index.html") and self.defaced_now():
            return web.Response(text=DEFACEMENT_PAGE, content_type="text/html")
        extra = ""
        if site.key == "injected" and path in ("/", "/index.html", "/tin-tuc.html"):
            extra = _gambling_block(hidden=True)
        elif site.key == "cloaked" and _is_search_visitor(request):
            extra = _gambling_block(hidden=False)
        page = school_page(site, path=path, visits=self.visits, extra=extra)
        return web.Response(text=page, content_type="text/html")


STATE = web.AppKey("state", SiteState)


def make_app(site, *, deface_after=DEFACE_AFTER):
    state = SiteState(site, deface_after)
    app = web.Application()
    app[STATE] = state
    app.router.add_route("GET", "/{tail:.*}", state.handle)
    app.router.add_route("HEAD", "/{tail:.*}", state.handle)
    return app


class DemoSites:
    """The running demo servers: ``urls`` ({key: URL}), ``await close()``."""

    def __init__(self, runners, urls):
        self.runners = runners
        self.urls = urls

    async def close(self):
        for runner in self.runners:
            await runner.cleanup()


async def start_demo_sites(*, host=HOST, port=None, deface_after=DEFACE_AFTER):
    """Start every demo site in the running event loop on ``port``, ``port + 1`` … (``port=0``: any free
    ports, for tests). Returns ``DemoSites``."""
    port = base_port() if port is None else port
    runners, urls = [], {}
    try:
        for i, site in enumerate(DEMO_SITES):
            runner = web.AppRunner(make_app(site, deface_after=deface_after), access_log=None)
            await runner.setup()
            runners.append(runner)
            tcp = web.TCPSite(runner, host, port + i if port else 0)
            await tcp.start()
            bound = tcp._server.sockets[0].getsockname()[1]
            urls[site.key] = f"http://{host}:{bound}/"
    except BaseException:
        for runner in runners:
            await runner.cleanup()
        raise
    return DemoSites(runners, urls)


def serve_forever(*, host=HOST, port=None, deface_after=DEFACE_AFTER, announce=print):
    """Run the demo sites until SIGINT/SIGTERM (the ``lachan demo_sites`` command)."""

    async def main():
        sites = await start_demo_sites(host=host, port=port, deface_after=deface_after)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        for site in DEMO_SITES:
            announce(f"{site.key:<9} {sites.urls[site.key]}  {site.school}")
        try:
            await stop.wait()
        finally:
            await sites.close()

    asyncio.run(main())


# --------------------------------------------------------------------------------------------------
# Demo data: inventory websites and watched sites
# --------------------------------------------------------------------------------------------------

class DemoSitesError(ValueError):
    """The demo websites cannot be loaded (the demo units are missing)."""


def load_demo_sites(*, urls=None):
    """Create (if missing) an inventory ``Website`` and a ``WatchedSite`` for each demo site, in its unit
    of ``demo.yaml`` (load the demo first: ``lachan demo load``). Existing rows are left as they are,
    like everything the demo loads. Returns the loader's ``LoadResult`` (created/existing counts)."""
    from django.db import transaction

    from lachan.core.audit import acting_as
    from lachan.demo.loader import LoadResult, _Writer
    from lachan.inventory.models import Website
    from lachan.monitoring.models import WatchedSite
    from lachan.organizations.models import Unit

    urls = urls or site_urls()
    units = {u.code: u for u in Unit.objects.filter(code__in=[s.unit for s in DEMO_SITES])}
    if missing := [s.unit for s in DEMO_SITES if s.unit not in units]:
        raise DemoSitesError(f"demo unit(s) {', '.join(missing)} not found: run `lachan demo load` first")
    result = LoadResult()
    writer = _Writer(result)
    with transaction.atomic(), acting_as(None):
        for site in DEMO_SITES:
            website = writer.get_or_create(Website, {"url": urls[site.key]}, {
                "unit": units[site.unit], "name": f"Cổng thông tin {site.school} (minh họa)", "monitored": True,
                "description": "Trang minh họa chạy trên máy này (lachan demo_sites) / demo site on loopback",
            })
            writer.get_or_create(WatchedSite, {"website": website}, {
                "interval_seconds": INTERVAL_SECONDS, "deep_every": 1, "sitemap_sample": 1,
                "subpages": "\n".join(site.subpages),
            })
    return result
