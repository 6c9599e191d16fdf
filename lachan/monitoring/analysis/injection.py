"""Injection: gambling/SEO-spam links and text, hidden links, new outbound links, new external scripts
and iframes, redirects to other sites.

Judged on the page alone: hidden gambling links or text (``high``), visible gambling links (``high``),
much visible gambling text or a gambling title, hidden frames, redirects to another site and
referrer/user-agent tests next to a redirect. Against the baseline: what is new — outbound links to sites
the baseline never linked to, scripts and frames from new sites, new hidden external links. A baseline is
the last page judged good, so what it already had is not reported again (except gambling, which is).
"""

from . import lexicon, scripts
from .extract import host_of
from .findings import Finding, gettext_noop
from .sites import COMMON_SITES, is_external, is_unrelated, site_of

NEW_SITES_MEDIUM = 4
NEW_SITES_HIGH = 10
HIDDEN_LINKS_MEDIUM = 3
VISIBLE_TEXT_SCORE = 9  # visible gambling text, without links: distinct terms weighing this, or two strong


def _link_item(link, hits=()):
    item = {"href": link.href, "text": link.text}
    if link.hidden:
        item["hidden"] = link.hidden
    if hits:
        item["terms"] = ", ".join(sorted({h.term for h in hits}))
    return item


def check(current, baseline):
    findings = []
    host = current.host
    # lexicon hits of each link (target and text), aligned with current.links, one search for them all;
    # only hidden and external links' hits are ever looked at (a visible link within the site is judged
    # with the page's text)
    wanted = [link.hidden or is_external(link.host, host) for link in current.links]
    found = iter(lexicon.links_hits((link.href, link.text) for link, w in zip(current.links, wanted, strict=True)
                                    if w))
    hits = [next(found) if w else () for w in wanted]
    findings += _gambling(current, baseline, hits)
    findings += _hidden_links(current, baseline, hits)
    if baseline is not None:
        findings += _new_outbound(current, baseline, hits)
    findings += _scripts_and_frames(current, baseline)
    findings += _redirects(current, baseline, host)
    return findings


def _gambling(current, baseline, link_hits):
    findings = []
    hidden, visible = [], []
    for link, hits in zip(current.links, link_hits, strict=True):
        if link.hidden and lexicon.score(hits) >= lexicon.WEAK:
            hidden.append(_link_item(link, hits))
        elif not link.hidden and lexicon.score(hits) >= lexicon.SPAM_SCORE and is_external(link.host, current.host):
            visible.append(_link_item(link, hits))
    block_hits = lexicon.find_terms_many([b.text for b in current.hidden_blocks])
    hidden_text = [b for b, hits in zip(current.hidden_blocks, block_hits, strict=True)
                   if lexicon.score(hits) >= lexicon.SPAM_SCORE]
    if hidden or hidden_text:
        blocks = hidden_text or [b for b in current.hidden_blocks if b.links]
        reasons = sorted({b.reason for b in blocks} | {x["hidden"] for x in hidden})
        findings.append(Finding.make(
            "gambling_injection", "high",
            gettext_noop("Hidden gambling content: %(links)s hidden links, %(blocks)s hidden blocks (%(how)s)."),
            {"links": len(hidden), "blocks": len(hidden_text), "how": ", ".join(reasons)},
            snippet=" … ".join(b.text for b in blocks)[:500], links=hidden, hidden_by=reasons))
    if visible:
        findings.append(Finding.make(
            "gambling_injection", "high", gettext_noop("%(count)s visible links to gambling sites."),
            {"count": len(visible)}, links=visible))
    title_hits = lexicon.find_terms(current.title)
    # distinct terms: an archive repeating one arrest report ("cá độ") is not spam
    strong = sum(1 for term in current.gambling if lexicon.weight_of(term) >= lexicon.STRONG)
    distinct = sum(lexicon.weight_of(term) for term in current.gambling)
    before = sum(lexicon.weight_of(term) for term in baseline.gambling) if baseline is not None else 0
    if lexicon.score(title_hits) >= lexicon.SPAM_SCORE and (baseline is None or not lexicon.is_spam(baseline.title)):
        findings.append(Finding.make("gambling_injection", "high",
                                     gettext_noop("The page title advertises gambling."),
                                     title=current.title, terms=sorted({h.term for h in title_hits})))
    elif (distinct >= VISIBLE_TEXT_SCORE or strong >= 2) and distinct >= before + lexicon.SPAM_SCORE \
            and not visible:
        findings.append(Finding.make(
            "gambling_injection", "medium", gettext_noop("The visible text advertises gambling (%(terms)s)."),
            {"terms": ", ".join(list(current.gambling)[:8])}, terms=current.gambling))
    return findings


