"""``lachan monitor check URL [--json] [--baseline FILE] [--allow-private]``: one full check from the shell.

Runs a deep check (home page, cloaking probes, ``--subpage`` pages, ``--sitemap-sample`` sitemap URLs, DNS)
without the database. ``--baseline FILE`` is the home page as it was when last judged good: saved HTML,
or the JSON of ``PageFeatures.to_dict()`` (a JSON object with ``url`` and ``text_sketch``) — detected from
the content. ``--allow-private`` lets this run reach loopback, RFC 1918, CGNAT and unique-local
addresses (cloud metadata addresses stay refused); without it such a target is refused (exit 4).

``--json`` prints one JSON object (``CheckResult.to_json()``: evidence as plain text, not escaped); without
it, readable lines (times dd/mm/yyyy HH:MM, Asia/Ho_Chi_Minh; hostile text from the page has its control
characters replaced so it cannot drive the terminal). Exit codes: see ``EXIT_HELP``.
"""

from __future__ import annotations

import argparse
import asyncio
import json as jsonlib
import zoneinfo
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

EXIT_CODES = {"ok": 0, "suspicious": 1, "compromised": 2, "down": 3}
EXIT_ERROR = 4
EXIT_HELP = """exit codes:
  0  ok           nothing wrong found
  1  suspicious   a medium finding, an invalid certificate or changed name servers
  2  compromised  defacement, injection, cloaking, malicious script or off-site redirect (high/critical)
  3  down         the home page did not answer, or answered with status >= 400
  4  error        bad usage, unreadable --baseline file, or a target refused by the outbound guard"""
PRIVATE_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                    "fc00::/7")
BASELINE_MAX_BYTES = 20 * 1024 * 1024
LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
EVIDENCE_SHOWN = 300  # characters of one evidence value in the readable output


def add_check_arguments(parser):
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXIT_HELP
    parser.add_argument("url", metavar="URL", help="the home page to check (http:// is assumed without a scheme)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--baseline", metavar="FILE",
                        help="the last good home page: saved HTML, or a JSON file of its features")
    parser.add_argument("--allow-private", action="store_true",
                        help="allow loopback, private, CGNAT and ULA addresses for this run (never cloud metadata)")
    parser.add_argument("--subpage", action="append", default=[], metavar="PATH",
                        help="also check this path or URL of the same site (repeatable)")
    parser.add_argument("--sitemap-sample", type=int, default=3, metavar="N",
                        help="pages sampled from the sitemap (default %(default)s; 0: none)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="time limit of each page fetch with its redirects (default %(default)s)")


def _normalise_url(url: str) -> str:
    url = url.strip()
    return url if "://" in url else "http://" + url


def load_baseline(path: str, url: str):
    """``PageFeatures`` of the baseline file (HTML or the JSON of ``PageFeatures.to_dict()``)."""
    from lachan.monitoring.analysis import PageFeatures, extract_features

    file = Path(path)
    try:
        size = file.stat().st_size
        if size > BASELINE_MAX_BYTES:
            raise CommandError(_("%(path)s: %(size)s bytes, more than the %(max)s a baseline may have.")
                               % {"path": path, "size": size, "max": BASELINE_MAX_BYTES}, returncode=EXIT_ERROR)
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc},
                           returncode=EXIT_ERROR) from None
    if data.lstrip()[:1] == b"{":
        try:
            obj = jsonlib.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = _(" line %(line)s") % {"line": line} if line else ""
            raise CommandError(_("%(path)s%(where)s: not a valid features JSON file: %(error)s")
                               % {"path": path, "where": where, "error": exc}, returncode=EXIT_ERROR) from None
        if not isinstance(obj, dict) or "url" not in obj or "text_sketch" not in obj:
            raise CommandError(_("%(path)s: a features JSON file needs the fields url and text_sketch "
                                 "(written by PageFeatures.to_dict()).") % {"path": path}, returncode=EXIT_ERROR)
        try:
            return PageFeatures.from_dict(obj)
        except (TypeError, ValueError) as exc:
            raise CommandError(_("%(path)s: bad features field: %(error)s") % {"path": path, "error": exc},
                               returncode=EXIT_ERROR) from None
    return extract_features(data, url)


def _allowlist(allow_private: bool):
    from django.conf import settings

    configured = list(getattr(settings, "OUTBOUND_ALLOWLIST", None) or ())
    return configured + list(PRIVATE_NETWORKS) if allow_private else configured


