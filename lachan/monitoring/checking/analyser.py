"""Where and how the pages of a check are analysed: ``PageAnalyser``.

The analysis of a page (``extract_features`` + ``analyse``, and the cloaking comparison) is pure CPU work.
``check_site`` hands it to an analyser:

* ``PageAnalyser()`` (the default, ``lachan monitor check``) runs it right there, on the event loop;
* ``PageAnalyser(executor=pool, slots=N)`` (the monitor engine) runs it in a thread pool, at most ``N``
  pages at once, so the event loop stays free to read sockets and keep its timers honest. A check's
  ``clock`` (optional, with ``pause()`` and ``resume()``) is paused while the check waits for a slot and is
  analysed: the engine's check timeout measures the network, not our own CPU.

**Reuse.** When the raw bytes of a page (with its final URL and charset) are identical to those analysed at
the previous check of that URL, and that URL's baseline is the same, the previous analysis is reused instead
of parsing the page again: identical input against the same baseline gives the same findings. That is decided
before any analysis slot is waited for, and a page that came back with the same bytes before (``hits``,
``likely_reused``) need not have its baseline loaded: the engine loads it only when the bytes changed. What a check
remembers of each analysed URL is a small record (``PageRecord.to_json``: body digest, baseline key, content
hash, findings as dicts), stored by the engine with the site; ``ANALYSIS_VERSION`` (a digest of the analysis
package's source) is part of the digest, so a new version of the analysis never reuses an old result.

**Reuse across volatile bits.** Many portals send new bytes on every request (a visit counter, the time, a
CSRF token in a form): their *stable digest* (``stable_digest``: the bytes without digits, form values,
nonces and URL session ids — ``stable.py`` says what is removed and why it hides no attack) is the same
while nothing a visitor sees changed. A page whose stable digest is that of its previous analysis, against
the same baseline, reuses it too — at most ``STABLE_RUNS_MAX`` checks in a row, after which it is parsed
again all the same; the three answers of the cloaking probes are compared by it as well.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path

from lachan.monitoring import analysis
from lachan.monitoring.analysis.extract import host_of
from lachan.monitoring.analysis.similarity import VOLATILE

from .stable import ipv4_hosts, stable_bytes

STABLE_RUNS_MAX = 10  # checks in a row a page may reuse its analysis on the stable digest alone


def _analysis_version() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(analysis.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


ANALYSIS_VERSION = _analysis_version()


def body_digest(body: bytes, final_url: str, charset: str | None) -> str:
    """BLAKE2b-128 of what the analysis of a page depends on besides its baseline."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{ANALYSIS_VERSION}\n{final_url}\n{charset or ''}\n".encode("utf-8", "surrogatepass"))
    digest.update(body)
    return digest.hexdigest()


