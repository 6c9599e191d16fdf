"""Speed of the website monitor's page analysis (lachan.monitoring.analysis), pages per second.

    .venv/bin/python bench/page_analysis.py                 # a 300 KB page, and 1,000 pages
    .venv/bin/python bench/page_analysis.py --pages 200 --repeat 1

Pages are built from the test fixture lachan/monitoring/tests/pages/so_portal.html (a Sở portal home page):
the big page repeats its news list and document table until it weighs ~300 KB, with a <style> block of
200 rules and hidden gambling links in the footer; the 1,000 pages are 50-200 KB variants (each with its
own news items, dates and counters; one in ten injected, one in twenty defaced). Timed: extract_features()
alone, and extract_features() + analyse() against the baseline (the clean portal's features), as the
monitor calls them. Also, for scale, lxml.html parsing alone of the same bytes (the floor any analysis pays).
CPU seconds of this process (time.process_time); the best of --repeat runs.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lxml.html  # noqa: E402

from lachan.monitoring.analysis import analyse, extract_features  # noqa: E402

PAGES = Path(__file__).resolve().parents[1] / "lachan" / "monitoring" / "tests" / "pages"
URL = "https://stttt.hoabinh.gov.vn/"


def build_page(base, size, rnd, *, injected=False, defaced=False):
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
    return html


def best(runs, fn):
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rnd = random.Random(5)
    base = (PAGES / "so_portal.html").read_text(encoding="utf-8")
    baseline = extract_features(base.encode(), URL)

    big = build_page(base, 300_000, rnd, injected=True).encode("utf-8")
    parse_s = best(args.repeat, lambda: lxml.html.document_fromstring(big))
    extract_s = best(args.repeat, lambda: extract_features(big, URL))
    full_s = best(args.repeat, lambda: analyse(extract_features(big, URL), baseline))
    findings = analyse(extract_features(big, URL), baseline)
    print(f"one page of {len(big) / 1024:.0f} KB ({len(extract_features(big, URL).links)} links):")
    print(f"  lxml parse only            {parse_s * 1000:8.1f} ms")
    print(f"  extract_features           {extract_s * 1000:8.1f} ms")
    print(f"  extract_features + analyse {full_s * 1000:8.1f} ms   findings: "
          + ", ".join(f"{f.kind}/{f.severity}" for f in findings))

    pages = []
    for i in range(args.pages):
        size = rnd.randint(50_000, 200_000)
        pages.append(build_page(base, size, rnd, injected=i % 10 == 3, defaced=i % 20 == 7).encode("utf-8"))
    volume = sum(map(len, pages))

    expected = {i for i in range(len(pages)) if i % 10 == 3 or i % 20 == 7}

    def run_all():
        flagged = set()
        for i, data in enumerate(pages):
            if analyse(extract_features(data, URL), baseline):
                flagged.add(i)
        run_all.flagged = flagged

    parse_all = best(args.repeat, lambda: [lxml.html.document_fromstring(p) for p in pages])
    total = best(args.repeat, run_all)
    print(f"\n{len(pages):,} pages, {volume / 2**20:.0f} MB (50-200 KB each), {len(run_all.flagged)} flagged "
          f"(expected {len(expected)}; {len(run_all.flagged - expected)} clean pages flagged, "
          f"{len(expected - run_all.flagged)} injected/defaced pages missed):")
    print(f"  lxml parse only            {len(pages) / parse_all:8.1f} pages/s  {parse_all / len(pages) * 1000:6.1f} ms/page")
    print(f"  extract_features + analyse {len(pages) / total:8.1f} pages/s  {total / len(pages) * 1000:6.1f} ms/page"
          f"  ({volume / total / 2**20:.1f} MB/s, one core)")


if __name__ == "__main__":
    main()
