"""Pure page analysis for the website monitor: no network, no database.

    features = extract_features(html_bytes, final_url, encoding=http_charset)
    findings = analyse(features, baseline_features_or_None)
    findings = compare_cloaking(url, (status, final_url, html), (…googlebot…), (…search referer…))

Findings come from ``defacement.py`` (markers, likeness to the baseline), ``injection.py`` (gambling,
hidden and new links, scripts, frames, redirects) and ``scripts.py`` (``malicious_script``: obfuscated or
miner scripts, judged on the page alone). ``PageFeatures.to_dict()``/``from_dict()`` store a baseline as
JSON. ``Finding`` has ``kind``,
``severity``, ``summary`` (English), ``evidence`` (plain text from a hostile page: escape it when shown),
and ``template``/``params`` for a translated summary.
"""

from . import defacement, injection, scripts
from .cloaking import compare_cloaking
from .extract import HiddenBlock, Link, PageFeatures, extract_features
from .findings import KINDS, SEVERITIES, Finding

__all__ = ["KINDS", "SEVERITIES", "Finding", "HiddenBlock", "Link", "PageFeatures", "analyse",
           "compare_cloaking", "extract_features"]


def analyse(current, baseline=None):
    """Findings for a page (``PageFeatures``) against its last good baseline (or None), most severe first."""
    findings = defacement.check(current, baseline) + injection.check(current, baseline) \
        + scripts.check(current, baseline)
    return sorted(findings, key=lambda f: f.rank)
