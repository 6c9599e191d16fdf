"""Records from a JSON feed, streamed: a top-level array of objects, JSON lines (one object a line, or
objects one after the other), or a top-level object whose members are arrays of records (URLhaus keys its
dump by id: ``{"1234": [{...}], ...}``; APIs wrap lists: ``{"query_status": "ok", "urls": [...]}``).

Only one record is held at a time (a top-level object is decoded whole when it is small, walked member by
member when it is not), so a large array streams in bounded memory. ``ParseError`` names the line and
column where the JSON breaks."""

import json

from django.utils.translation import gettext as _

from .base import ParseError

READ = 1 << 16
WHOLE_OBJECT = 4 << 20  # a top-level object up to this size is decoded in one go
MAX_RECORD = 64 << 20  # characters

_decoder = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


class _Text:
    def __init__(self, stream):
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.line = 1  # line number at self.pos
        self.eof = False

    def more(self, size=READ):
        """Read more text (at least ``size`` characters unless the file ends); False at the end."""
        if self.eof:
            return False
        if self.pos > READ:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        blocks = []
        wanted = max(size, READ)
        while wanted > 0:
            block = self.stream.read(wanted)
            if not block:
                self.eof = True
                break
            blocks.append(block)
            wanted -= len(block)
        if not blocks:
            return False
        self.buf += "".join(blocks)
        return True

    def advance(self, end):
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def skip(self, separators=""):
        """Skip whitespace (and the given separator characters); the next character or "" at the end."""
        while True:
            buf, pos = self.buf, self.pos
            n = len(buf)
            while pos < n and (buf[pos] in _WHITESPACE or buf[pos] in separators):
                pos += 1
            self.advance(pos)
            if pos < n:
                return buf[pos]
            if not self.more():
                return ""

    def error(self, exc_pos=None, message=None):
        pos = self.pos if exc_pos is None else exc_pos
        line = self.line + self.buf.count("\n", self.pos, pos)
        column = pos - (self.buf.rfind("\n", 0, pos) + 1) + 1
        error = message or _("unexpected end of the file")
        if line != self.line:
            return ParseError(_("Broken JSON in the record that starts at line %(start)s (line %(line)s, column "
                                "%(column)s): %(error)s")
                              % {"start": self.line, "line": line, "column": column, "error": error})
        return ParseError(_("Broken JSON at line %(line)s, column %(column)s: %(error)s")
                          % {"line": line, "column": column, "error": error})

    def value(self, limit=MAX_RECORD):
        """Decode the value at the current position; (value, its text, its first line)."""
        while True:
            try:
                value, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                pending = len(self.buf) - self.pos
                if not self.eof and pending < limit and self.more(pending):
                    continue  # the value may go on: read as much again (linear, not quadratic)
                if pending >= limit:
                    raise ParseError(_("Line %(line)s: a JSON record longer than %(limit)s characters: not a feed.")
                                     % {"line": self.line, "limit": limit}) from None
                raise self.error(exc.pos, exc.msg) from None
            if end >= len(self.buf) and not self.eof and self.more():
                continue  # a number may go on in the next block
            text = self.buf[self.pos:end]
            line = self.line
            self.advance(end)
            return value, text, line

    def fits(self, limit):
        """Whether the value at the current position ends within ``limit`` characters."""
        while True:
            try:
                _decoder.raw_decode(self.buf, self.pos)
                return True
            except json.JSONDecodeError:
                pending = len(self.buf) - self.pos
                if pending >= limit or not self.more(pending):
                    return pending < limit


def records(stream):
    """Yield ``(line, raw text, record)`` for every record; ``record`` is whatever JSON value the feed
    holds (callers refuse what is not an object)."""
    text = _Text(stream)
    first = text.skip()
    if first == "\ufeff":
        text.advance(text.pos + 1)
        first = text.skip()
    if first == "":
        raise ParseError(_("The file is empty."))
    if first == "[":
        yield from _array(text)
        if text.skip() != "":
            raise text.error(message=_("text after the end of the array"))
        return
    if first != "{":
        raise text.error(message=_("expected '[' or '{', found %(found)s") % {"found": repr(first)})
    while True:
        c = text.skip(",")
        if c == "":
            return
        if c != "{":
            raise text.error(message=_("expected '{', found %(found)s") % {"found": repr(c)})
        if text.fits(WHOLE_OBJECT):
            value, raw, line = text.value()
            if _is_container(value):
                for member in value.values():
                    if isinstance(member, list):
                        for item in member:
                            yield line, json.dumps(item, ensure_ascii=False), item
            else:
                yield line, raw, value
        else:
            yield from _walk_object(text)


def _is_container(value):
    """An object that wraps lists of records (URLhaus's dump keyed by id, an API reply with a status and
    a list), not a record that has a list of objects in one of its many fields."""
    lists = [v for v in value.values() if isinstance(v, list)]
    scalars = len(value) - len(lists)
    return (scalars <= 2 and any(lists) and all(all(isinstance(x, dict) for x in v) for v in lists))


def _array(text):
    text.advance(text.pos + 1)  # "["
    c = text.skip()
    if c == "]":
        text.advance(text.pos + 1)
        return
    while True:
        value, raw, line = text.value()
        yield line, raw, value
        c = text.skip()
        if c == ",":
            text.advance(text.pos + 1)
            text.skip()
            continue
        if c == "]":
            text.advance(text.pos + 1)
            return
        if c == "":
            raise text.error()
        raise text.error(message=_("expected ',' or ']', found %(found)s") % {"found": repr(c)})


def _walk_object(text):
    """A large top-level object, member by member: arrays of objects are streamed as records."""
    text.advance(text.pos + 1)  # "{"
    while True:
        c = text.skip(",")
        if c == "}":
            text.advance(text.pos + 1)
            return
        if c != '"':
            raise text.error(message=_("expected a member name, found %(found)s") % {"found": repr(c or "end")})
        _key, _raw, _line = text.value()
        if text.skip() != ":":
            raise text.error(message=_("expected ':'"))
        text.advance(text.pos + 1)
        if text.skip() == "[":
            for line, raw, value in _array(text):
                if isinstance(value, dict):
                    yield line, raw, value
        else:
            text.value()
