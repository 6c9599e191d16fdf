"""Which elements a visitor cannot see, from inline ``style`` attributes and the page's ``<style>`` blocks.

Not a browser: external style sheets are not fetched, ``@media``/``@supports`` blocks are ignored (the
default desktop view), selectors with pseudo-classes or attribute tests are skipped, and rules apply in
specificity order, then source order, inline styles last (``!important`` is not ranked). That is enough
for the hiding tricks injected spam uses:

* ``display:none``, ``visibility:hidden|collapse`` (a child may set ``visibility:visible`` again),
  ``opacity:0``, the ``hidden`` attribute;
* ``font-size`` ≤ 1px (0, 0.1em, 1pt; a child may set a readable size again);
* ``height``/``width``/``max-height`` ≤ 1px with ``overflow:hidden``, ``clip: rect(0 0 0 0)``,
  ``clip-path: inset(50%)``, ``transform: scale(0)``;
* off-screen: ``left``/``top``/``right``/``margin-left``/``margin-top`` ≤ -500px (or ≤ -100%/vw/em
  equivalents) on a positioned element, ``text-indent`` ≤ -500px, ``translate(-9999px)``;
* text the same colour as the background behind it (``color`` against the nearest ``background``,
  ``background-color`` or ``bgcolor``, white when none), named, hex, rgb() and hsl() forms alike; a link
  keeps the browser's link colour unless a rule or its own style sets one;
* ``aria-hidden="true"`` is noted with those reasons, and does not hide anything by itself.

What an ancestor hides stays hidden (``walk`` passes the reason down).
"""

import re
from functools import lru_cache

from . import colours

HIDING_PROPERTIES = frozenset({
    "display", "visibility", "opacity", "font-size", "font", "height", "width", "max-height", "max-width",
    "overflow", "overflow-x", "overflow-y", "position", "left", "top", "right", "margin-left", "margin-top",
    "text-indent", "clip", "clip-path", "transform", "color", "background", "background-color",
})
OFFSCREEN_PX = -500
LINK_COLOUR = (0, 0, 238, 1.0)
WHITE = (255, 255, 255, 1.0)

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
# every hiding-related property name ends in one of these words: a body without any cannot matter
_ANY_PROPERTY = re.compile(r"(?i)display|visibility|opacity|font|height|width|overflow|position|left|top|right|"
                           r"margin|indent|clip|transform|color|background")
_BRACES = re.compile(r"[{}]")
_TAG_NAME = re.compile(r"[a-z][a-z0-9]*")
_NAME = re.compile(r"[-\w]+")
_XPATH_KEYS_MAX = 12
_COMPOUND = re.compile(r"^(?P<tag>[a-z][a-z0-9]*|\*)?(?P<rest>(?:[#.][-\w]+)*)$", re.I)
_LENGTH = re.compile(r"(-?\d*\.?\d+)\s*(px|em|rem|pt|%|vw|vh|cm|mm|in)?")
_UNIT_PX = {None: 1.0, "px": 1.0, "em": 16.0, "rem": 16.0, "pt": 4 / 3, "cm": 37.8, "mm": 3.78, "in": 96.0,
            "%": 10.0, "vw": 10.0, "vh": 10.0}  # -100% / -100vw count as -1000px: off-screen


@lru_cache(maxsize=8192)  # inline styles and rule bodies repeat across a site's pages and checks
def declarations(style):
    """``"color: red; DISPLAY:none !important"`` → {"color": "red", "display": "none"} (hiding-related only).
    The dict is shared between callers (memoised): never change it."""
    out = {}
    if not _ANY_PROPERTY.search(style):
        return out
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        if name in HIDING_PROPERTIES:
            out[name] = value.replace("!important", "").strip().lower()
    return out


def element_keys(el):
    """What an element offers to selectors: its tag, ``#id`` and ``.class`` keys."""
    keys = [el.tag]
    ident = el.get("id")
    if ident:
        keys.append("#" + ident)
    classes = el.get("class")
    if classes:
        keys.extend("." + c for c in classes.split())
    return keys


