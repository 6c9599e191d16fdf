"""HTML → ``PageFeatures``: everything the analysis compares, small enough to store as the baseline.

The page is parsed with lxml.html and walked once. Each element gets its hidden state (``hidden.py``);
visible text goes to ``text``, the text and links of hidden elements to ``hidden_blocks`` (one block per
outermost hidden element). Links are made absolute (``<base href>`` honoured) with session ids and
tracking parameters removed. Scripts and iframes keep their absolute ``src``; inline scripts are searched
for redirects (``location.href = …``, ``location.replace(…)``) and for referrer / user-agent tests (the
cloaking trick of showing spam only to search engines). ``<meta http-equiv=refresh>`` gives its target.
"""

import codecs
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from lachan.core import tabular

from . import hidden, lexicon, similarity
from .defacement import find_markers

TEXT_MAX = 100_000  # characters of visible text kept
LINKS_MAX = 2_000
BLOCKS_MAX = 50
BLOCK_TEXT_MAX = 2_000
FEATURES_VERSION = 1

SKIP = frozenset({"script", "style", "noscript", "template", "title", "svg", "math", "object"})
BLOCK = frozenset({"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                   "article", "header", "footer", "nav", "ul", "ol", "table", "form", "blockquote", "dd",
                   "dt", "aside", "main", "pre", "hr", "option", "figcaption", "marquee", "center"})
SESSION_PARAMS = re.compile(r"^(?:sid|sessionid|session_id|session|phpsessid|jsessionid|aspsessionid\w*|"
                            r"token|csrf\w*|_token|__requestverificationtoken|utm_\w+|fbclid|gclid|_ga|ver|v|"
                            r"cb|_|t|ts|timestamp|nocache|rand)$", re.I)
_PATH_SESSION = re.compile(r";(?:jsessionid|sid|phpsessid)=[^/?#]*", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_REFRESH = re.compile(r"""^\s*\d*\.?\d*\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^'"]*)""", re.I)
_JS_REDIRECT = re.compile(
    r"""(?:(?:window|document|top|self|parent)\s*\.\s*)?location(?:\s*\.\s*href)?\s*=\s*(['"`])([^'"`]{1,500})\1"""
    r"""|location\s*\.\s*(?:replace|assign)\s*\(\s*(['"`])([^'"`]{1,500})\3"""
    r"""|window\s*\.\s*open\s*\(\s*(['"`])([^'"`]{1,500})\5""", re.I)
_CONDITIONAL = re.compile(r"document\s*\.\s*referrer|navigator\s*\.\s*userAgent", re.I)
_ENGINES = re.compile(r"google|bing|yahoo|coccoc|baidu|yandex|duckduckgo|bot|spider|crawl", re.I)
# [ \t]+ → " ", leaving alone the runs that are one space already (most of them)
_BLANKS = re.compile(r"[ \t]{2,}|\t")
_NEWLINES = re.compile(r"\s*\n\s*")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u3000]+")


@dataclass
class Link:
    href: str
    host: str
    text: str = ""
    rel: str = ""
    hidden: str = ""  # why it is hidden, "" when visible


@dataclass
class HiddenBlock:
    reason: str
    tag: str
    text: str = ""
    links: list = field(default_factory=list)  # hrefs


