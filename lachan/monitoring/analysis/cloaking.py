"""Cloaking: the same URL fetched as a browser, as Googlebot and with a search engine's ``Referer``.

Each fetch is ``(status, final_url, html)`` or ``(status, final_url, html, charset)`` (the HTTP charset); ``html``
may also be the page's ``PageFeatures`` already extracted (the browser's page, parsed once for its own analysis),
and two fetches with the same bytes, final URL and charset are parsed once. Against the browser's fetch, each variant is a finding when
it ends on another site (``high``; ``critical`` if that site is a gambling one), has gambling text or
links the browser did not get (``critical``: spam shown to search engines only), when its status differs
(``medium``; ``low`` for 403/429/503, which bot protection often answers a fake Googlebot with), or when
its text is a different text (similarity below ``TEXT_THRESHOLD``, ``medium``).
"""

from . import lexicon
from .defacement import diff_excerpt
from .extract import PageFeatures, extract_features, host_of
from .findings import Finding, gettext_noop
from .similarity import jaccard
from .sites import site_of

TEXT_THRESHOLD = 0.6
BOT_BLOCK_STATUSES = frozenset({401, 403, 406, 429, 503})


def _gambling_links(features):
    out = {}
    for link, hits in zip(features.links, lexicon.links_hits((x.href, x.text) for x in features.links),
                          strict=True):
        if lexicon.score(hits) >= lexicon.SPAM_SCORE or (link.hidden and hits):
            out[link.href] = {"href": link.href, "text": link.text, "hidden": link.hidden}
    return out


def _features(url, fetch, parsed):
    """``(status, final URL, PageFeatures)`` of a fetch; ``parsed`` (bytes, final URL, charset → features)
    spares a second parse of the same answer."""
    status, final_url, page = fetch[:3]
    charset = fetch[3] if len(fetch) > 3 else None
    final_url = final_url or url
    if isinstance(page, PageFeatures):
        return int(status), final_url, page
    key = (page or "", final_url, charset)
    if key not in parsed:
        parsed[key] = extract_features(page or "", final_url, encoding=charset)
    return int(status), final_url, parsed[key]


def compare_cloaking(url, browser, googlebot, referer):
    """Findings of kind ``cloaking`` for one URL's three fetches (see the module docstring)."""
    parsed = {}
    b_status, b_url, b_page = _features(url, browser, parsed)
    b_links = _gambling_links(b_page)
    findings = []
    for label, fetch in (("Googlebot", googlebot), ("search-engine referer", referer)):
        status, final_url, page = _features(url, fetch, parsed)
        base = {"variant": label, "browser_status": b_status, "variant_status": status,
                "browser_url": b_url, "variant_url": final_url}
        new_links = [v for k, v in _gambling_links(page).items() if k not in b_links]
        new_terms = {t: n for t, n in page.gambling.items() if n > b_page.gambling.get(t, 0)}
        new_score = sum(lexicon.weight_of(t) * (n - b_page.gambling.get(t, 0)) for t, n in new_terms.items())
        other_site = site_of(host_of(final_url)) != site_of(host_of(b_url))
        if new_links or new_score >= lexicon.SPAM_SCORE:
            findings.append(Finding.make(
                "cloaking", "critical",
                gettext_noop("Gambling content is served only to %(variant)s (%(links)s links)."),
                {"variant": label, "links": len(new_links)}, links=new_links,
                terms=", ".join(new_terms), snippet=page.text[:500], **base))
        elif other_site:
            gambling = lexicon.score(lexicon.url_hits(final_url)) >= lexicon.SPAM_SCORE
            findings.append(Finding.make(
                "cloaking", "critical" if gambling else "high",
                gettext_noop("%(variant)s is sent to another site: %(url)s."),
                {"variant": label, "url": final_url}, **base))
        elif status != b_status:
            blocked = status in BOT_BLOCK_STATUSES and label == "Googlebot"
            findings.append(Finding.make(
                "cloaking", "low" if blocked else "medium",
                gettext_noop("%(variant)s gets status %(status)s where a browser gets %(browser)s."),
                {"variant": label, "status": status, "browser": b_status}, **base))
        else:
            similarity = jaccard(page.text_sketch, b_page.text_sketch)
            if similarity < TEXT_THRESHOLD:
                findings.append(Finding.make(
                    "cloaking", "medium",
                    gettext_noop("%(variant)s gets another text (%(similarity)s%% alike)."),
                    {"variant": label, "similarity": round(similarity * 100)},
                    diff=diff_excerpt(b_page.text, page.text), text_similarity=round(similarity, 3), **base))
    return sorted(findings, key=lambda f: f.rank)
