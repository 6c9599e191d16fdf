"""A parsed page → its text and its tag stream, in one libxslt pass (C speed: no Python per element).

``render(root)`` returns ``(text, tags)``:

* ``text``: every text node in document order, a newline before and after each block element, nothing
  from ``SKIP`` elements, comments or processing instructions. ``mark_region(el, value)`` wraps an element
  in markers (``OPEN`` + value + ``OPEN_END`` before it, ``CLOSE`` after it: the caller marks the elements
  where the hidden state changes); ``regions()`` splits the text at them.
* ``tags``: the element names in document order, each followed by its descendants and then ``/`` (a
  bracketed serialisation of the tree's shape: what the structure sketch is made of).

The characters used as markers are Unicode noncharacters; ``strip_reserved`` removes them from a page's
text before parsing, so a page cannot forge a marker.
"""

import re

import lxml.etree

SKIP = frozenset({"script", "style", "noscript", "template", "title", "svg", "math", "object"})
# elements that may hold other elements, cleared by the caller before rendering (``CONTAINERS``)
CONTAINERS = ("noscript", "template", "svg", "math", "object")
BLOCK = frozenset({"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                   "article", "header", "footer", "nav", "ul", "ol", "table", "form", "blockquote", "dd",
                   "dt", "aside", "main", "pre", "hr", "option", "figcaption", "marquee", "center"})
OPEN, OPEN_END, CLOSE, STREAMS = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3"
_RESERVED_CHARS = OPEN + OPEN_END + CLOSE + STREAMS
_RESERVED = re.compile(f"[{_RESERVED_CHARS}]")
_MARKERS = re.compile("\ufdd0([^\ufdd1]*)\ufdd1|\ufdd2")

_STYLESHEET = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="utf-8"/>
<xsl:template match="/">
  <xsl:apply-templates select="node()" mode="text"/>
  <xsl:text>{STREAMS}</xsl:text>
  <xsl:apply-templates select="*" mode="tags"/>
</xsl:template>
<xsl:template match="{"|".join(sorted(SKIP))}|comment()|processing-instruction()" mode="text"/>
<xsl:template match="{"|".join(sorted(BLOCK))}" mode="text">
  <xsl:text>&#10;</xsl:text><xsl:apply-templates mode="text"/><xsl:text>&#10;</xsl:text>
</xsl:template>
<xsl:template match="*" mode="tags">
  <xsl:value-of select="name()"/><xsl:text> </xsl:text><xsl:apply-templates select="*" mode="tags"/>
  <xsl:text>/ </xsl:text>
</xsl:template>
</xsl:stylesheet>"""
_TRANSFORM = lxml.etree.XSLT(lxml.etree.fromstring(_STYLESHEET))


def strip_reserved(text):
    """``text`` without the characters ``render`` uses as markers."""
    return _RESERVED.sub("", text) if any(c in text for c in _RESERVED_CHARS) else text


def mark_region(el, value):
    """Wrap ``el`` in region markers: the open marker goes at the end of the text before it (its previous
    sibling's tail, or its parent's text), the close marker at the start of its tail, so the newlines a
    block element gets fall inside its region. The root element cannot be marked (returns False)."""
    parent = el.getparent()
    if parent is None:
        return False
    marker = OPEN + value + OPEN_END
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + marker
    else:
        parent.text = (parent.text or "") + marker
    el.tail = CLOSE + (el.tail or "")
    return True


def render(root):
    """``(text, tags)`` of a parsed page (see the module docstring); ``tags`` is a list of strings."""
    out = str(_TRANSFORM(root))
    text, _, tags = out.partition(STREAMS)
    return text, tags.split()


def regions(text):
    """Split a rendered text at its region markers: ``[(value, text), …]`` in document order, where value
    is the innermost enclosing region's value ("" outside every region). Adjacent pieces may
    share a value."""
    if OPEN not in text:
        return [("", text)]
    out, stack, pos = [], [], 0
    for match in _MARKERS.finditer(text):
        if match.start() > pos:
            out.append((stack[-1] if stack else "", text[pos:match.start()]))
        pos = match.end()
        if match.group(1) is not None:
            stack.append(match.group(1))
        elif stack:
            stack.pop()
    if pos < len(text):
        out.append((stack[-1] if stack else "", text[pos:]))
    return out