def _key(compound):
    _, tag, ident, classes = compound
    if ident:
        return "#" + ident
    if classes:
        return "." + min(classes)
    return None if tag == "*" else tag


class Rule:
    __slots__ = ("chain", "decls", "keys", "order", "required", "specificity")

    def __init__(self, chain, decls, order):
        self.chain = chain  # compounds, last one the subject: [(combinator, tag, id, classes)]
        self.decls = decls
        self.order = order
        # required: one key per ancestor compound: a rule whose keys are not all among the element's
        # ancestors cannot match (the "bloom filter" browsers use), which spares walking up for most rules;
        # keys: every #id and .class the rule needs, so rules naming one the page lacks are dropped at once
        self.required, self.keys, weights = _chain_info(chain)
        self.specificity = (*weights, order)


@lru_cache(maxsize=16384)
def _chain_info(chain):
    required = tuple(k for k in map(_key, chain[:-1]) if k)
    keys = frozenset(["#" + c[2] for c in chain if c[2]] + ["." + cls for c in chain for cls in c[3]])
    ids = sum(1 for c in chain if c[2])
    classes = sum(len(c[3]) for c in chain)
    tags = sum(1 for c in chain if c[1] not in (None, "*"))
    return required, keys, (ids, classes, tags)


def _strip_at_blocks(css):
    """CSS without @media/@supports/@keyframes/… blocks and without @import lines."""
    if "@" not in css:
        return css
    out, i, n = [], 0, len(css)
    while i < n:
        at = css.find("@", i)
        if at < 0:
            out.append(css[i:])
            break
        out.append(css[i:at])
        brace, semi = css.find("{", at), css.find(";", at)
        if brace < 0 or (0 <= semi < brace):
            i = n if semi < 0 else semi + 1
            continue
        depth, i = 1, n
        for match in _BRACES.finditer(css, brace + 1):
            depth += 1 if match.group() == "{" else -1
            if not depth:
                i = match.end()
                break
    return "".join(out)


@lru_cache(maxsize=16384)  # frameworks and a site's pages share their selectors
def _parse_selector(selector):
    """A selector → its chain of compounds (a tuple), or None when it uses what is not handled."""
    tokens = selector.replace(">", " > ").split()
    chain, combinator = [], " "
    for token in tokens:
        if token == ">":
            combinator = ">"
            continue
        match = _COMPOUND.match(token)
        if not match:
            return None  # pseudo-classes, attribute tests, sibling combinators: not handled
        rest = match.group("rest")
        ids = re.findall(r"#([-\w]+)", rest)
        classes = frozenset(re.findall(r"\.([-\w]+)", rest))
        tag = (match.group("tag") or "*").lower()
        chain.append((combinator, tag, ids[0] if ids else None, classes))
        combinator = " "
    return tuple(chain) or None


def parse_css(css, start=0):
    """Rules of a style sheet that touch a hiding-related property."""
    return [Rule(chain, declarations(body), order) for order, chain, _, body in _selectors(css, start)
            if declarations(body)]


@lru_cache(maxsize=256)  # a site's pages, and every check of them, carry the same <style> blocks
def _selectors(css, start):
    """(order, chain, keys, body) of every selector the sheet's rule blocks name, when the block's body
    may hold a hiding-related property: its declarations are read only for the rules a page can use."""
    out = []
    if "/*" in css:
        css = _COMMENT.sub("", css)
    css = _strip_at_blocks(css)
    for order, block in enumerate(css.split("}"), start):
        selectors, sep, body = block.partition("{")
        if not sep or not _ANY_PROPERTY.search(body):
            continue
        for selector in selectors.split(","):
            chain = _parse_selector(selector.strip())
            if chain:
                out.append((order, chain, _chain_info(chain)[1], body))
    return tuple(out)