def _hidden_links(current, baseline, link_hits):
    known = {link.href for link in baseline.links} if baseline is not None else set()
    found = [link for link, hits in zip(current.links, link_hits, strict=True)
             if link.hidden and is_unrelated(link.host, current.host) and link.href not in known
             and lexicon.score(hits) < lexicon.WEAK]
    if not found:
        return []
    severity = "medium" if len({site_of(link.host) for link in found}) >= HIDDEN_LINKS_MEDIUM else "low"
    return [Finding.make("hidden_links", severity,
                         gettext_noop("%(count)s hidden links to other sites (%(sites)s)."),
                         {"count": len(found), "sites": ", ".join(sorted({site_of(x.host) for x in found})[:5])},
                         links=[_link_item(x) for x in found])]


def _new_outbound(current, baseline, link_hits):
    known = {site_of(link.host) for link in baseline.links}
    new = [link for link, hits in zip(current.links, link_hits, strict=True)
           if is_unrelated(link.host, current.host) and site_of(link.host) not in known
           and lexicon.score(hits) < lexicon.SPAM_SCORE and not link.hidden]  # reported above
    sites = sorted({site_of(link.host) for link in new})
    if len(sites) < NEW_SITES_MEDIUM:
        return []
    severity = "high" if len(sites) >= NEW_SITES_HIGH else "medium"
    return [Finding.make("new_outbound_links", severity,
                         gettext_noop("Links to %(count)s sites the baseline never linked to."),
                         {"count": len(sites)}, sites=sites, links=[_link_item(x) for x in new])]


def _scripts_and_frames(current, baseline):
    findings = []
    known_scripts = {site_of(h) for h in (_hosts(baseline.scripts) if baseline else ())}
    new_scripts = []
    malicious = {src for src, _ in scripts.source_rules(current)}  # reported as malicious_script
    for src in current.scripts:
        if src in malicious:
            continue
        host = _hosts([src])[0]
        gambling = lexicon.score(lexicon.url_hits(src)) >= lexicon.SPAM_SCORE
        if not is_external(host, current.host) and not gambling:
            continue
        if gambling or (baseline is not None and site_of(host) not in known_scripts
                        and site_of(host) not in COMMON_SITES):
            new_scripts.append((src, gambling))
    if new_scripts:
        severity = "high" if any(g for _, g in new_scripts) else "medium"
        findings.append(Finding.make("new_external_script", severity,
                                     gettext_noop("Scripts from %(count)s new external sources."),
                                     {"count": len(new_scripts)}, links=[s for s, _ in new_scripts]))
    known_frames = {f.href for f in baseline.iframes} if baseline else set()
    known_frame_sites = {site_of(f.host) for f in baseline.iframes} if baseline else set()
    frames = []
    for frame in current.iframes:
        if frame.href in known_frames or not is_external(frame.host, current.host):
            continue
        if frame.hidden or lexicon.score(lexicon.url_hits(frame.href)) >= lexicon.SPAM_SCORE:
            frames.append((frame, "high"))
        elif baseline is not None and site_of(frame.host) not in known_frame_sites | COMMON_SITES:
            frames.append((frame, "medium"))
    if frames:
        severity = "high" if any(s == "high" for _, s in frames) else "medium"
        findings.append(Finding.make("new_iframe", severity,
                                     gettext_noop("%(count)s new frames from other sites."), {"count": len(frames)},
                                     links=[_link_item(f) for f, _ in frames]))
    return findings


def _redirects(current, baseline, host):
    targets = ([current.meta_refresh] if current.meta_refresh else []) + current.js_redirects
    before = set(([baseline.meta_refresh] if baseline and baseline.meta_refresh else [])
                 + (baseline.js_redirects if baseline else []))
    offsite = [t for t in targets if t not in before and is_external(_hosts([t])[0], host)]
    findings = []
    conditional = current.conditional_redirect and not (baseline and baseline.conditional_redirect)
    if offsite or conditional:
        gambling = any(lexicon.score(lexicon.url_hits(t)) >= lexicon.SPAM_SCORE for t in offsite)
        severity = "critical" if gambling else "high"
        template = (gettext_noop("The page redirects visitors to another site.") if offsite else
                    gettext_noop("A script treats visitors from search engines or crawlers differently."))
        findings.append(Finding.make("redirect_injection", severity, template, links=offsite,
                                     meta_refresh=current.meta_refresh,
                                     conditional="yes" if current.conditional_redirect else "no"))
    return findings


def _hosts(urls):
    return [host_of(u) for u in urls]