def stable_digest(body: bytes, final_url: str, charset: str | None) -> str:
    """BLAKE2b-128 of the page without what changes on every request (``stable.stable_bytes``), its
    raw-IP addresses, final URL, charset and the analysis version."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{ANALYSIS_VERSION}\n{final_url}\n{charset or ''}\n".encode("utf-8", "surrogatepass"))
    digest.update(ipv4_hosts(body) + b"\n")
    digest.update(stable_bytes(body))
    return digest.hexdigest()


def _href(item):
    return item.href if hasattr(item, "href") else (item.get("href", "") if isinstance(item, dict) else str(item))


def _text(item):
    return item.text if hasattr(item, "text") else (item.get("text", "") if isinstance(item, dict) else "")


# The content hash works on the UTF-8 bytes (C-speed ``bytes.translate``/``split``): digits deleted, ASCII
# punctuation made blanks, then the words that change on every visit of an unchanged page left out.
_DIGITS = b"0123456789"
_PUNCTUATION_TO_BLANK = bytes.maketrans(string.punctuation.encode(), b" " * len(string.punctuation))
_VOLATILE = frozenset(v.encode() for w in VOLATILE for v in (w, w.upper(), w.capitalize()))
# Vietnamese weekdays ("Thứ Hai" … "Chủ nhật"), written from the second letter so that each pattern starts
# with a literal the regex engine searches fast (and only run when that literal is there): the "t"/"c" left
# is the same every day.
_WEEKDAYS = [(literal, re.compile(pattern.encode())) for literal, pattern in (
    ("hứ", r"hứ\s+(?:hai|ba|tư|năm|sáu|bảy|Hai|Ba|Tư|Năm|Sáu|Bảy)(?=\s|\Z)"),
    ("hủ", r"hủ\s+(?:nhật|Nhật)(?=\s|\Z)"),
    ("HỨ", r"HỨ\s+(?:HAI|BA|TƯ|NĂM|SÁU|BẢY)(?=\s|\Z)"),
    ("HỦ", r"HỦ\s+NHẬT(?=\s|\Z)"),
)]
_WEEKDAYS = [(literal.encode(), regex) for literal, regex in _WEEKDAYS]


def stable_words(text: str) -> bytes:
    """The words of ``text`` that stay the same from one visit of an unchanged page to the next, as UTF-8
    joined by blanks: digits deleted (dates, times, counters), ASCII punctuation a blank, Vietnamese weekdays
    and the words of ``similarity.VOLATILE`` (weekday, month and time-unit names, AM/PM, SA/CH; lower case,
    upper case or capitalised) left out. Case is kept (a word put in capitals is a change)."""
    data = text.encode("utf-8", "surrogatepass").translate(_PUNCTUATION_TO_BLANK, _DIGITS)
    for literal, regex in _WEEKDAYS:
        if literal in data:
            data = regex.sub(b" ", data)
    return b" ".join([w for w in data.split() if w not in _VOLATILE])


def content_hash(features) -> str:
    """BLAKE2b-256 (hex) of what a visitor or a search engine gets: the stable words (``stable_words``) of
    the title, the visible text and the hidden blocks' text, then the link, script and frame addresses,
    sorted. A page that only shows today's date or a visit counter keeps its hash; an injected hidden link
    or a changed sentence does not."""
    text = "\n".join([features.title, features.text, *(_text(b) for b in features.hidden_blocks)])
    addresses = sorted({_href(x) for x in (*features.links, *features.iframes)} | set(features.scripts))
    digest = hashlib.blake2b(stable_words(text), digest_size=32)
    digest.update(b"\n" + "\n".join(addresses).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass
class PageRecord:
    """The analysis of one page: its findings (``analysis.Finding``), the page's host, the content hash
    and the body digest, stable digest and baseline key it was made from. ``features`` is set when the
    page was parsed in this check (None when the record was reused)."""

    digest: str
    baseline_key: str
    content_hash: str
    host: str
    findings: list
    features: object = None
    reused: bool = False
    hits: int = 0  # checks in a row that found the page again: the same bytes, or the same but for volatile bits
    stable: str = ""  # stable digest of the bytes analysed ("" in records of an older shape)
    runs: int = 0  # checks in a row that reused the record on the stable digest alone

    def to_json(self) -> dict:
        return {"digest": self.digest, "baseline": self.baseline_key, "hash": self.content_hash,
                "host": self.host, "findings": [f.to_dict() for f in self.findings], "hits": self.hits,
                "stable": self.stable, "runs": self.runs}

    @classmethod
    def from_json(cls, data: dict) -> PageRecord:
        return cls(digest=data["digest"], baseline_key=str(data.get("baseline", "")), content_hash=data["hash"],
                   host=data.get("host", ""), findings=[analysis.Finding.from_dict(f) for f in data["findings"]],
                   reused=True, hits=int(data.get("hits", 0)), stable=str(data.get("stable", "")),
                   runs=int(data.get("runs", 0)))


def likely_reused(data, baseline_key) -> bool:
    """Whether the page of this stored record (JSON) will most likely reuse it: it was made against that
    baseline and the page already came back with the same bytes (``hits``). The engine loads such a page's
    baseline only if its bytes turn out to have changed."""
    return (isinstance(data, dict) and str(data.get("baseline", "")) == str(baseline_key or "")
            and isinstance(data.get("hits"), int) and data["hits"] > 0)


def _record(previous):
    if previous is None:
        return None
    try:
        return previous if isinstance(previous, PageRecord) else PageRecord.from_json(previous)
    except (KeyError, TypeError, ValueError):
        return None  # a record of an older shape: analyse afresh


def reusable(previous, digest, baseline_key="", stable=""):
    """``previous`` (a ``PageRecord`` or its JSON) as the record of a page whose body digest is ``digest``
    and stable digest ``stable``, when it was made against the same baseline from the same bytes, or from
    bytes with the same stable digest and fewer than ``STABLE_RUNS_MAX`` such reuses in a row; else None."""
    record = _record(previous)
    if record is None or record.baseline_key != str(baseline_key or ""):
        return None
    if record.digest != digest:
        if not stable or record.stable != stable or record.runs >= STABLE_RUNS_MAX:
            return None
        record.runs += 1
    record.reused = True
    record.hits += 1
    return record


def analyse_page(body, final_url, charset, baseline, baseline_key="", previous=None, digest=None,
                 stable=None) -> PageRecord:
    """The record of a page: ``previous`` (a ``PageRecord`` or its JSON) when it can be reused
    (``reusable``), else a fresh analysis (``extract_features`` + ``analyse`` against ``baseline``).
    ``digest``, ``stable``: the body's digests if already computed."""
    digest = digest or body_digest(body, final_url, charset)
    stable = stable or stable_digest(body, final_url, charset)
    record = reusable(previous, digest, baseline_key, stable)
    if record is not None:
        return record
    features = analysis.extract_features(body, final_url, encoding=charset)
    found = analysis.analyse(features, baseline)
    # a page analysed again only because it reused its record too often came back the same all the same
    before = _record(previous)
    same = before is not None and before.stable == stable and before.baseline_key == str(baseline_key or "")
    return PageRecord(digest=digest, baseline_key=str(baseline_key or ""), content_hash=content_hash(features),
                      host=features.host or host_of(final_url), findings=found, features=features,
                      hits=1 if same else 0, stable=stable)