class _Bucket:
    """The rules of one subject key, in source order. Rules with ancestor keys (``Rule.required``) are also
    grouped by their last one, so an element looks only at the groups its ancestors offer (a page with
    hundreds of ``.x .y > a`` rules no longer tests each of them on every link)."""

    __slots__ = ("free", "keyed", "rules")

    def __init__(self):
        self.rules = []

    def finish(self):
        self.free = [i for i, rule in enumerate(self.rules) if not rule.required]
        self.keyed = {}
        for i, rule in enumerate(self.rules):
            if rule.required:
                self.keyed.setdefault(rule.required[-1], []).append(i)

    def candidates(self, ancestor_keys):
        """The rules whose ancestor keys are all among ``ancestor_keys`` (all rules when it is None), in
        source order."""
        rules = self.rules
        if ancestor_keys is None or not self.keyed:
            return rules
        if callable(ancestor_keys):
            ancestor_keys = ancestor_keys()
        keyed = self.keyed
        picked = list(self.free)
        groups = ((keyed[k] for k in ancestor_keys if k in keyed) if len(ancestor_keys) < len(keyed)
                  else (group for k, group in keyed.items() if k in ancestor_keys))
        for group in groups:
            picked += [i for i in group if all(k in ancestor_keys for k in rules[i].required)]
        if not picked:
            return ()
        picked.sort()
        return [rules[i] for i in picked]


class RuleIndex:
    """Rules keyed by their subject's id, classes or tag, so each element looks at a few rules only."""

    def __init__(self, rules):
        self.by_id, self.by_class, self.by_tag, self.any = {}, {}, {}, _Bucket()
        for rule in rules:
            _, tag, ident, classes = rule.chain[-1]
            if ident:
                bucket = self.by_id.setdefault(ident, _Bucket())
            elif classes:
                bucket = self.by_class.setdefault(next(iter(sorted(classes))), _Bucket())
            elif tag != "*":
                bucket = self.by_tag.setdefault(tag, _Bucket())
            else:
                bucket = self.any
            bucket.rules.append(rule)
        for bucket in [self.any, *self.by_id.values(), *self.by_class.values(), *self.by_tag.values()]:
            bucket.finish()
        self.empty = not rules

    def matching(self, el, ancestors, ancestor_keys=None):
        """Rules matching ``el`` (its ``ancestors`` from the root down; ``ancestor_keys``, when given, holds
        the ``element_keys`` of those ancestors), least specific first. Either may be a function giving
        it, called only when a rule needs it."""
        if self.empty:
            return []
        candidates = list(self.any.candidates(ancestor_keys)) if self.any.rules else []
        bucket = self.by_tag.get(el.tag)
        if bucket is not None:
            candidates += bucket.candidates(ancestor_keys)
        ident = el.get("id")
        if ident:
            bucket = self.by_id.get(ident)
            if bucket is not None:
                candidates += bucket.candidates(ancestor_keys)
        classes = el.get("class")
        classes = frozenset(classes.split()) if classes else frozenset()
        for cls in classes:
            bucket = self.by_class.get(cls)
            if bucket is not None:
                candidates += bucket.candidates(ancestor_keys)
        if not candidates:
            return []
        if callable(ancestors) and any(len(r.chain) > 1 for r in candidates):
            ancestors = ancestors()
        found = [r for r in candidates if _matches(r.chain, el, classes, ancestors)]
        found.sort(key=lambda r: r.specificity)
        return found

    @property
    def subjects_xpath(self):
        """An XPath union of the elements a rule may apply to (by tag, or any element with an id or a
        class when rules select by those), or "" when the index is empty; "//*" with universal rules."""
        if self.empty:
            return ""
        if self.any.rules:
            return "//*"
        parts = [f"//{tag}" for tag in sorted(self.by_tag) if _TAG_NAME.fullmatch(tag)]
        for attribute, keys in (("id", self.by_id), ("class", self.by_class)):
            if not keys:
                continue
            if len(keys) <= _XPATH_KEYS_MAX and all(_NAME.fullmatch(k) for k in keys):
                # a substring test in C (the exact test is made on what it returns) spares making a Python
                # object of every element with an id or a class
                tests = " or ".join(f"contains(., '{k}')" for k in sorted(keys))
                parts.append(f"//@{attribute}[{tests}]/..")
            else:
                parts.append(f"//@{attribute}/..")
        return " | ".join(parts)


