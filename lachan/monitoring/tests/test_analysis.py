"""The engine on whole pages: the fixtures in ``pages/`` (a Sở portal and a school site, their injected,
defaced and cloaked versions)."""

import json
import unicodedata
from pathlib import Path

import pytest

from lachan.monitoring.analysis import Finding, PageFeatures, analyse, compare_cloaking, extract_features

PAGES = Path(__file__).resolve().parent / "pages"
PORTAL_URL = "https://stttt.hoabinh.gov.vn/"
SCHOOL_URL = "https://thptnguyendu.hoabinh.edu.vn/"


def page(name, url=PORTAL_URL):
    return extract_features((PAGES / name).read_bytes(), url)


@pytest.fixture(scope="module")
def portal():
    return page("so_portal.html")


@pytest.fixture(scope="module")
def school():
    return page("school.html", SCHOOL_URL)


def kinds(findings):
    return [(f.kind, f.severity) for f in findings]


# --- features ------------------------------------------------------------------------------------------

def test_portal_features(portal):
    assert portal.title == "Sở Thông tin và Truyền thông tỉnh Hòa Bình - Cổng thông tin điện tử"
    assert portal.host == "stttt.hoabinh.gov.vn"
    assert "Lượt truy cập: 1.234.567" in portal.text
    assert "csrf" not in portal.text.lower()
    assert "dataLayer" not in portal.text  # scripts are not text
    hrefs = [link.href for link in portal.links]
    assert "https://stttt.hoabinh.gov.vn/gioi-thieu/lanh-dao-so" in hrefs
    assert "https://chinhphu.vn/" in hrefs
    submenu = next(link for link in portal.links if link.text == "Lãnh đạo Sở")
    assert submenu.hidden == "display:none"  # the drop-down menu, hidden until hovered
    assert portal.scripts == ["https://stttt.hoabinh.gov.vn/themes/stttt/js/jquery-3.6.0.min.js",
                              "https://www.googletagmanager.com/gtag/js?id=G-7XK2LM9QPZ"]
    assert [f.host for f in portal.iframes] == ["www.youtube.com"]
    assert portal.images == 2 and portal.marquees == 0 and portal.audio == 0
    assert portal.gambling == {"cá độ": 1, "xổ số": 1}  # news items, weak: no finding
    assert portal.markers == []


def test_session_ids_and_tracking_parameters_are_dropped():
    page_ = extract_features('<a href="/van-ban;jsessionid=ABC123?id=7&utm_source=fb&PHPSESSID=9">x</a>'
                             '<a href="javascript:void(0)">y</a><a href="#top">z</a><a href="mailto:a@b.vn">m</a>',
                             "https://a.gov.vn/p/")
    assert [link.href for link in page_.links] == ["https://a.gov.vn/van-ban?id=7"]


def test_features_round_trip_through_json(portal):
    stored = json.loads(json.dumps(portal.to_dict()))
    again = PageFeatures.from_dict(stored)
    assert again == portal
    assert analyse(page("so_portal_next_day.html"), again) == []


