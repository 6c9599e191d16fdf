"""Speed of the website monitor's page analysis (lachan.monitoring.analysis): ms per page, pages per second.

    .venv/bin/python bench/page_analysis.py                       # 3 × 100 pages, and one 343 KB page
    .venv/bin/python bench/page_analysis.py --pages 30 --repeat 1
    .venv/bin/python bench/page_analysis.py --against 40b9b6a     # the same pages through another commit's
                                                                  # analysis package, in the same run

Pages are built from the test fixture lachan/monitoring/tests/pages/so_portal.html (a Sở portal home page):
its news list and document table repeated until the page weighs what its class asks — small ~50 KB, medium
~100 KB, heavy ~200 KB — with a <style> block of 200 rules and each page on its own site (its own host
name, so its links are its own, as with 5,000 monitored sites: nothing learnt on one page's links helps the
next); one in ten injected (30 hidden gambling links), one in twenty defaced. Timed per page:
extract_features() + analyse() against the baseline (the clean portal's features), as the monitor calls
them; also lxml parsing alone of the same bytes (the floor any analysis pays). CPU time of this process
(time.process_time), each page the best of --repeat runs; median and 95th percentile per class.

Budget (issue 5): 100 checks/s on 2 cores with the fetch → ≤ 12 ms per 100 KB page on one core.
Figures on the 2-core machine, shared with other runs (23/11/2026), 100 pages per class, --against 40b9b6a
(the package before this round of work), lxml parsing alone 1.2 ms a page:
  before (40b9b6a):  small 22.8 / medium 40.6 / heavy 78.1 ms median (≈ 35 ms per 100 KB), 21.3 pages/s
  after:             small  8.4 / medium 15.5 / heavy 29.3 ms median (≈ 13 ms per 100 KB), 58.4 pages/s
  (the one 343 KB page with 1,176 links: 48.8 ms; 45/45 injected/defaced pages flagged, no clean one)
"""

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import lxml.html  # noqa: E402

from lachan.monitoring import analysis  # noqa: E402

PAGES = REPO / "lachan" / "monitoring" / "tests" / "pages"
HOST = "stttt.hoabinh.gov.vn"
URL = f"https://{HOST}/"
CLASSES = (("small", 50_000), ("medium", 100_000), ("heavy", 200_000))


def build_page(base, size, rnd, *, injected=False, defaced=False, site=None):
    """A portal page of about ``size`` bytes (on ``site`` instead of the portal's host when given)."""
    if defaced:
        return (PAGES / "defaced_hacked_by.html").read_text(encoding="utf-8")
    start = base.index('<ul class="news-list">')
    end = base.index("</table>", start) + len("</table>")
    block = base[start:end]
    parts = []
    total = len(base)
    day = 0
    while total < size:
        day += 1
        chunk = block.replace("2024", str(2000 + rnd.randint(0, 23))).replace(
            "7420", str(rnd.randint(1000, 99999))).replace("(11/01", f"({day % 28 + 1:02d}/01")
        chunk += f"<p>Bài viết số {rnd.randint(1, 10**6)} về chuyển đổi số, cải cách hành chính và an toàn " \
                 f"thông tin tại xã {rnd.randint(1, 200)}.</p>"
        parts.append(chunk)
        total += len(chunk)
    css = "\n".join(f".c{i} .item-{i} > a {{ color: #{rnd.randint(0, 0xFFFFFF):06x}; margin: {i}px }}"
                    for i in range(200))
    html = base[:end] + "".join(parts) + base[end:]
    html = html.replace("</style>", css + "\n</style>")
    html = html.replace("1.234.567", f"{rnd.randint(10**6, 10**7):,}".replace(",", "."))
    if injected:
        spam = "".join(f'<a href="https://nhacai{i}.bet/">nhà cái uy tín {i}</a> ' for i in range(30))
        html = html.replace('<div class="footer">', f'<div style="display:none">{spam}</div><div class="footer">')
    if site:
        html = html.replace(HOST, site).replace("/tin-tuc/", f"/{site.split('.')[0]}/tin-tuc/")
    return html


