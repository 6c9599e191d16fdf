"""Malicious scripts, judged on the page alone (kind ``malicious_script``): what compromised sites get injected.

Inline scripts (``signals``, run by the extraction; each signal keeps a clipped snippet):

* ``packer`` — Dean Edwards' packer, ``eval(function(p,a,c,k,e,…)`` (``high``);
* ``eval_decoded`` — ``eval``/``Function``/``setTimeout`` of a decoded string: ``eval(atob(…``,
  ``eval(unescape(…``, ``eval(String.fromCharCode(…``, ``eval(decodeURIComponent(…`` (``high``);
* ``write_decoded`` — ``document.write`` of a decoded string: base64, char codes, or a literal escaped
  through and through (``unescape('%3C%61%20%68…``; not the ``unescape("%3Cscript src='…'")`` of old
  loaders) (``high``);
* ``char_codes`` — a long ``String.fromCharCode`` chain: one call with ``CHAR_CODES_MIN`` or more numbers,
  or ``CHAR_CODE_CALLS_MIN`` calls (``medium``);
* ``hex_string`` — a run of ``HEX_RUN_MIN`` or more ``\\xNN``/``\\u00NN`` escapes (``medium``);
* ``miner`` — a crypto-miner's client (``CoinHive.Anonymous``, ``CRLT.Anonymous``, …) (``high``).

Script sources (``check``, from ``PageFeatures.scripts``): a host of ``MALWARE_HOSTS`` (crypto-miners and
their proxies; ``high``), a host name carrying gambling words (``high``), a raw IP address other than the
page's own (``medium``).

Minified libraries (``String.fromCharCode(a+0x10000)``, short escape tables such as ``"\\x20\\t\\r\\n"``) and
the Google Analytics / gtag snippets match none of these. A referrer / user-agent test followed by a
redirect is ``redirect_injection`` already and is not reported again here; a packed one is (``packer``).
What the baseline already had (same rule and snippet, same source) is not reported again: the operator
accepted that page.
"""

import ipaddress
import re

from . import lexicon
from .findings import Finding, gettext_noop
from .sites import site_of

CHAR_CODES_MIN = 30  # numbers in one String.fromCharCode(…) call
CHAR_CODE_CALLS_MIN = 10  # String.fromCharCode calls in one script
HEX_RUN_MIN = 60  # escapes in a row
SIGNALS_MAX = 20
SNIPPET = 200

# crypto-miner services and the proxies of their scripts, as publicly documented
MALWARE_HOSTS = frozenset({
    "coinhive.com", "coin-hive.com", "authedmine.com", "cnhv.co", "cryptoloot.pro", "crypto-loot.com",
    "crypto-loot.org", "jsecoin.com", "webminepool.com", "minero.cc", "coinimp.com", "coinimp.net",
    "coinhave.com", "coin-have.com", "ppoi.org", "minr.pw", "monerominer.rocks", "papoto.com", "mineralt.io",
    "webmine.cz", "webmine.pro", "cryptonoter.com",
})
HIGH_RULES = frozenset({"packer", "eval_decoded", "write_decoded", "miner"})

