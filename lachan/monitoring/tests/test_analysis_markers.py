"""Rules fixed after judging real pages written by others (a corpus kept outside the repository): each test
is a reduced excerpt written for it, in the style of the page that was misjudged."""

from pathlib import Path

import pytest

from lachan.monitoring.analysis import analyse, extract_features
from lachan.monitoring.analysis.defacement import find_markers

PAGES = Path(__file__).resolve().parent / "pages"
URL = "https://truong.example.edu.vn/"
FLAG = ("critical", "high", "medium")


def judged(html, url=URL):
    return [(f.kind, f.severity) for f in analyse(extract_features(html, url), None)]


def flagged(html):
    return any(severity in FLAG for _, severity in judged(html))


# --- defacement pages the markers missed ------------------------------------------------------------------

@pytest.mark.parametrize(("html", "marker"), [
    ("<title>PWND BY FAKESITE</title><h2>STAMPED BY FAKESITE</h2><p>Keamanan paling rentan adalah manusia</p>",
     "pwned by"),
    ("<h1>PAWN3D 8Y 0N3 00 ON3</h1><p>Protect the truth.</p>", "pwned by"),
    ('"anjing server windows gabisa upshell bypass susah hacked-by-bgke04-dev by bgke04 dev"', "hacked by"),
    ("pwnd by Mr.Hari", "pwned by"),
])
def test_spellings_of_pwned_and_hacked_by(html, marker):
    assert marker in extract_features(html, URL).markers
    assert ("defacement_confirmed", "critical") in judged(html)


@pytest.mark.parametrize("html", [
    "Owned By HoAX1337 Weak systems belong to weak developers.. t.me/Team_x",  # weak marker, tiny page
    "<title>:: Touched By Cyber Queen ::</title><h1>Read This Msg !</h1><h3>Give this message to your government.</h3>",
    "B4Y0T SLAYER IS HERE ^_^",
    "By Tron  Sell high da &amp; pa Shell cpanel  https://t.me/@someone",
    "<title>Paralord Team</title><h1>Paralord Team</h1><p>Alo admin, conserta essa falha</p>"
    "<p>Salves: <b>Odin - Bidu - Baiano</b></p>",
])
def test_a_near_empty_page_with_words_defacers_leave(html):
    assert ("defacement_suspected", "high") in judged(html) or ("defacement_confirmed", "critical") in judged(html)


def test_faint_markers_on_an_ordinary_page_are_nothing():
    # "is here", "touched by", "shell", "weak systems" are ordinary words on a page with text
    body = " ".join(["Trang tin của trường, thông báo lịch học, kết quả tuyển sinh và hoạt động ngoại khóa."] * 12)
    html = (f"<title>Trường THCS</title><p>{body}</p><p>Spring is here. We were touched by your letters. "
            "Learn the Unix shell and cPanel in our IT club; weak systems get patched.</p>")
    assert judged(html) == []


def test_a_page_of_one_image_and_nothing_else():
    html = ('<!DOCTYPE html><html><head><style>img{display:block;margin:auto}</style></head>'
            '<body><img alt="" src="images/Z" style="max-width:100%"></body></html>')
    assert judged(html) == [("defacement_suspected", "medium")]
    # a page with a title, a link or a script is not "nothing but an image"
    assert judged(html.replace("<head>", "<head><title>Sắp ra mắt</title>")) == []
    assert judged(html.replace("</body>", '<a href="/gioi-thieu">Giới thiệu</a></body>')) == []


# --- ransom notes, and what only looks like one -----------------------------------------------------------

def test_hexadecimal_keys_next_to_decrypt_are_not_a_ransom_note():
    html = ("<h1>TLS</h1><p>Use the key to decrypt the session.</p><pre>modulus: 'B56CE45CB740B09A13F64AC543B712FF9EE8"
            "E4C284B542A1708A27E82A8D151CA178153E12E6DDA15BF70F'</pre><pre>3B6A688EFE8387811F645CEED7B3FE46E1F8B9F5</pre>")
    assert find_markers(extract_features(html, URL).text) == []


def test_a_donation_address_is_not_a_ransom_note():
    html = ("<p>If you like this site and cannot stand its ads, I will appreciate a tip in bitcoin to my wallet.</p>"
            "<p>BTC - 1KmW3xq9TfPzR4nVbC7dLuY2sEh8gJ5aNo</p>")
    assert find_markers(extract_features(html, URL).text) == []
    # the same address in a ransom note is one
    note = html.replace("If you like this site", "Your files have been encrypted. To decrypt them send 0.1 BTC")
    assert "ransom note" in find_markers(extract_features(note, URL).text)
    assert "ransom note" in extract_features((PAGES / "ransom_note.html").read_bytes(), URL).markers


# --- scripts of ordinary pages --------------------------------------------------------------------------------

def test_old_loaders_writing_a_script_tag_are_not_malicious():
    code = ('var gaJsHost = (("https:" == document.location.protocol) ? "https://ssl." : "http://www.");'
            "document.write(unescape(\"%3Cscript src='\" + gaJsHost + \"google-analytics.com/ga.js' "
            "type='text/javascript'%3E%3C/script%3E\"));"
            "document.write(unescape('%3C')+'!-'+'-');")
    page = extract_features(f"<html><head><script>{code}</script></head><body><p>Tin tức</p></body></html>", URL)
    assert page.script_signals == []


def test_a_referrer_read_for_something_else_is_not_cloaking():
    code = ("function isInternalReferrer() { var internal = ['smh', 'theage', 'watoday'];"
            " var referrer = document.referrer; if (!referrer) { return true; }"
            " for (var i = 0; i < internal.length; i++) { if (referrer.indexOf(internal[i]) > 0) return true; }"
            " return false; }" + " " * 400 +
            "function google_ad_request_done(google_ads) { var s = '';"
            " for (var i = 0; i < google_ads.length; i++) { s += google_ads[i].line1; }"
            " document.write(s); }")
    page = extract_features(f"<html><head><script>{code}</script></head><body><p>Tin</p></body></html>", URL)
    assert page.conditional_redirect is False
    # the cloaking trick itself still is
    trick = "var r = document.referrer; if (r.indexOf('google') > -1 || r.indexOf('coccoc') > -1) { location.href = '/x'; }"
    page = extract_features(f"<html><head><script>{trick}</script></head><body><p>Tin</p></body></html>", URL)
    assert page.conditional_redirect is True