def _compound_matches(compound, el, classes=None):
    _, tag, ident, need = compound
    if tag != "*" and el.tag != tag:
        return False
    if ident and el.get("id") != ident:
        return False
    if need:
        if classes is None:
            value = el.get("class")
            classes = frozenset(value.split()) if value else frozenset()
        return need <= classes
    return True


def _matches(chain, el, classes, ancestors):
    if not _compound_matches(chain[-1], el, classes):
        return False
    if len(chain) == 1:
        return True
    position = len(ancestors)  # ancestors[position - 1] is the parent
    for index in range(len(chain) - 2, -1, -1):
        combinator = chain[index + 1][0]
        if combinator == ">":
            if position == 0 or not _compound_matches(chain[index], ancestors[position - 1]):
                return False
            position -= 1
        else:
            while position > 0 and not _compound_matches(chain[index], ancestors[position - 1]):
                position -= 1
            if position == 0:
                return False
            position -= 1
    return True


def _px(value):
    match = _LENGTH.match(value.strip()) if value else None
    if not match:
        return None
    return float(match.group(1)) * _UNIT_PX[match.group(2)]


def _tiny(value):
    px = _px(value)
    return px is not None and px <= 1.0


def _font_size(decls):
    if "font-size" in decls:
        return decls["font-size"]
    font = decls.get("font")
    if font:
        match = re.search(r"(\d*\.?\d+)(px|em|rem|pt|%)?\s*(?:/|\s)", font + " ")
        return match.group(0).strip(" /") if match else None
    return None


class State:
    """What a visitor sees of an element: ``reason`` is why it is hidden (None when visible)."""

    __slots__ = ("aria", "background", "colour", "fixed", "invisible", "reason", "tiny")

    def __init__(self, fixed=None, invisible=False, tiny=False, colour=None, background=WHITE, aria=False):
        self.aria = aria  # inside aria-hidden="true"
        self.fixed = fixed  # a reason no descendant can undo (display:none, off-screen, …)
        self.invisible = invisible  # visibility:hidden (a descendant may undo it)
        self.tiny = tiny  # font size ≤ 1px (a descendant may set a readable size)
        self.colour = colour
        self.background = background
        self.reason = None


_COLOUR_ONLY = frozenset({"color", "background", "background-color"})


def _fixed_reason(el, decls):
    if el.get("hidden") is not None:
        return "hidden attribute"
    if decls.get("display", "").startswith("none"):
        return "display:none"
    try:
        if "opacity" in decls and float(decls["opacity"].rstrip("%") or 1) <= 0.05:
            return "opacity:0"
    except ValueError:
        pass
    overflow = " ".join(decls.get(k, "") for k in ("overflow", "overflow-x", "overflow-y"))
    if "hidden" in overflow or "clip" in overflow:
        for prop in ("height", "width", "max-height", "max-width"):
            if prop in decls and _tiny(decls[prop]):
                return f"{prop}:{decls[prop]} with overflow:hidden"
    if len(decls) <= 2 and not decls.keys() - _COLOUR_ONLY:
        return None  # colours only: nothing below applies
    clip = decls.get("clip", "")
    if clip.startswith("rect") and all((_px(n) or 0) <= 1 for n in re.findall(r"-?\d*\.?\d+\w*", clip)):
        return "clip:rect(0 0 0 0)"
    if "clip-path" in decls and re.search(r"inset\(\s*(50|100)%", decls["clip-path"]):
        return "clip-path:inset"
    transform = decls.get("transform", "")
    if transform and re.search(r"scale[xy]?\(\s*0(\.0+)?\s*[,)]", transform):
        return "transform:scale(0)"
    for shift in re.findall(r"translate[xy]?\(\s*(-\d[^,)]*)", transform):
        if (_px(shift) or 0) <= OFFSCREEN_PX:
            return "off-screen (transform)"
    positioned = decls.get("position", "") in ("absolute", "fixed", "relative")
    for prop in ("left", "top", "right", "margin-left", "margin-top"):
        if prop in decls and (positioned or prop.startswith("margin")):
            px = _px(decls[prop])
            if px is not None and px <= OFFSCREEN_PX:
                return f"off-screen ({prop}:{decls[prop]})"
    if "text-indent" in decls:
        px = _px(decls["text-indent"])
        if px is not None and px <= OFFSCREEN_PX:
            return f"off-screen (text-indent:{decls['text-indent']})"
    return None


