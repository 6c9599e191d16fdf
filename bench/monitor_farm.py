#!/usr/bin/env python
"""A server farm for the website-monitor bench: one process, one aiohttp server, many virtual sites.

    .venv/bin/python bench/monitor_farm.py --sites 5000             # serves until SIGINT/SIGTERM

Site *i* (0-based) is ``http://127.1.<i // 250>.<i % 250 + 1>:<port>/``: every site has its own loopback
address (Linux routes all of 127.0.0.0/8 to ``lo``), so the monitor's per-host connection limits see 5,000
distinct hosts, as in real life. One listening socket per address, all in one event loop. URLs are IP
literals: the monitor's DNS lookups (A/AAAA/NS/MX) are not exercised by this farm.

Every response waits a random 0–``--max-delay`` s (default 2) first. Pages are Vietnamese public-site-like
HTML of 50–200 KB (menus, news lists, document tables, sidebars of links, footers, inline CSS and JS): a
pool of ``--pool`` bodies is generated once at start; a site always serves the same body for the same path
(its own page), with its own name and title and today's date. A share of the sites (``--dynamic``, 50 %,
chosen by a fixed seed) are *dynamic*, as many CMS portals are: their pages also carry a visit counter and
a random token that change on every request (the dynamic bits a baseline comparison must tolerate, and
bytes that are never the same twice); the others send the same bytes for the same page all day. Besides the home page: ``/robots.txt``,
``/sitemap.xml`` (10 URLs of the site) and any other path (a page of the pool). Some sites misbehave,
chosen by a fixed seed: ``--defaced`` (2 %) serve a "Hacked by" page, ``--injected`` (3 %) hide a block of
gambling links in the home page (``display:none``), ``--cloaked`` (1 %) show gambling links to Googlebot
and to search-engine referers only, ``--down`` (1 %) answer 503.

Prints one line ``READY <sites> <first URL> <last URL>`` when every socket listens, and at exit the
requests served and bytes sent. ``site_url(i)`` and ``site_kinds(…)`` are imported by the bench.
"""

import argparse
import asyncio
import datetime as dt
import random
import resource
import signal
import sys
import time
import zlib

from aiohttp import web

PER_OCTET = 250
KINDS = ("defaced", "injected", "cloaked", "down")


def site_address(i, net="127.1"):
    return f"{net}.{i // PER_OCTET}.{i % PER_OCTET + 1}"


def site_url(i, port, net="127.1"):
    return f"http://{site_address(i, net)}:{port}/"


def site_index(address, net="127.1"):
    _a, _b, c, d = (int(x) for x in address.split("."))
    return c * PER_OCTET + d - 1


def dynamic_sites(sites, share=0.5, seed=7):
    """The indices of the sites whose pages change on every request (the same for the same arguments)."""
    rnd = random.Random(seed * 31 + 1)
    return frozenset(rnd.sample(range(sites), round(sites * share)))


def site_kinds(sites, *, defaced=0.02, injected=0.03, cloaked=0.01, down=0.01, seed=7):
    """{site index: kind} for the misbehaving sites (the same for the same arguments)."""
    rnd = random.Random(seed)
    indices = list(range(sites))
    rnd.shuffle(indices)
    out, start = {}, 0
    for kind, share in zip(KINDS, (defaced, injected, cloaked, down), strict=True):
        count = round(sites * share)
        out.update(dict.fromkeys(indices[start:start + count], kind))
        start += count
    return out


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------

PLACES = ["Hòa Bình", "Hải Phòng", "Ninh Bình", "Đồng Nai", "Lào Cai", "Quảng Nam", "Cần Thơ", "Bắc Giang",
          "Thanh Hóa", "Nghệ An", "Đắk Lắk", "Kiên Giang", "Phú Thọ", "Thái Nguyên", "Bình Định", "Sơn La"]
BODIES = ["Sở Thông tin và Truyền thông", "Sở Giáo dục và Đào tạo", "Ủy ban nhân dân huyện", "Trường THPT",
          "Sở Y tế", "Bệnh viện Đa khoa", "Sở Tài nguyên và Môi trường", "Trường Đại học", "Ủy ban nhân dân xã",
          "Sở Kế hoạch và Đầu tư", "Trung tâm Y tế huyện", "Phòng Giáo dục và Đào tạo"]
