import lxml.html
import pytest

from lachan.monitoring.analysis import colours, extract_features, hidden


def hidden_links(html):
    page = extract_features(f"<html><body>{html}</body></html>", "https://so.example.gov.vn/")
    return {link.text: link.hidden for link in page.links}


@pytest.mark.parametrize(("markup", "reason"), [
    ('<div style="display:none"><a href="http://x.io">L</a></div>', "display:none"),
    ('<div style="DISPLAY: NONE !important"><a href="http://x.io">L</a></div>', "display:none"),
    ('<div style="visibility:hidden"><a href="http://x.io">L</a></div>', "visibility:hidden"),
    ('<p style="font-size:0"><a href="http://x.io">L</a></p>', "font-size:0"),
    ('<p style="font-size:1px"><a href="http://x.io">L</a></p>', "font-size:0"),
    ('<p style="font: 0px/0 Arial"><a href="http://x.io">L</a></p>', "font-size:0"),
    ('<div style="opacity:0"><a href="http://x.io">L</a></div>', "opacity:0"),
    ('<div style="height:0;overflow:hidden"><a href="http://x.io">L</a></div>', "height:0 with overflow:hidden"),
    ('<div style="position:absolute;left:-9999px"><a href="http://x.io">L</a></div>', "off-screen (left:-9999px)"),
    ('<div style="position:fixed;top:-5000px"><a href="http://x.io">L</a></div>', "off-screen (top:-5000px)"),
    ('<div style="text-indent:-9999px"><a href="http://x.io">L</a></div>', "off-screen (text-indent:-9999px)"),
    ('<div hidden><a href="http://x.io">L</a></div>', "hidden attribute"),
    ('<div aria-hidden="true" style="display:none"><a href="http://x.io">L</a></div>', "display:none + aria-hidden"),
    ('<div style="clip:rect(0 0 0 0);position:absolute"><a href="http://x.io">L</a></div>', "clip:rect(0 0 0 0)"),
    ('<div style="color:#fff"><a style="color:#ffffff" href="http://x.io">L</a></div>', "same colour as background"),
    ('<div style="background:#000"><a style="color:rgb(0,0,0)" href="http://x.io">L</a></div>',
     "same colour as background"),
    ('<table bgcolor="#FFFFFF"><tr><td><a style="color:white" href="http://x.io">L</a></td></tr></table>',
     "same colour as background"),
    ('<div style="background-color:hsl(0,0%,100%)"><font color="#FEFEFE"><span>'
     '<a style="color:inherit" href="http://x.io">L</a></span></font></div>', "same colour as background"),
    ('<div style="display:none"><div><div><ul><li><a href="http://x.io">L</a></li></ul></div></div></div>',
     "display:none"),
])
def test_hidden_by(markup, reason):
    assert hidden_links(markup) == {"L": reason}


@pytest.mark.parametrize("markup", [
    '<div><a href="http://x.io">L</a></div>',
    '<div aria-hidden="true"><a href="http://x.io">L</a></div>',  # aria-hidden alone hides nothing on screen
    '<div style="color:#fff"><a href="http://x.io">L</a></div>',  # a link keeps its own colour
    '<div style="visibility:hidden"><p style="visibility:visible"><a href="http://x.io">L</a></p></div>',
    '<p style="font-size:0"><span style="font-size:14px"><a href="http://x.io">L</a></span></p>',
    '<div style="position:relative;left:-20px"><a href="http://x.io">L</a></div>',
    '<div style="height:0"><a href="http://x.io">L</a></div>',  # overflow visible: still shown
    '<div style="background:#000;color:#fff"><a style="color:#eee" href="http://x.io">L</a></div>',
])
def test_visible(markup):
    assert hidden_links(markup) == {"L": ""}


def test_style_block_rules_with_descendant_and_child_selectors():
    html = """
    <style>
      /* spam */ .ft .x > a { display: none }
      #partners { position:absolute; left:-9999px }
      @media (max-width: 600px) { .mobile-hide { display: none } }
      a:hover { color: #fff }
      div.white a.w { color: white }
    </style>
    <div class="ft"><p class="x"><a href="http://a.io">A</a></p><p><a href="http://b.io">B</a></p></div>
    <div class="x"><a href="http://c.io">C</a></div>
    <div id="partners"><a href="http://d.io">D</a></div>
    <div class="mobile-hide"><a href="http://e.io">E</a></div>
    <div class="white"><a class="w" href="http://f.io">F</a><a href="http://g.io">G</a></div>
    """
    assert hidden_links(html) == {"A": "display:none", "B": "", "C": "", "D": "off-screen (left:-9999px)",
                                  "E": "", "F": "same colour as background", "G": ""}


def test_hidden_text_is_not_visible_text():
    page = extract_features('<body><p>Tin tức</p><div style="display:none">nhà cái uy tín</div><p>Kết thúc</p></body>',
                            "https://a.gov.vn/")
    assert "nhà cái" not in page.text
    assert page.text.split("\n") == ["Tin tức", "Kết thúc"]
    assert [(b.reason, b.text) for b in page.hidden_blocks] == [("display:none", "nhà cái uy tín")]


def test_css_parsing_helpers():
    assert hidden.declarations("color: Red; FONT-SIZE:0 !important; margin: 0") == {"color": "red", "font-size": "0"}
    rules = hidden.parse_css("@import url(x.css); a{color:red} @font-face{src:url(y)} p:hover{display:none}")
    assert [(r.chain[-1][1], r.decls) for r in rules] == [("a", {"color": "red"})]
    root = lxml.html.fromstring("<div><style>.a{display:none}</style><p class='a b'>x</p></div>")
    index = hidden.style_rules(root)
    p = root.find(".//p")
    assert hidden.merged_declarations(p, index, [root]) == {"display": "none"}


@pytest.mark.parametrize(("value", "rgb"), [
    ("#fff", (255, 255, 255)), ("#FFFFFF", (255, 255, 255)), ("white", (255, 255, 255)),
    ("rgb(255, 255, 255)", (255, 255, 255)), ("rgba(0,0,0,1)", (0, 0, 0)), ("rgb(100%, 0%, 0%)", (255, 0, 0)),
    ("hsl(120, 100%, 25%)", (0, 128, 0)), ("url(bg.png) #123456 repeat-x", (18, 52, 86)), ("Navy", (0, 0, 128)),
])
def test_colours(value, rgb):
    assert colours.parse(value)[:3] == rgb


def test_colour_edge_cases():
    assert colours.parse("transparent")[3] == 0.0
    assert colours.parse("inherit") is None
    assert colours.same(colours.parse("#fff"), colours.parse("#fafafa"))
    assert not colours.same(colours.parse("#fff"), colours.parse("#ddd"))