def element_state(el, decls, parent):
    """The state of ``el`` given its merged declarations and its parent's state."""
    if not decls and el.tag not in ("a", "font") and el.get("hidden") is None and el.get("bgcolor") is None \
            and (parent.aria or el.get("aria-hidden", "").lower() != "true"):
        # nothing of its own: every field, and so the reason, is its parent's (states are never changed
        # once made, so the parent's object is shared)
        return parent
    state = State(parent.fixed, parent.invisible, parent.tiny, parent.colour, parent.background,
                  parent.aria or el.get("aria-hidden", "").lower() == "true")
    if state.fixed is None:
        state.fixed = _fixed_reason(el, decls)
    visibility = decls.get("visibility")
    if visibility:
        state.invisible = visibility.startswith(("hidden", "collapse"))
    size = _font_size(decls)
    if size:
        state.tiny = _tiny(size)
    colour = decls.get("color") or (el.get("color") if el.tag == "font" else None)
    if el.tag == "a" and not colour:
        state.colour = LINK_COLOUR
    elif colour and colour != "inherit":
        state.colour = colours.parse(colour) or state.colour
    background = decls.get("background-color") or decls.get("background") or el.get("bgcolor")
    if background:
        parsed = colours.parse(background)
        if parsed and parsed[3] > 0.5:
            state.background = parsed
    if state.fixed:
        state.reason = state.fixed
    elif state.invisible:
        state.reason = f"visibility:{visibility or 'hidden'}" if visibility else "visibility:hidden"
    elif state.tiny:
        state.reason = "font-size:0"
    elif state.colour is not None and colours.same(state.colour, state.background):
        state.reason = "same colour as background"
    if state.reason and state.aria:
        state.reason += " + aria-hidden"
    return state


def style_rules(root):
    """The hiding-related rules of every ``<style>`` block of a document, less those that need an id or a
    class no element of the document has (most of a theme's rules, on any one page)."""
    sheets = tuple(style.text or "" for style in root.iter("style"))
    needed = _rule_keys(sheets)
    if not needed:
        return _rule_index(sheets, frozenset())
    classes = set(" ".join(root.xpath("//@class")).split())
    ids = set(root.xpath("//@id"))
    missing = frozenset(k for k in needed if k[1:] not in (classes if k[0] == "." else ids))
    return _rule_index(sheets, missing)


def _sheet_selectors(sheets):
    for index, css in enumerate(sheets):
        yield from _selectors(css, index * 1_000_000)


@lru_cache(maxsize=256)
def _rule_keys(sheets):
    """Every #id and .class the rules of these sheets need."""
    return frozenset().union(*(keys for _, _, keys, _ in _sheet_selectors(sheets)))


@lru_cache(maxsize=256)  # a site's pages, and every check of them, carry the same <style> blocks
def _rule_index(sheets, missing):
    rules = [Rule(chain, declarations(body), order) for order, chain, keys, body in _sheet_selectors(sheets)
             if keys.isdisjoint(missing) and declarations(body)]
    return RuleIndex(rules)


_NO_DECLARATIONS = {}  # shared: never changed


def merged_declarations(el, index, ancestors, ancestor_keys=None):
    """The hiding-related declarations that apply to ``el``: matching rules, then its ``style``. The dict
    may be shared (memoised): never change it."""
    rules = index.matching(el, ancestors, ancestor_keys)
    inline = el.get("style")
    if not rules:
        return declarations(inline) if inline else _NO_DECLARATIONS
    decls = {}
    for rule in rules:
        decls.update(rule.decls)
    if inline:
        decls.update(declarations(inline))
    return decls