SUBJECTS = ["chuyển đổi số", "cải cách hành chính", "an toàn thông tin mạng", "dịch vụ công trực tuyến",
            "phòng chống thiên tai", "xây dựng nông thôn mới", "tuyển sinh năm học mới", "bảo hiểm y tế",
            "phòng cháy chữa cháy", "quản lý đất đai", "thu hút đầu tư", "chăm sóc sức khỏe ban đầu",
            "phổ biến giáo dục pháp luật", "kinh tế tập thể", "du lịch cộng đồng", "hạ tầng giao thông"]
ACTIONS = ["Hội nghị triển khai", "Kế hoạch thực hiện", "Thông báo kết quả", "Hướng dẫn", "Báo cáo sơ kết",
           "Tập huấn", "Kiểm tra việc thực hiện", "Tổng kết công tác", "Quyết định phê duyệt", "Lấy ý kiến về"]
SENTENCES = [
    "Hội nghị đã đánh giá kết quả đạt được trong năm qua và đề ra nhiệm vụ trọng tâm cho thời gian tới.",
    "Các cơ quan, đơn vị cần chủ động rà soát, bổ sung kế hoạch và báo cáo kết quả trước ngày 15 hằng tháng.",
    "Lãnh đạo đề nghị tiếp tục đẩy mạnh ứng dụng công nghệ thông tin trong giải quyết thủ tục hành chính.",
    "Người dân có thể tra cứu hồ sơ, nộp phí và nhận kết quả trực tuyến trên Cổng dịch vụ công quốc gia.",
    "Đoàn kiểm tra ghi nhận nhiều cách làm hay, đồng thời chỉ ra một số tồn tại cần khắc phục kịp thời.",
    "Văn bản được gửi tới các phòng, ban chuyên môn và Ủy ban nhân dân các xã, phường, thị trấn để thực hiện.",
    "Trong quý, toàn tỉnh đã tiếp nhận hơn mười nghìn hồ sơ, tỷ lệ giải quyết đúng hạn đạt trên 98 phần trăm.",
    "Chương trình nhận được sự quan tâm của đông đảo cán bộ, công chức, viên chức và người lao động.",
]
GOV_LINKS = ["https://chinhphu.vn/", "https://dichvucong.gov.vn/", "https://baochinhphu.vn/", "https://moet.gov.vn/",
             "https://mic.gov.vn/", "https://moh.gov.vn/", "https://vbpl.vn/", "https://congbao.chinhphu.vn/"]
GAMBLING = [("https://nhacai-uytin.example/", "nhà cái uy tín"), ("https://nohu-doithuong.example/", "nổ hũ"),
            ("https://taixiu-online.example/", "tài xỉu online"), ("https://cacuoc-bongda.example/", "cá cược"),
            ("https://casino-vn.example/", "casino trực tuyến"), ("https://gamebai.example/", "game bài đổi thưởng")]
DEFACED = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Hacked by Sh4d0w Team</title></head>"
           b"<body style=\"background:#000;color:red;text-align:center\"><marquee><h1>HACKED BY SH4D0W TEAM</h1>"
           b"</marquee><img src=\"/x.gif\"><p>Your security is low. Greetz: 0xGhost - Bl4ck - all VN h4ck3rs</p>"
           b"<audio autoplay loop src=\"/song.mp3\"></audio></body></html>")


def _news(rnd, n):
    items = []
    for _ in range(n):
        title = f"{rnd.choice(ACTIONS)} {rnd.choice(SUBJECTS)} tại {rnd.choice(PLACES)}"
        slug = f"tin-{rnd.randrange(10**6)}"
        text = " ".join(rnd.sample(SENTENCES, 3))
        items.append(f'<li class="news-item"><a href="/tin-tuc/{slug}.html"><img src="/uploads/{slug}.jpg" '
                     f'alt="" width="120"></a><div class="news-body"><h3><a href="/tin-tuc/{slug}.html">{title}</a>'
                     f'</h3><span class="date">{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2026</span>'
                     f"<p>{text}</p></div></li>")
    return '<ul class="news-list">' + "".join(items) + "</ul>"