def same_answers(*answers, stable=None) -> bool:
    """Whether ``(status, final_url, body, charset)`` answers are the same page for the analysis: the same
    status, final URL and charset, and bodies with the same bytes or the same stable digest (``stable``:
    the first answer's, if known)."""
    first = answers[0]
    others = [a for a in answers[1:] if a != first]
    if any(a[0] != first[0] or a[1] != first[1] or a[3] != first[3] for a in others):
        return False
    if not others:
        return True
    stable = stable or stable_digest(first[2], first[1], first[3])
    return all(stable_digest(a[2], a[1], a[3]) == stable for a in others)


class PageAnalyser:
    """Runs ``analyse_page`` / ``cloaking_findings`` inline (no ``executor``) or in ``executor`` with at most
    ``slots`` at once; ``clock`` (optional) is paused meanwhile."""

    def __init__(self, executor=None, *, slots: int = 1):
        self.executor = executor
        self.slots = max(1, int(slots))
        self._semaphore = None
        self.waiting = 0  # calls waiting for a slot (the engine's measure of CPU backlog)
        self.analysed = 0
        self.reused = 0
        self.cloaking_skipped = 0

    async def _run(self, fn, *args, clock=None):
        if self.executor is None:
            return fn(*args)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        if clock is not None:
            clock.pause()
        try:
            self.waiting += 1
            try:
                await self._semaphore.acquire()
            finally:
                self.waiting -= 1
            try:
                return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
            finally:
                self._semaphore.release()
        finally:
            if clock is not None:
                clock.resume()

    async def page(self, body, final_url, charset, baseline, baseline_key="", previous=None, *, clock=None):
        """The ``PageRecord`` of a page. Whether ``previous`` can be reused is decided here, at once (a digest
        of the body): a reused page never waits for an analysis slot. ``baseline`` may be a coroutine
        function giving it: called only when the page is analysed."""
        digest, stable = body_digest(body, final_url, charset), stable_digest(body, final_url, charset)
        record = reusable(previous, digest, baseline_key, stable)
        if record is not None:
            self.reused += 1
            return record
        if callable(baseline):
            if clock is not None:
                clock.pause()  # our own database, not the site's network
            try:
                baseline = await baseline()
            finally:
                if clock is not None:
                    clock.resume()
        record = await self._run(analyse_page, body, final_url, charset, baseline, baseline_key, previous, digest,
                                 stable, clock=clock)
        self.analysed += 1
        return record

    async def cloaking(self, url, browser, googlebot, referer, *, features=None, stable=None, clock=None):
        """``analysis.compare_cloaking`` of three ``(status, final_url, body, charset)`` answers, skipped when
        they are the same (``same_answers``: the same status, final URL, charset and stable digest): such
        answers show no cloaking. ``features``: the browser page's ``PageFeatures`` when its analysis just
        parsed it — handed over (for a probe with the browser's very answer too) so that only the probes'
        own bodies are parsed. ``stable``: the browser answer's stable digest, if known."""
        if same_answers(browser, googlebot, referer, stable=stable):
            self.cloaking_skipped += 1
            return []
        if features is not None:
            parsed = (*browser[:2], features)
            googlebot, referer = (parsed if fetch == browser else fetch for fetch in (googlebot, referer))
            browser = parsed
        return await self._run(analysis.compare_cloaking, url, browser, googlebot, referer, clock=clock)


INLINE = PageAnalyser()