_DECODERS = r"(?:(?:window\s*\.\s*)?atob|unescape|decodeURIComponent|decodeURI|String\s*\.\s*fromCharCode)"
_RULES = (
    # (rule, substrings one of which the script must hold, regex)
    ("packer", ("eval",), re.compile(r"eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,")),
    ("eval_decoded", ("eval", "Function", "setTimeout"),
     re.compile(r"(?:\beval|\bFunction|\bsetTimeout)\s*\(\s*" + _DECODERS + r"\s*\(")),
    # unescape("%3Cscript src='…'%3E") is how old pages (and Google's ga.js loader) wrote a script tag: only
    # a payload that is escaped through and through, or base64, or char codes is a hidden one
    ("write_decoded", ("document",),
     re.compile(r"document\s*\.\s*write(?:ln)?\s*\(\s*(?:(?:window\s*\.\s*)?atob|String\s*\.\s*fromCharCode"
                r"|(?:unescape|decodeURI(?:Component)?)\s*\(\s*['\"](?:%[0-9a-fA-F]{2}|\\x[0-9a-fA-F]{2}){20})")),
    ("miner", ("Anonymous", "CoinHive", "CryptoLoot"),
     re.compile(r"\b(?:CoinHive|CRLT|CryptoLoot|CoinImp|deepMiner)\s*\.\s*(?:Anonymous|User|Token)\s*\("
                r"|\bClient\s*\.\s*Anonymous\s*\(|\bnew\s+(?:CoinHive|CryptoLoot)\b")),
)
_FROM_CHAR_CODE = re.compile(r"fromCharCode\s*\(\s*((?:[0-9]+|0x[0-9a-fA-F]+)(?:\s*,\s*(?:[0-9]+|0x[0-9a-fA-F]+))*)")
_HEX_RUN = re.compile(r"(?:\\x[0-9a-fA-F]{2}|\\u00[0-9a-fA-F]{2}){%d,}" % HEX_RUN_MIN)


def _clip(code, start, end):
    left = max(0, start - 40)
    return " ".join(code[left: max(end, start + SNIPPET - 40)][:SNIPPET].split())


def signals(code):
    """The suspicious constructs of one inline script: [{"rule", "snippet"}] (at most one per rule)."""
    found = []
    for rule, needs, regex in _RULES:
        if any(n in code for n in needs):
            match = regex.search(code)
            if match:
                found.append({"rule": rule, "snippet": _clip(code, match.start(), match.end())})
    if "fromCharCode" in code:
        calls = list(_FROM_CHAR_CODE.finditer(code))
        longest = max(calls, key=lambda m: m.group(1).count(","), default=None)
        if longest is not None and (longest.group(1).count(",") + 1 >= CHAR_CODES_MIN
                                    or len(calls) >= CHAR_CODE_CALLS_MIN):
            found.append({"rule": "char_codes", "snippet": _clip(code, longest.start(), longest.end())})
    if "\\x" in code or "\\u00" in code:
        match = _HEX_RUN.search(code)
        if match:
            found.append({"rule": "hex_string", "snippet": _clip(code, match.start(), match.end())})
    return found


def _raw_ip(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _source_rule(host, page_host):
    """Why a script's host is malicious ("" when it is not)."""
    if not host or site_of(host) == site_of(page_host):
        return ""
    if site_of(host) in MALWARE_HOSTS or host in MALWARE_HOSTS:
        return "miner_host"
    if _raw_ip(host):
        return "ip_host"
    if lexicon.score(lexicon.host_hits(host)) >= lexicon.SPAM_SCORE:
        return "gambling_host"
    return ""


def source_rules(current):
    """(src, rule) of the page's external scripts whose host is malicious."""
    from .extract import host_of

    out = []
    for src in current.scripts:
        rule = _source_rule(host_of(src), current.host)
        if rule:
            out.append((src, rule))
    return out


def check(current, baseline):
    """At most one ``malicious_script`` finding: every suspicious inline construct and script source."""
    known_signals = {(s["rule"], s["snippet"]) for s in baseline.script_signals} if baseline is not None else set()
    known_sources = set(baseline.scripts) if baseline is not None else set()
    inline = [s for s in current.script_signals if (s["rule"], s["snippet"]) not in known_signals]
    sources = [(src, rule) for src, rule in source_rules(current) if src not in known_sources]
    if not inline and not sources:
        return []
    rules = sorted({s["rule"] for s in inline} | {rule for _, rule in sources})
    high = any(r in HIGH_RULES for r in rules) or any(rule != "ip_host" for _, rule in sources)
    return [Finding.make(
        "malicious_script", "high" if high else "medium",
        gettext_noop("Malicious or obfuscated script: %(rules)s."), {"rules": ", ".join(rules)},
        snippet=" … ".join(s["snippet"] for s in inline), links=[src for src, _ in sources],
        rules=rules, signals=inline)]