def _documents(rnd, n):
    rows = []
    for k in range(n):
        number = f"{rnd.randint(1, 3000)}/{rnd.choice(['QĐ-UBND', 'KH-STTTT', 'CV-SGDĐT', 'TB-UBND'])}"
        rows.append(f'<tr class="{"odd" if k % 2 else "even"}"><td>{k + 1}</td><td><a href="/van-ban/{k}.pdf">'
                    f"{number}</a></td><td>{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2026</td><td>"
                    f"{rnd.choice(ACTIONS)} {rnd.choice(SUBJECTS)}</td></tr>")
    return ('<table class="van-ban"><thead><tr><th>STT</th><th>Số hiệu</th><th>Ngày ban hành</th><th>Trích yếu'
            "</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _menu(rnd):
    tops = ["Giới thiệu", "Tin tức - Sự kiện", "Văn bản", "Thủ tục hành chính", "Dịch vụ công", "Hỏi đáp", "Liên hệ"]
    out = []
    for k, top in enumerate(tops):
        subs = "".join(f'<li><a href="/muc-{k}/trang-{j}.html">{rnd.choice(SUBJECTS).capitalize()}</a></li>'
                       for j in range(rnd.randint(3, 8)))
        out.append(f'<li class="menu-item"><a href="/muc-{k}.html">{top}</a><ul class="sub-menu">{subs}</ul></li>')
    return '<ul id="main-menu">' + "".join(out) + "</ul>"


def _css(rnd, n):
    return "\n".join(f".m{k} .item-{k} > a, #box-{k} li {{ color: #{rnd.randrange(0x1000000):06x}; "
                     f"margin: {k % 9}px {k % 7}px; font-size: {12 + k % 5}px }}" for k in range(n))


def _js(rnd):
    return ("(function(){var slides=document.querySelectorAll('.slide'),i=0;setInterval(function(){"
            "slides.forEach(function(s,k){s.style.display=k===i?'block':'none'});i=(i+1)%slides.length},5000);"
            f"window.siteStats={{visits:{rnd.randrange(10**7)},online:{rnd.randrange(500)}}};}})();")


def make_body(rnd, size):
    """The part of a page between the site's own header and footer, about ``size`` bytes of UTF-8."""
    parts = [f"<style>{_css(rnd, 150)}</style>", _menu(rnd),
             '<div class="slider">' + "".join(f'<div class="slide"><img src="/banner/{k}.jpg" alt=""></div>'
                                              for k in range(4)) + "</div>",
             '<div id="sidebar"><h2>Liên kết</h2><ul>' + "".join(f'<li><a href="{u}">{u[8:-1]}</a></li>'
                                                                 for u in GOV_LINKS) + "</ul></div>"]
    total = sum(len(p.encode()) for p in parts)
    while total < size:
        block = (f"<h2>{rnd.choice(['Tin nổi bật', 'Hoạt động', 'Thông báo', 'Văn bản mới'])}</h2>"
                 + (_news(rnd, rnd.randint(4, 10)) if rnd.random() < 0.6 else _documents(rnd, rnd.randint(8, 20))))
        parts.append(block)
        total += len(block.encode())
    parts.append(f"<script>{_js(rnd)}</script>")
    return "\n".join(parts).encode()


class Farm:
    def __init__(self, sites, *, pool, max_delay, kinds, net, seed=11, dynamic=frozenset()):
        rnd = random.Random(seed)
        self.sites, self.max_delay, self.kinds, self.net = sites, max_delay, kinds, net
        self.dynamic = dynamic
        self.tokens = random.Random(seed + 2)
        self.bodies = [make_body(rnd, rnd.randint(50_000, 195_000)) for _ in range(pool)]
        self.delay = random.Random(seed + 1)
        self.requests = 0
        self.bytes = 0
        self.visits = [0] * sites
        gambling = " ".join(f'<a href="{h}">{t}</a>' for h, t in GAMBLING)
        self.hidden_gambling = f'<div style="display:none">{gambling}</div>'.encode()
        self.visible_gambling = f'<div class="lk"><h2>Nhà cái uy tín</h2>{gambling}</div>'.encode()

    def page(self, i, path, *, spam=b""):
        self.visits[i] += 1
        name = f"{BODIES[i % len(BODIES)]} {PLACES[(i // len(BODIES)) % len(PLACES)]} (site {i})"
        head = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{name}</title></head><body>'
                f'<div id="header"><h1>{name}</h1><p>Hôm nay: {dt.date.today():%d/%m/%Y}</p></div>').encode()
        counter = ""
        if i in self.dynamic:
            counter = (f'<p>Lượt truy cập: {1000 + self.visits[i]}</p><input type="hidden" name="_token" '
                       f'value="{self.tokens.getrandbits(64):016x}">')
        foot = (f'<div id="footer"><p>Bản quyền © {name}. Địa chỉ: số {i % 300 + 1} đường Trần Hưng Đạo.</p>'
                f"{counter}</div></body></html>").encode()
        body = self.bodies[(i * 7 + zlib.crc32(path.encode())) % len(self.bodies)]  # the same in every run
        return b"".join((head, body, spam, foot))

    async def handle(self, request):
        host = request.host.rsplit(":", 1)[0]
        try:
            i = site_index(host, self.net)
        except ValueError:
            i = -1
        if not 0 <= i < self.sites:
            return web.Response(status=404, text="no such site")
        await asyncio.sleep(self.delay.uniform(0, self.max_delay))
        kind, path = self.kinds.get(i), request.path
        if kind == "down":
            body, status, ctype = b"Service Unavailable", 503, "text/plain"
        elif path == "/robots.txt":
            body, status, ctype = b"User-agent: *\nAllow: /\n", 200, "text/plain"
        elif path == "/sitemap.xml":
            base = f"http://{request.host}"
            urls = "".join(f"<url><loc>{base}/tin-tuc/bai-{k}.html</loc></url>" for k in range(10))
            body = (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9">{urls}</urlset>').encode()
            status, ctype = 200, "application/xml"
        elif kind == "defaced" and path == "/":
            body, status, ctype = DEFACED, 200, "text/html"
        else:
            spam = b""
            if kind == "injected" and path == "/":
                spam = self.hidden_gambling
            elif kind == "cloaked" and ("googlebot" in request.headers.get("User-Agent", "").lower()
                                        or "google." in request.headers.get("Referer", "")):
                spam = self.visible_gambling
            body, status, ctype = self.page(i, path, spam=spam), 200, "text/html"
        self.requests += 1
        self.bytes += len(body)
        return web.Response(body=body, status=status, content_type=ctype, charset="utf-8")


async def serve(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.perf_counter()
    kinds = site_kinds(args.sites, seed=args.seed)
    dynamic = dynamic_sites(args.sites, args.dynamic, seed=args.seed)
    farm = Farm(args.sites, pool=args.pool, max_delay=args.max_delay, kinds=kinds, net=args.net, dynamic=dynamic)
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", farm.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    loop = asyncio.get_running_loop()
    hosts = [site_address(i, args.net) for i in range(args.sites)]
    server = await loop.create_server(runner.server, host=hosts, port=args.port, backlog=512, reuse_address=True)
    sizes = sorted(len(b) for b in farm.bodies)
    print(f"farm: {args.sites} sites on {hosts[0]} … {hosts[-1]} port {args.port}, {len(farm.bodies)} page bodies "
          f"{sizes[0] // 1024}-{sizes[-1] // 1024} KB (median {sizes[len(sizes) // 2] // 1024} KB), delay 0-"
          f"{args.max_delay} s, dynamic (new bytes on every request) {len(dynamic)}, misbehaving: " + ", ".join(f"{k} {sum(v == k for v in kinds.values())}" for k in KINDS)
          + f"; ready in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"READY {args.sites} {site_url(0, args.port, args.net)} {site_url(args.sites - 1, args.port, args.net)}",
          flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await runner.cleanup()
    print(f"farm: served {farm.requests:,} requests, {farm.bytes / 1e9:.2f} GB", flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--net", default="127.1", help="first two octets of the sites' loopback addresses")
    parser.add_argument("--pool", type=int, default=120, help="distinct page bodies generated at start")
    parser.add_argument("--max-delay", type=float, default=2.0, help="seconds; each response waits 0..this")
    parser.add_argument("--seed", type=int, default=7, help="which sites misbehave, which are dynamic")
    parser.add_argument("--dynamic", type=float, default=0.5,
                        help="share of the sites whose pages change on every request (visit counter, token)")
    args = parser.parse_args(argv)
    if not 1 <= args.sites <= 250 * 256:
        parser.error("--sites: 1 to 64,000")
    return args


if __name__ == "__main__":
    try:
        asyncio.run(serve(parse_args()))
    except KeyboardInterrupt:
        sys.exit(130)