def load_analysis(commit):
    """The lachan.monitoring.analysis package as it was at ``commit``, imported under another name."""
    folder = Path(tempfile.mkdtemp(prefix="analysis-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "lachan/monitoring/analysis"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    package = folder / "lachan" / "monitoring" / "analysis"
    name = f"analysis_{commit}"
    spec = importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def best(runs, fn):
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def measure(label, module, pages, repeat):
    """Per-class median/p95 ms and overall pages/s of extract_features + analyse; the flagged pages."""
    baseline = module.extract_features((PAGES / "so_portal.html").read_bytes(), URL)
    module.analyse(module.extract_features(pages[0][2], pages[0][1]), baseline)  # tables built on first use
    per_class, flagged, total = {}, set(), 0.0
    for i, (cls, url, data, _) in enumerate(pages):
        seconds = best(repeat, lambda data=data, url=url: module.analyse(module.extract_features(data, url), baseline))
        per_class.setdefault(cls, []).append(seconds * 1000)
        total += seconds
        findings = module.analyse(module.extract_features(data, url), baseline)
        if any(f.kind != "title_changed" for f in findings):
            flagged.add(i)
    print(f"\n{label}:")
    for cls, _ in CLASSES:
        ms = per_class[cls]
        sizes = [len(d) for c, _, d, _ in pages if c == cls]
        print(f"  {cls:6s} ({statistics.mean(sizes) / 1024:4.0f} KB)  median {statistics.median(ms):6.1f} ms"
              f"   p95 {p95(ms):6.1f} ms   ({statistics.median(ms) / (statistics.mean(sizes) / 102_400):5.1f} "
              f"ms per 100 KB)")
    print(f"  {len(pages) / total:6.1f} pages/s on one core ({sum(map(len, (d for _, _, d, _ in pages))) / total / 2**20:.1f} MB/s)")
    return flagged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="pages per size class")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per page, the best kept (past 1, caches of links and style sheets help)")
    parser.add_argument("--against", metavar="COMMIT", help="also time this commit's analysis package")
    args = parser.parse_args()
    rnd = random.Random(5)
    base = (PAGES / "so_portal.html").read_text(encoding="utf-8")

    pages = []  # (class, url, bytes, expected to be flagged)
    n = 0
    for cls, size in CLASSES:
        for _ in range(args.pages):
            injected, defaced = n % 10 == 3, n % 20 == 7
            site = f"site{n}.hoabinh.gov.vn" if not defaced else None
            html = build_page(base, rnd.randint(int(size * 0.9), int(size * 1.1)), rnd, injected=injected,
                              defaced=defaced, site=site)
            pages.append((cls, f"https://{site or HOST}/", html.encode("utf-8"), injected or defaced))
            n += 1
    expected = {i for i, page in enumerate(pages) if page[3]}

    big = build_page(base, 300_000, rnd, injected=True).encode("utf-8")
    baseline = analysis.extract_features(base.encode(), URL)
    # the tables built on first use (diacritics, separators: ~50 ms once a process) are not a page's cost
    analysis.analyse(analysis.extract_features(build_page(base, 60_000, rnd).encode(), URL), baseline)
    print(f"one page of {len(big) / 1024:.0f} KB ({len(analysis.extract_features(big, URL).links)} links):")
    print(f"  lxml parse only            {best(args.repeat, lambda: lxml.html.document_fromstring(big)) * 1000:8.1f} ms")
    full = best(args.repeat, lambda: analysis.analyse(analysis.extract_features(big, URL), baseline))
    print(f"  extract_features + analyse {full * 1000:8.1f} ms   findings: "
          + ", ".join(f"{f.kind}/{f.severity}" for f in analysis.analyse(analysis.extract_features(big, URL), baseline)))

    parse = sum(best(args.repeat, lambda data=data: lxml.html.document_fromstring(data)) for _, _, data, _ in pages)
    print(f"\n{len(pages)} pages ({args.pages} per class), lxml parse only: {parse / len(pages) * 1000:.1f} ms/page")
    runs = [("this checkout", analysis)]
    if args.against:
        runs.insert(0, (f"commit {args.against}", load_analysis(args.against)))
    for label, module in runs:
        flagged = measure(label, module, pages, args.repeat)
        print(f"  {len(flagged)} flagged (expected {len(expected)}; {len(flagged - expected)} clean pages flagged, "
              f"{len(expected - flagged)} injected/defaced pages missed)")


if __name__ == "__main__":
    main()