def _refused(url: str, reason: str, allow_private: bool) -> CommandError:
    message = _("Refused to fetch %(url)s: %(reason)s.") % {"url": url, "reason": reason}
    if not allow_private:
        message += " " + _("Use --allow-private to check a site on a private network.")
    return CommandError(message, returncode=EXIT_ERROR)


async def _check(url, *, allowlist, baselines, subpages, sitemap_sample, options):
    from lachan.core.outbound import guarded_session

    from .site import check_site

    async with guarded_session(allowlist=allowlist, limit=16) as session:
        return await check_site(session, url, baselines=baselines, subpages=subpages, sitemap_sample=sitemap_sample,
                                deep=True, options=options)


def run_check(command, *, url, json=False, baseline=None, allow_private=False, subpage=(), sitemap_sample=3,
              timeout=30.0, **_options):
    from lachan.core.outbound import BlockedAddress, check_url

    from .options import CheckOptions

    url = _normalise_url(url)
    allowlist = _allowlist(allow_private)
    try:
        check_url(url, allowlist=allowlist)
    except BlockedAddress as exc:
        raise _refused(url, exc.reason, allow_private) from None
    baselines = {url: load_baseline(baseline, url)} if baseline else None
    options = CheckOptions(total_timeout=timeout, connect_timeout=min(10.0, timeout), read_timeout=min(15.0, timeout))
    result = asyncio.run(_check(url, allowlist=allowlist, baselines=baselines, subpages=list(subpage),
                                sitemap_sample=max(0, sitemap_sample), options=options))
    if result.error_kind == "blocked":
        raise _refused(url, result.error_message, allow_private)
    if json:
        command.stdout.write(jsonlib.dumps(result.to_json(), ensure_ascii=False))
    else:
        command.stdout.write("\n".join(readable(result)))
    code = EXIT_CODES[result.verdict]
    if code:
        raise SystemExit(code)


# --- readable output ----------------------------------------------------------------------------------

def _safe(text, limit=EVIDENCE_SHOWN) -> str:
    """Text from a hostile page made harmless for a terminal: control characters shown as ``?``, clipped."""
    text = "".join(c if c.isprintable() else ("↵" if c == "\n" else "?") for c in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_evidence_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_evidence_value(v) for v in value)
    return str(value)


def readable(result) -> list[str]:
    """The lines ``lachan monitor check`` prints without ``--json``."""
    from lachan.monitoring.choices import FindingKind, Severity, Verdict

    kinds, severities, verdicts = dict(FindingKind.choices), dict(Severity.choices), dict(Verdict.choices)
    when = result.checked_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    lines = [_safe(result.url, 2000),
             "  " + _("Verdict: %(verdict)s") % {"verdict": str(verdicts.get(result.verdict, result.verdict)).upper()},
             "  " + _("Checked at: %(when)s (Asia/Ho_Chi_Minh)") % {"when": when}]
    if result.final_url and result.final_url != result.url:
        lines.append("  " + _("Final URL: %(url)s (%(count)s redirects)")
                     % {"url": _safe(result.final_url, 2000), "count": len(result.redirects)})
    if result.http_status is not None:
        lines.append("  " + _("HTTP status: %(status)s, %(ms)s ms") % {"status": result.http_status,
                                                                        "ms": result.latency_ms})
    if result.tls_days_left is not None:
        lines.append("  " + _("TLS certificate: %(days)s days left") % {"days": result.tls_days_left})
    if result.dns:
        answers = "; ".join(f"{rdtype} {', '.join(values) or '-'}" for rdtype, values in result.dns.items())
        lines.append("  " + _("DNS: %(answers)s") % {"answers": _safe(answers, 1000)})
    if result.error_kind:
        lines.append("  " + _("Error (%(kind)s): %(message)s") % {"kind": result.error_kind,
                                                                  "message": _safe(result.error_message)})
    elif result.error_message:
        lines.append("  " + _("Not checked: %(message)s") % {"message": _safe(result.error_message)})
    if not result.findings:
        lines.append(_("No findings."))
        return lines
    lines.append(_("Findings (%(count)s):") % {"count": len(result.findings)})
    for finding in result.findings:
        summary = _(finding.template) % finding.params if finding.template and finding.params else (
            _(finding.template) if finding.template else finding.summary)
        lines.append("  [%s] %s — %s" % (severities.get(finding.severity, finding.severity),
                                         kinds.get(finding.kind, finding.kind), _safe(summary)))
        lines.append("      " + _("page: %(url)s") % {"url": _safe(finding.url, 2000)})
        for key, value in finding.evidence.items():
            if value not in ("", [], {}, None):
                lines.append(f"      {key}: {_safe(_evidence_value(value))}")
    return lines
