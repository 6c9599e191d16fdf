"""HTML → ``PageFeatures``: everything the analysis compares, small enough to store as the baseline.

The page is parsed with lxml (its HTML parser) and never walked element by element in Python: the
contents of ``<noscript>``, ``<svg>``, … are dropped; the elements whose hidden state may differ from
their parent's (``hidden.py``: styled ones, links, frames, those the page's style rules select) are
looked at in document order, and where text turns hidden or visible again the element is marked;
then one libxslt pass (``render.py``) gives the text, split at the marks into the visible ``text``
and the text of ``hidden_blocks`` (one block per outermost hidden element), and the tag stream the
structure sketch is made of. Links are made absolute (``<base href>`` honoured) with session ids and
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

from lachan.core import tabular

from . import hidden, lexicon, render, scripts, similarity
from .defacement import find_markers

TEXT_MAX = 100_000  # characters of visible text kept
LINKS_MAX = 2_000
BLOCKS_MAX = 50
BLOCK_TEXT_MAX = 2_000
ENGINE_WINDOW = 300
FEATURES_VERSION = 2  # 2: words without digits/volatile words, tag-stream structure sketch

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
    script_signals: list = field(default_factory=list)  # suspicious inline script constructs (scripts.py)
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
    fast = _clean_plain(href, base)
    if fast is not None:
        return fast
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


_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_~!$&'()*+,=:@%/-]*(?:\.[A-Za-z0-9_~!$&'()*+,=:@%-]+)*/?")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*(?:&[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*)*")
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


@lru_cache(maxsize=4096)
def _origin(base):
    """``scheme://host`` (host lower-cased) of an http(s) base URL, or None."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _PLAIN_HOST.fullmatch(parts.netloc or "-"):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _clean_plain(href, base):
    """``clean_url`` without the URL library for the plain links most pages are made of (an absolute path,
    or an http(s) URL, with a plain path and a query of plain name=value pairs none of them a session or
    tracking parameter): the same result, without urljoin/urlsplit/parse_qsl/urlencode. None for any
    other link (the general way handles it)."""
    if href[0] == "/":
        if href[1:2] == "/":
            return None
        origin, rest = _origin(base), href
        if origin is None:
            return None
    elif href[:7].lower() == "http://" or href[:8].lower() == "https://":
        start = href.index("://") + 3
        slash = href.find("/", start)
        netloc = href[start:] if slash < 0 else href[start:slash]
        if not _PLAIN_HOST.fullmatch(netloc) or "?" in netloc or "#" in netloc:
            return None
        origin, rest = href[: start - 3].lower() + "://" + netloc.lower(), "" if slash < 0 else href[slash:]
    else:
        return None
    rest = rest.partition("#")[0]
    path, mark, query = rest.partition("?")
    if path and (not _PLAIN_PATH.fullmatch(path) or "/." in path or "//" in path):
        return None
    if query:
        if not _PLAIN_QUERY.fullmatch(query) or any(SESSION_PARAMS.match(pair.partition("=")[0])
                                                     for pair in query.split("&")):
            return None
        return f"{origin}{path}?{query}"
    return origin + path


@lru_cache(maxsize=16384)
def host_of(url):
    """The host name of a URL, lower case, without a trailing dot ("" when it has none)."""
    if url[:7].lower() == "http://" or url[:8].lower() == "https://":
        start = url.index("://") + 3
        end = min((i for i in (url.find("/", start), url.find("?", start), url.find("#", start)) if i >= 0),
                  default=len(url))
        netloc = url[start:end]
        if _PLAIN_HOST.fullmatch(netloc):
            return netloc.partition(":")[0].lower().rstrip(".")
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _tests_for_engines(code):
    """An inline script reads document.referrer or navigator.userAgent and names a search engine or a
    crawler close to it (within ``ENGINE_WINDOW`` characters: a script that reads the referrer for
    something else and shows Google ads further down does not count)."""
    for match in _CONDITIONAL.finditer(code):
        if _ENGINES.search(code, max(0, match.start() - ENGINE_WINDOW), match.end() + ENGINE_WINDOW):
            return True
    return False


def _text_of(el):
    """The text of an element and its descendants (not its tail)."""
    return lxml.etree.tostring(el, method="text", encoding=str, with_tail=False)


def _squash(text):
    """Blanks (newlines too) collapsed to one space, none at the ends."""
    return " ".join(text.split())