@dataclass
class PageFeatures:
    url: str
    host: str = ""
    title: str = ""
    text: str = ""
    word_count: int = 0
    text_sketch: list = field(default_factory=list)
    dom_sketch: list = field(default_factory=list)
    element_count: int = 0
    links: list = field(default_factory=list)  # Link
    scripts: list = field(default_factory=list)  # absolute src URLs
    iframes: list = field(default_factory=list)  # Link (href = src, text = "")
    meta_refresh: str = ""
    js_redirects: list = field(default_factory=list)
    conditional_redirect: bool = False  # an inline script tests document.referrer/userAgent for engines
    images: int = 0
    audio: int = 0
    video: int = 0
    marquees: int = 0
    hidden_blocks: list = field(default_factory=list)  # HiddenBlock
    gambling: dict = field(default_factory=dict)  # lexicon term → count in the visible text and title
    gambling_score: int = 0
    markers: list = field(default_factory=list)  # defacement markers in the visible text and title
    version: int = FEATURES_VERSION

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["links"] = [Link(**x) for x in data.get("links", ())]
        data["iframes"] = [Link(**x) for x in data.get("iframes", ())]
        data["hidden_blocks"] = [HiddenBlock(**x) for x in data.get("hidden_blocks", ())]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def decode_html(data, encoding=None):
    """Page bytes → text: UTF-8 whenever the bytes are valid UTF-8, whatever is declared (many Vietnamese
    sites declare a charset they do not use, and valid non-ASCII UTF-8 is never an accident); else the HTTP
    charset (``encoding``) when it names a codec; else a BOM or ``<meta charset>``; else charset-normalizer's
    guess (``core.tabular.decode_text``). Never fails: undecodable bytes become U+FFFD (a defaced page may
    be anything)."""
    if isinstance(data, str):
        return data
    declared = _declared(data)
    if declared not in ("utf-8-sig", "utf-16"):
        try:
            return tabular.normalise_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    for candidate in (encoding, declared):
        if candidate:
            try:
                codecs.lookup(candidate)
            except LookupError:
                continue
            return tabular.normalise_text(data.decode(candidate, errors="replace").removeprefix("\ufeff"))
    try:
        return tabular.decode_text(data)
    except (tabular.TabularError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def _declared(data):
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


@lru_cache(maxsize=16384)  # pure; a site's pages (and each check of it) repeat most links
def clean_url(href, base):
    """Absolute URL without fragment, session ids or tracking parameters; "" for javascript:/mailto:/#."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return ""
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https"):
        return ""
    query = parts.query
    if query:
        query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                           if not SESSION_PARAMS.match(k)])
    path = _PATH_SESSION.sub("", parts.path)
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, query, ""))


@lru_cache(maxsize=16384)
def host_of(url):
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _squash(text):
    return _SPACES.sub(" ", text).strip()


def extract_features(html, url, *, encoding=None):
    """Features of one fetched page (``html`` as bytes or text, ``url`` the final URL)."""
    features = PageFeatures(url=url, host=host_of(url))
    text = _XML_DECL.sub("", decode_html(html, encoding))
    if not text.strip():
        return features
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return features
    _Walker(features, root, url).run()
    return features


class _Walker:
    def __init__(self, features, root, url):
        self.f = features
        self.root = root
        base = root.find(".//base[@href]")
        self.base = urljoin(url, base.get("href")) if base is not None else url
        self.rules = hidden.style_rules(root)
        self.visible, self.visible_len = [], 0
        self.dom_tokens = []
        self.scripts = []

    def run(self):
        f = self.f
        title = self.root.find(".//title")
        f.title = _squash(title.text_content()) if title is not None else ""
        self._walk()
        for script in self.scripts:
            self._inline_script(script)
        f.text = "".join(self.visible).strip()[:TEXT_MAX]
        f.text = _NEWLINES.sub("\n", _BLANKS.sub(" ", f.text))
        tokens = similarity.words(f.text)
        f.word_count = len(tokens)
        f.text_sketch = similarity.sketch(tokens, similarity.TEXT_SHINGLE)
        f.dom_sketch = similarity.sketch(self.dom_tokens, similarity.DOM_SHINGLE)
        f.element_count = len(self.dom_tokens)
        forms = lexicon.Forms(f.title + "\n" + f.text)  # folded once for the lexicon and the markers
        hits = lexicon.find_terms(forms.text, forms)
        f.gambling = lexicon.terms(hits)
        f.gambling_score = lexicon.score(hits)
        f.markers = find_markers(forms.text, forms.folded)

    def _emit(self, text, state, block):
        if not text:
            return
        if state.reason:
            if block is not None and len(block.text) < BLOCK_TEXT_MAX:
                block.text = (block.text + " " + _squash(text)).strip()[:BLOCK_TEXT_MAX]
        elif self.visible_len < TEXT_MAX:
            self.visible.append(text)
            self.visible_len += len(text)

    def _walk(self):
        root_state = hidden.State()
        rules = self.rules
        emit = self._emit
        ancestors = []
        keys = {}  # element_keys of the ancestors → how many ancestors have it (absent when none)
        # stack items: (element, parent state, block); an item of None closes the top element
        stack = [(self.root, root_state, None)]
        open_elements = []  # (element, state, block, its element_keys, is a block) of the elements being walked
        while stack:
            item = stack.pop()
            if item is None:
                el, state, block, el_keys, is_block = open_elements.pop()
                ancestors.pop()
                for key in el_keys:
                    if keys[key] == 1:
                        del keys[key]
                    else:
                        keys[key] -= 1
                if is_block:
                    emit("\n", state, None)
                if el.tail:
                    parent_state, parent_block = (open_elements[-1][1], open_elements[-1][2]) if open_elements \
                        else (root_state, None)
                    emit(el.tail, parent_state, parent_block)
                continue
            el, parent_state, parent_block = item
            tag = el.tag
            if not isinstance(tag, str):  # comment or processing instruction: only its tail counts
                if el.tail:
                    emit(el.tail, parent_state, parent_block)
                continue
            tag = tag.lower()
            decls = hidden.merged_declarations(el, rules, ancestors, keys)
            state = hidden.element_state(el, decls, parent_state)
            block = parent_block
            if state.reason and not parent_state.reason and len(self.f.hidden_blocks) < BLOCKS_MAX:
                block = HiddenBlock(reason=state.reason, tag=tag)
                self.f.hidden_blocks.append(block)
            self._element(el, tag, state, block, ancestors)
            if tag in SKIP:
                if el.tail:
                    emit(el.tail, parent_state, parent_block)
                continue
            el_keys = hidden.element_keys(el)
            is_block = tag in BLOCK
            open_elements.append((el, state, block, el_keys, is_block))
            ancestors.append(el)
            for key in el_keys:
                keys[key] = keys.get(key, 0) + 1
            if is_block:
                emit("\n", state, None)
            if el.text:
                emit(el.text, state, block)
            stack.append(None)
            if len(el):
                stack.extend((child, state, block) for child in reversed(el))
        self.f.hidden_blocks = [b for b in self.f.hidden_blocks if b.text or b.links]

    def _element(self, el, tag, state, block, ancestors):
        f = self.f
        # ancestors are elements (comments are never pushed), so every a.tag is a string
        self.dom_tokens.append("/".join([*(a.tag for a in ancestors[-2:]), tag]))
        if tag == "a":
            href = clean_url(el.get("href"), self.base)
            if href and len(f.links) < LINKS_MAX:
                f.links.append(Link(href, host_of(href), _squash(el.text_content())[:300],
                                    (el.get("rel") or "").lower(), state.reason or ""))
                if block is not None and state.reason:
                    block.links.append(href)
        elif tag == "script":
            src = el.get("src")
            if src:
                src = clean_url(src, self.base)
                if src:
                    f.scripts.append(src)
            elif el.text:
                self.scripts.append(el.text)
        elif tag in ("iframe", "frame"):
            src = clean_url(el.get("src"), self.base)
            if src:
                reason = state.reason or ""
                if not reason and any((el.get(d) or "").strip() in ("0", "1", "0px", "1px") for d in ("width", "height")):
                    reason = "zero-size frame"
                f.iframes.append(Link(src, host_of(src), "", "", reason))
        elif tag == "meta":
            if (el.get("http-equiv") or "").lower() == "refresh":
                match = _REFRESH.match(el.get("content") or "")
                target = clean_url(match.group(1), self.base) if match and match.group(1) else ""
                f.meta_refresh = target or f.meta_refresh
        elif tag == "img":
            f.images += 1
        elif tag in ("audio", "bgsound"):
            f.audio += 1
        elif tag == "embed":
            src = (el.get("src") or "").lower()
            if src.endswith((".mp3", ".wav", ".ogg", ".m4a", ".mid", ".midi")):
                f.audio += 1
        elif tag == "video":
            f.video += 1
        elif tag == "marquee":
            f.marquees += 1

    def _inline_script(self, code):
        f = self.f
        for match in _JS_REDIRECT.finditer(code):
            target = clean_url(match.group(2) or match.group(4) or match.group(6), self.base)
            if target and target not in f.js_redirects:
                f.js_redirects.append(target)
        if _CONDITIONAL.search(code) and _ENGINES.search(code) and (_JS_REDIRECT.search(code)
                                                                    or "document.write" in code):
            f.conditional_redirect = True
