"""Accuracy of the website monitor's page analysis on real pages written by others (issue 5).

    .venv/bin/python bench/monitor_corpus.py                  # corpus in ../corpus (or $LACHAN_CORPUS)
    .venv/bin/python bench/monitor_corpus.py /path/to/corpus  # another corpus
    .venv/bin/python bench/monitor_corpus.py --json           # the same figures as JSON

The corpus is kept OUTSIDE the repository (the pages are other people's work): a folder with
``clean/``, ``defaced/`` and ``injected/`` sub-folders, one HTML page per file, and a SOURCES.md naming
where each page comes from. Every page is judged on its own content, as the monitor judges a site it
has no baseline for: ``extract_features(bytes, url)`` then ``analyse(features, None)``.

The URL handed to the analysis is the one the page gives for itself (``<link rel=canonical>``, else
``og:url``), else ``https://corpus.invalid/<folder>/<file>``: links to the page's own site then count as
internal, as they would when the monitor fetches it.

Target (issue 5): at least 95 % of defaced and of injected pages flagged, at most 2 % of clean pages.
Works without Django configured and with ``DJANGO_SETTINGS_MODULE=lachan.settings`` (the analysis is pure).
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lachan.monitoring.analysis import analyse, extract_features  # noqa: E402

FOLDERS = ("clean", "defaced", "injected")
EXPECT_FLAGGED = {"clean": False, "defaced": True, "injected": True}
PAGE_SUFFIXES = (".html", ".htm", ".php", ".asp", ".aspx", ".jsp", ".shtml", ".xhtml")

# The rule, in one place: a page is FLAGGED when any finding has severity critical, high or medium and
# a kind other than these two (a page judged alone has no baseline to differ from, and these two only
# say that it differs from one).
FLAG_SEVERITIES = frozenset({"critical", "high", "medium"})
NOT_FLAGGING_KINDS = frozenset({"new_outbound_links", "title_changed"})


def flagging(findings):
    """The findings that make a page count as flagged (see the rule above)."""
    return [f for f in findings if f.severity in FLAG_SEVERITIES and f.kind not in NOT_FLAGGING_KINDS]


_SELF_URL = (
    re.compile(rb"""<link\b[^>]*\brel\s*=\s*["']?canonical["']?[^>]*\bhref\s*=\s*["']\s*(https?://[^"'\s>]+)""", re.I),
    re.compile(rb"""<link\b[^>]*\bhref\s*=\s*["']\s*(https?://[^"'\s>]+)["'][^>]*\brel\s*=\s*["']?canonical""", re.I),
    re.compile(rb"""<meta\b[^>]*\bproperty\s*=\s*["']og:url["'][^>]*\bcontent\s*=\s*["']\s*(https?://[^"'\s>]+)""", re.I),
    re.compile(rb"""<meta\b[^>]*\bcontent\s*=\s*["']\s*(https?://[^"'\s>]+)["'][^>]*\bproperty\s*=\s*["']og:url""", re.I),
)


def page_url(data, folder, name):
    """The URL the page gives for itself, else a placeholder under corpus.invalid."""
    head = data[:200_000]
    for pattern in _SELF_URL:
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii", "replace")
    return f"https://corpus.invalid/{folder}/{name}"


def default_corpus():
    return Path(os.environ.get("LACHAN_CORPUS") or REPO.parent / "corpus")


def pages(folder):
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(PAGE_SUFFIXES))


def judge(path, folder):
    data = path.read_bytes()
    url = page_url(data, folder, path.name)
    findings = analyse(extract_features(data, url), None)
    return {"file": path.name, "url": url, "bytes": len(data), "flagged": bool(flagging(findings)),
            "findings": [{"kind": f.kind, "severity": f.severity, "summary": f.summary} for f in findings]}


def run(corpus):
    report = {"corpus": str(corpus), "folders": {}}
    started = time.perf_counter()
    total = 0
    for folder in FOLDERS:
        directory = corpus / folder
        if not directory.is_dir():
            continue
        results = [judge(path, folder) for path in pages(directory)]
        total += len(results)
        flagged = sum(r["flagged"] for r in results)
        wrong = [r for r in results if r["flagged"] != EXPECT_FLAGGED[folder]]
        report["folders"][folder] = {
            "files": len(results), "flagged": flagged,
            "rate": round(flagged / len(results), 4) if results else None,
            "expected": "flagged" if EXPECT_FLAGGED[folder] else "not flagged",
            "misjudged": wrong,
        }
    elapsed = time.perf_counter() - started
    report["pages"] = total
    report["seconds"] = round(elapsed, 3)
    report["ms_per_page"] = round(1000 * elapsed / total, 2) if total else None
    return report


def print_report(report):
    print(f"corpus: {report['corpus']}")
    for folder, row in report["folders"].items():
        rate = "n/a" if row["rate"] is None else f"{100 * row['rate']:.1f}%"
        print(f"{folder:9s} files {row['files']:4d}  flagged {row['flagged']:4d}  rate {rate:>6s}  "
              f"(expected: {row['expected']}; misjudged {len(row['misjudged'])})")
    for folder, row in report["folders"].items():
        if not row["misjudged"]:
            continue
        print(f"\nmisjudged in {folder}/:")
        for result in row["misjudged"]:
            print(f"  {result['file']}  ({result['bytes']} bytes, url {result['url']})")
            if not result["findings"]:
                print("      (no findings)")
            for f in result["findings"]:
                print(f"      {f['kind']} [{f['severity']}] {f['summary']}")
    print(f"\n{report['pages']} pages in {report['seconds']:.2f} s, {report['ms_per_page']} ms/page")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=None,
                        help="folder with clean/, defaced/, injected/ (default $LACHAN_CORPUS or ../corpus)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not any((corpus / folder).is_dir() for folder in FOLDERS):
        parser.error(f"{corpus}: no clean/, defaced/ or injected/ folder")
    report = run(corpus)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