def extract_features(html, url, *, encoding=None):
    """Features of one fetched page (``html`` as bytes or text, ``url`` the final URL)."""
    features = PageFeatures(url=url, host=host_of(url))
    text = render.strip_reserved(_XML_DECL.sub("", decode_html(html, encoding)))
    if not text.strip():
        return features
    try:
        root = lxml.etree.fromstring(text, _PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return features
    if root is None:
        return features
    _Extractor(features, root, url).run()
    return features


# lxml.etree's own HTML parser: the same tree as lxml.html's, with plain elements (lxml.html looks up each
# element's class in Python, which costs more than all else this module does per element)
_PARSER = lxml.etree.HTMLParser()
_STATE_TAGS = frozenset({"a", "font", "iframe", "frame"})  # looked at whatever their attributes
_ALWAYS = ("//@style/.. | //@hidden/.. | //@bgcolor/.. | //@aria-hidden/.. | //a | //font[@color] | //iframe"
           " | //frame")


@lru_cache(maxsize=256)
def _candidates(subjects):
    """An XPath giving, in document order, the elements whose hidden state may differ from their parent's:
    those with a style, hidden, bgcolor or aria-hidden attribute, links, coloured ``<font>``, frames,
    and the elements the page's style rules may apply to (``subjects``)."""
    return lxml.etree.XPath(_ALWAYS + (" | " + subjects if subjects else ""))


class _Extractor:
    """One page: the tree is changed (containers emptied, region marks set) and then rendered once."""

    def __init__(self, features, root, url):
        self.f = features
        self.root = root
        base = root.find(".//base[@href]")
        self.base = urljoin(url, base.get("href")) if base is not None else url
        self.root_entry = (hidden.State(), None)
        self.states = {}  # element → (state, hidden block) of the elements looked at so far
        self.keys = {}  # element → element_keys of it and all its ancestors (a frozenset)
        self.root_region = None  # the region mark of the root element, when it is hidden

    def run(self):
        f, root = self.f, self.root
        title = root.find(".//title")
        f.title = _squash(_text_of(title)) if title is not None else ""
        for el in list(root.iter(*render.CONTAINERS)):  # <noscript>, <svg>, …: not the page's text or links
            el.text = None
            del el[:]
        inline = []
        for el in root.iter("script"):
            src = el.get("src")
            if src:
                src = clean_url(src, self.base)
                if src:
                    f.scripts.append(src)
            elif el.text:
                inline.append(el.text)
        self._counts()
        marked = self._states(hidden.style_rules(root))
        text, tags = render.render(root)
        self._text(text, marked)
        for code in inline:
            self._inline_script(code)
        tokens = similarity.words(f.text)
        f.word_count = len(tokens)
        f.text_sketch = similarity.sketch(tokens, similarity.TEXT_SHINGLE)
        f.dom_sketch = similarity.sketch(tags, similarity.DOM_SHINGLE)
        f.element_count = len(tags) // 2
        forms = lexicon.Forms(f.title + "\n" + f.text)  # folded once for the lexicon and the markers
        hits = lexicon.find_terms(forms.text, forms)
        f.gambling = lexicon.terms(hits)
        f.gambling_score = lexicon.score(hits)
        f.markers = find_markers(forms.text, forms.folded)

    def _counts(self):
        f = self.f
        for el in self.root.iter("meta", "img", "audio", "bgsound", "embed", "video", "marquee"):
            tag = el.tag
            if tag == "img":
                f.images += 1
            elif tag == "meta":
                if (el.get("http-equiv") or "").lower() == "refresh":
                    match = _REFRESH.match(el.get("content") or "")
                    target = clean_url(match.group(1), self.base) if match and match.group(1) else ""
                    f.meta_refresh = target or f.meta_refresh
            elif tag in ("audio", "bgsound"):
                f.audio += 1
            elif tag == "embed":
                src = (el.get("src") or "").lower()
                if src.endswith((".mp3", ".wav", ".ogg", ".m4a", ".mid", ".midi")):
                    f.audio += 1
            elif tag == "video":
                f.video += 1
            else:
                f.marquees += 1

    def _entry(self, el):
        """(state, block) of ``el``: its own when it was looked at, else its nearest looked-at ancestor's
        (every element between them is noted to have it too)."""
        states = self.states
        got = states.get(el)
        if got is not None:
            return got
        chain = [el]
        node = el.getparent()
        while node is not None:
            got = states.get(node)
            if got is not None:
                break
            chain.append(node)
            node = node.getparent()
        else:
            got = self.root_entry
        for node in chain:
            states[node] = got
        return got

    def _path_keys(self, el):
        """``element_keys`` of ``el`` and of all its ancestors (memoised per element)."""
        memo = self.keys
        got = memo.get(el)
        if got is not None:
            return got
        chain = []
        node = el
        while node is not None:
            got = memo.get(node)
            if got is not None:
                break
            chain.append(node)
            node = node.getparent()
        keys = got if got is not None else frozenset()
        for node in reversed(chain):
            keys = keys.union(hidden.element_keys(node))
            memo[node] = keys
        return keys

    def _states(self, index):
        """The hidden state of every candidate element, in document order; links and frames recorded;
        the elements where text turns hidden or visible again marked for ``render``. True when any was."""
        f, states, base = self.f, self.states, self.base
        blocks = f.hidden_blocks
        marked = False
        by_tag, by_id, class_keys = index.by_tag, index.by_id, index.by_class.keys()
        universal = bool(index.any.rules)
        link_states = {}  # parent state → the state of a link without style of its own
        for el in _candidates(index.subjects_xpath)(self.root):
            tag = el.tag
            get = el.get
            plain = get("style") is None and get("hidden") is None and get("bgcolor") is None \
                and get("aria-hidden") is None
            if plain and tag not in _STATE_TAGS and tag not in by_tag and not universal:
                # reached through its id or class: of interest only when a rule selects by it
                ident, classes = get("id"), get("class")
                if not ((ident is not None and ident in by_id)
                        or (classes and not class_keys.isdisjoint(classes.split()))):
                    continue
            parent = el.getparent()
            parent_state, parent_block = self._entry(parent) if parent is not None else self.root_entry

            def ancestors(el=el):
                return list(el.iterancestors())[::-1]

            def ancestor_keys(parent=parent):
                return self._path_keys(parent) if parent is not None else frozenset()

            decls = hidden.merged_declarations(el, index, ancestors, ancestor_keys)
            if tag == "a" and plain and not decls:
                state = link_states.get(parent_state)
                if state is None:
                    state = link_states[parent_state] = hidden.element_state(el, decls, parent_state)
            else:
                state = hidden.element_state(el, decls, parent_state)
            block = parent_block
            if state is not parent_state:
                if state.reason and not parent_state.reason:
                    if len(blocks) < BLOCKS_MAX:
                        block = HiddenBlock(reason=state.reason, tag=tag)
                        blocks.append(block)
                    marked = self._mark(el, str(blocks.index(block)) if block is not None else "-")
                elif parent_state.reason and not state.reason:
                    marked = self._mark(el, "v")
            states[el] = (state, block)
            if tag == "a":
                href = clean_url(get("href"), base)
                if href and len(f.links) < LINKS_MAX:
                    f.links.append(Link(href, host_of(href), _squash(_text_of(el))[:300],
                                        (get("rel") or "").lower(), state.reason or ""))
                    if block is not None and state.reason:
                        block.links.append(href)
            elif tag in ("iframe", "frame"):
                src = clean_url(get("src"), base)
                if src:
                    reason = state.reason or ""
                    if not reason and any((get(d) or "").strip() in ("0", "1", "0px", "1px")
                                          for d in ("width", "height")):
                        reason = "zero-size frame"
                    f.iframes.append(Link(src, host_of(src), "", "", reason))
        return marked

    def _mark(self, el, value):
        if not render.mark_region(el, value):
            self.root_region = value
        return True

    def _text(self, text, marked):
        """Visible text and hidden blocks' text from the rendered text."""
        f = self.f
        if self.root_region is not None:
            text = render.OPEN + self.root_region + render.OPEN_END + text + render.CLOSE
        if marked:
            visible, pieces = [], [[] for _ in f.hidden_blocks]
            for value, piece in render.regions(text):
                if not value or value == "v":
                    visible.append(piece)
                elif value != "-":
                    pieces[int(value)].append(piece)
            text = "".join(visible)
            for block, parts in zip(f.hidden_blocks, pieces, strict=True):
                block.text = " ".join(" ".join(parts).split())[:BLOCK_TEXT_MAX]
            f.hidden_blocks = [b for b in f.hidden_blocks if b.text or b.links]
        # one line per line of text, blanks inside a line collapsed to one space, no empty line
        f.text = "\n".join([" ".join(line.split()) for line in text.strip()[:TEXT_MAX].split("\n")
                             if line and not line.isspace()])

    def _inline_script(self, code):
        f = self.f
        for match in _JS_REDIRECT.finditer(code):
            target = clean_url(match.group(2) or match.group(4) or match.group(6), self.base)
            if target and target not in f.js_redirects:
                f.js_redirects.append(target)
        if not f.conditional_redirect and _tests_for_engines(code) and (_JS_REDIRECT.search(code)
                                                                        or "document.write" in code):
            f.conditional_redirect = True
        if len(f.script_signals) < scripts.SIGNALS_MAX:
            f.script_signals += scripts.signals(code)[: scripts.SIGNALS_MAX - len(f.script_signals)]