def cp1258(text):
    """Text in Windows-1258 as old Vietnamese sites write it: base letters plus combining tone marks."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            out += unicodedata.normalize("NFC", decomposed[:-1]).encode("cp1258") + decomposed[-1].encode("cp1258")
    return out


def test_encodings():
    html = '<html><head><meta charset="windows-1258"><title>Tin tức</title></head><body>Sở Giáo dục</body></html>'
    data = cp1258(html)
    assert extract_features(data, "https://a.vn/").title == "Tin tức"
    assert extract_features(html.encode("utf-8"), "https://a.vn/", encoding="utf-8").text == "Sở Giáo dục"
    assert extract_features("\ufeff<p>Xin chào</p>".encode("utf-16"), "https://a.vn/").text == "Xin chào"
    # an unknown HTTP charset is ignored rather than fatal
    assert extract_features(html.encode("utf-8"), "https://a.vn/", encoding="utf8mb4").text == "Sở Giáo dục"


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01\x02\xff", "<?xml version='1.0' encoding='utf-8'?><p>x</p>",
                                  b"<html><body></body></html>", "<" * 10000])
def test_empty_or_odd_documents_do_not_fail(data):
    features = extract_features(data, "https://a.vn/")
    assert isinstance(features, PageFeatures)
    assert analyse(features, None) == [] or all(isinstance(f, Finding) for f in analyse(features, None))


# --- no finding for ordinary changes ---------------------------------------------------------------------

def test_clean_pages_alone_have_no_findings(portal, school):
    assert analyse(portal, None) == []
    assert analyse(school, None) == []
    assert analyse(portal, portal) == []


def test_date_counter_token_and_session_changes_are_not_findings(portal):
    assert analyse(page("so_portal_next_day.html"), portal) == []


def test_a_news_item_added_is_not_a_finding(portal):
    assert analyse(page("so_portal_news_added.html"), portal) == []


# --- injection ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "url", "links", "how"), [
    ("so_portal_hidden_display_none.html", PORTAL_URL, 8, "display:none"),
    ("so_portal_offscreen.html", PORTAL_URL, 5, "off-screen (left:-9999px)"),
    ("school_font_size0.html", SCHOOL_URL, 4, "font-size:0"),
    ("school_same_colour.html", SCHOOL_URL, 4, "same colour as background"),
])
def test_hidden_gambling_links(name, url, links, how, portal, school):
    current = page(name, url)
    baseline = portal if url == PORTAL_URL else school
    for base in (baseline, None):  # with a baseline, and judged on its own
        findings = analyse(current, base)
        assert kinds(findings) == [("gambling_injection", "high")]
        evidence = findings[0].evidence
        assert len(evidence["links"]) == links
        assert all(item["hidden"] == how for item in evidence["links"])
        assert evidence["hidden_by"] == [how]


def test_obfuscated_hidden_links_are_named(school):
    finding = analyse(page("school_font_size0.html", SCHOOL_URL), school)[0]
    texts = {item["text"]: item["terms"] for item in finding.evidence["links"]}
    assert "cá cược" in texts["c.á c.ư.ợ.c bóng đá"]
    assert "nhà cái" in texts["n h à c á i"]
    assert "gacor" in texts["situs slot gacor maxwin"]


def test_visible_gambling_page(portal):
    findings = analyse(page("gambling_landing.html"), portal)
    assert ("gambling_injection", "high") in kinds(findings)
    assert ("defacement_suspected", "high") in kinds(findings)  # the home page became another page
    assert any(f.summary == "The page title advertises gambling." for f in findings)


def _with_links(links, extra=""):
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return (PAGES / "so_portal.html").read_text(encoding="utf-8").replace(
        '<div class="sidebar">', f'<ul class="partners">{items}</ul>{extra}<div class="sidebar">')


def test_new_outbound_links(portal):
    links = [(f"https://shop{i}.example-{i}.com/p", f"Sản phẩm {i}") for i in range(12)]
    findings = analyse(extract_features(_with_links(links[:5]), PORTAL_URL), portal)
    assert kinds(findings) == [("new_outbound_links", "medium")]
    assert len(findings[0].evidence["sites"]) == 5
    assert kinds(analyse(extract_features(_with_links(links), PORTAL_URL), portal)) == [("new_outbound_links", "high")]
    # three new sites, or government sites and common platforms, are ordinary
    assert analyse(extract_features(_with_links(links[:3]), PORTAL_URL), portal) == []
    official = [("https://moet.gov.vn/", "Bộ GD"), ("https://mof.gov.vn/", "Bộ TC"), ("https://zalo.me/123", "Zalo"),
                ("https://vnu.edu.vn/", "ĐHQG"), ("https://youtube.com/@x", "Kênh")]
    assert analyse(extract_features(_with_links(official), PORTAL_URL), portal) == []


def test_hidden_external_links_without_gambling_words(portal):
    html = _with_links([], '<div style="display:none">' + "".join(
        f'<a href="https://seo-{i}.example{i}.net/">mua hàng giá rẻ {i}</a>' for i in range(4)) + "</div>")
    findings = analyse(extract_features(html, PORTAL_URL), portal)
    assert ("hidden_links", "medium") in kinds(findings)
    assert len(next(f for f in findings if f.kind == "hidden_links").evidence["links"]) == 4


def test_new_external_script_and_hidden_iframe(portal):
    html = _with_links([], '<script src="https://cdn-stats.example.ru/a.js"></script>'
                           '<iframe src="https://ads.example.top/x" width="0" height="0"></iframe>')
    findings = analyse(extract_features(html, PORTAL_URL), portal)
    assert ("new_external_script", "medium") in kinds(findings)
    assert ("new_iframe", "high") in kinds(findings)
    script = next(f for f in findings if f.kind == "new_external_script")
    assert script.evidence["links"] == ["https://cdn-stats.example.ru/a.js"]
    # scripts the baseline already had are not new; a page judged alone is not blamed for its CDN scripts
    assert [f for f in analyse(portal, None) if f.kind == "new_external_script"] == []


@pytest.mark.parametrize(("extra", "severity"), [
    ('<meta http-equiv="refresh" content="0; url=https://new88.bio/">', "critical"),
    ("<script>window.location.replace('https://shop.example.com/');</script>", "high"),
    ('<script>if (document.referrer.indexOf("google") > -1) { location.href = "/khuyen-mai"; }</script>', "high"),
])
def test_redirects(extra, severity, portal):
    html = (PAGES / "so_portal.html").read_text(encoding="utf-8").replace("</head>", extra + "</head>")
    findings = analyse(extract_features(html, PORTAL_URL), portal)
    assert ("redirect_injection", severity) in kinds(findings)


def test_redirect_within_the_site_is_not_a_finding(portal):
    html = (PAGES / "so_portal.html").read_text(encoding="utf-8").replace(
        "</head>", '<meta http-equiv="refresh" content="300">'
                   "<script>function go(){ location.href = '/tin-tuc'; }</script></head>")
    assert analyse(extract_features(html, PORTAL_URL), portal) == []


# --- defacement -------------------------------------------------------------------------------------------

def test_hacked_by_page(portal):
    current = page("defaced_hacked_by.html")
    findings = analyse(current, portal)
    assert kinds(findings) == [("defacement_confirmed", "critical"), ("title_changed", "medium")]
    evidence = findings[0].evidence
    assert {"hacked by", "greetz", "security is low"} <= set(evidence["markers"])
    assert evidence["text_similarity"] == 0.0
    assert "Hacked By Mr.Sh4d0w" in evidence["snippet"] or "hacked by mr.sh4d0w" in evidence["snippet"].lower()
    assert "-Tin tức nổi bật" in evidence["diff"] and "+Hacked By Mr.Sh4d0w" in evidence["diff"]
    assert findings[1].evidence == {"before": portal.title, "after": "Hacked By Mr.Sh4d0w"}
    assert kinds(analyse(current, None)) == [("defacement_confirmed", "critical")]


def test_ransom_note(portal):
    current = page("ransom_note.html")
    assert "ransom note" in current.markers and "files encrypted" in current.markers
    assert kinds(analyse(current, portal))[0] == ("defacement_confirmed", "critical")
    assert kinds(analyse(current, None)) == [("defacement_confirmed", "critical")]


def test_page_replaced_by_marquee_image_and_audio(portal):
    current = page("defaced_marquee.html")
    assert (current.marquees, current.audio, current.images) == (1, 2, 1)
    assert kinds(analyse(current, portal)) == [("defacement_suspected", "high"), ("title_changed", "medium")]
    assert kinds(analyse(current, None)) == [("defacement_suspected", "medium")]


def test_owned_by_in_ordinary_text_is_not_a_defacement(portal):
    html = (PAGES / "so_portal.html").read_text(encoding="utf-8").replace(
        "Chịu trách nhiệm chính", "This portal is owned by the Department. Chịu trách nhiệm chính")
    findings = analyse(extract_features(html, PORTAL_URL), portal)
    assert kinds(findings) == [("defacement_marker", "low")]  # weak marker on an unchanged page: low only
    assert analyse(extract_features(html, PORTAL_URL), None)[0].severity == "low"


def test_title_change_alone_is_low(portal):
    html = (PAGES / "so_portal.html").read_text(encoding="utf-8").replace(
        "<title>Sở Thông tin và Truyền thông tỉnh Hòa Bình - Cổng thông tin điện tử</title>",
        "<title>Sở Khoa học, Công nghệ và Thông tin tỉnh Hòa Bình</title>")
    assert kinds(analyse(extract_features(html, PORTAL_URL), portal)) == [("title_changed", "low")]


def test_findings_are_sorted_and_serialisable(portal):
    findings = analyse(page("gambling_landing.html"), portal)
    assert [f.rank for f in findings] == sorted(f.rank for f in findings)
    for finding in findings:
        data = json.loads(json.dumps(finding.to_dict()))
        assert Finding.from_dict(data) == finding


# --- cloaking ------------------------------------------------------------------------------------------------

def fetch(name, status=200, url=PORTAL_URL):
    return (status, url, (PAGES / name).read_bytes())


def test_same_page_for_everyone_is_not_cloaking():
    same = fetch("so_portal.html")
    assert compare_cloaking(PORTAL_URL, same, fetch("so_portal_next_day.html"), same) == []


def test_googlebot_only_gambling_content():
    findings = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), fetch("so_portal_googlebot.html"),
                                fetch("so_portal.html"))
    assert kinds(findings) == [("cloaking", "critical")]
    evidence = findings[0].evidence
    assert evidence["variant"] == "Googlebot"
    assert [item["href"] for item in evidence["links"]] == [
        "https://top10nhacai.bet/", "https://new88.bio/dang-ky", "https://jun88.ac/"]


def test_search_referer_sent_to_another_site():
    findings = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), fetch("so_portal.html"),
                                fetch("gambling_landing.html", url="https://new88.bio/"))
    assert kinds(findings) == [("cloaking", "critical")]
    assert findings[0].evidence["variant"] == "search-engine referer"
    assert findings[0].evidence["variant_url"] == "https://new88.bio/"
    plain = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), fetch("so_portal.html"),
                             fetch("school.html", url="https://other.example.com/"))
    assert kinds(plain) == [("cloaking", "high")]


def test_status_differences():
    findings = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), (403, PORTAL_URL, b"Forbidden"),
                                (404, PORTAL_URL, b"Not found"))
    assert sorted(kinds(findings)) == [("cloaking", "low"), ("cloaking", "medium")]
    low = next(f for f in findings if f.severity == "low")
    assert low.evidence["variant"] == "Googlebot" and low.evidence["variant_status"] == 403


def test_other_text_for_googlebot():
    findings = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), fetch("school.html"), fetch("so_portal.html"))
    assert kinds(findings) == [("cloaking", "medium")]
    assert findings[0].evidence["text_similarity"] < 0.6


def test_browser_page_given_parsed_is_not_parsed_again_and_same_answers_once(monkeypatch):
    from lachan.monitoring.analysis import cloaking

    parsed = []

    def counting(html, url, **kwargs):
        parsed.append(url)
        return extract_features(html, url, **kwargs)

    monkeypatch.setattr(cloaking, "extract_features", counting)
    browser = (200, PORTAL_URL, page("so_portal.html"))
    given = compare_cloaking(PORTAL_URL, browser, fetch("so_portal_googlebot.html"), fetch("so_portal_googlebot.html"))
    assert len(parsed) == 1  # the two identical probe answers parsed once, the browser page not at all
    parsed.clear()
    as_bytes = compare_cloaking(PORTAL_URL, fetch("so_portal.html"), fetch("so_portal_googlebot.html"),
                                (*fetch("so_portal_googlebot.html"), "utf-8"))
    assert len(parsed) == 3  # another charset is another answer
    assert kinds(given) == [("cloaking", "critical"), ("cloaking", "critical")]
    assert [f.to_dict() for f in given] == [f.to_dict() for f in as_bytes]


# --- evidence limits --------------------------------------------------------------------------------------------

def test_evidence_is_clipped():
    finding = Finding("hidden_links", "low", "x", {"snippet": "a" * 2000, "links": [f"l{i}" for i in range(80)],
                                                   "diff": "d" * 5000})
    assert len(finding.evidence["snippet"]) == 500
    assert len(finding.evidence["links"]) == 50
    assert len(finding.evidence["diff"]) == 1000
    with pytest.raises(ValueError, match="kind"):
        Finding("defaced", "high", "x")
    with pytest.raises(ValueError, match="severity"):
        Finding("cloaking", "urgent", "x")


@pytest.mark.parametrize(("href", "url"), [
    ("/tin-tuc/a.html?id=7&cat=2", "https://a.gov.vn/tin-tuc/a.html?id=7&cat=2"),  # the plain way
    ("HTTPS://WWW.Example.COM:8443/A/B?x=1#f", "https://www.example.com:8443/A/B?x=1"),
    ("/p?utm_source=fb&id=3", "https://a.gov.vn/p?id=3"),  # the general way from here on
    ("/p?", "https://a.gov.vn/p"),
    ("/a/../b", "https://a.gov.vn/b"),
    ("//cdn.x.vn/a.js", "https://cdn.x.vn/a.js"),
    ("bai.html?q=ca cuoc", "https://a.gov.vn/tin/bai.html?q=ca+cuoc"),
    ("https://user@h.vn/x", "https://user@h.vn/x"),
])
def test_links_are_made_absolute_the_same_way_whatever_the_path(href, url):
    from lachan.monitoring.analysis.extract import clean_url, host_of

    assert clean_url(href, "https://a.gov.vn/tin/") == url
    assert host_of("HTTP://Sub.Example.VN.:80/x") == "sub.example.vn"


def test_page_words_leave_out_what_changes_on_every_visit():
    from lachan.monitoring.analysis.similarity import words

    assert words("Thứ Hai, ngày 15/01/2024 - 08:32 SA. Lượt truy cập: 1.234.567 «Tin tức» 5 phút trước") == \
        ["lượt", "truy", "cập", "tin", "tức"]
    assert words("Monday, January 15, 2024 3 hours ago: (Hacked) by x@y.vn") == ["hacked", "by"]


def test_a_baseline_stored_by_the_previous_extraction_is_compared_by_its_text(portal):
    old = PageFeatures.from_dict({**portal.to_dict(), "version": 1, "text_sketch": [1, 2, 3], "dom_sketch": [4]})
    assert analyse(page("so_portal_next_day.html"), old) == []
    findings = analyse(page("defaced_hacked_by.html"), old)
    assert findings[0].kind == "defacement_confirmed" and findings[0].evidence["dom_similarity"] == 0.0
