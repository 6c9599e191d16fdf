"""The bytes of a page without what changes on every request of an unchanged page: ``stable_bytes``.

Many portals send new bytes on every request although nothing a visitor or a search engine sees has
changed: a visit counter, today's date and time, the time the page took to build, a CSRF token in a
hidden form field (Laravel, Django, ASP.NET's ``__VIEWSTATE``, Drupal's ``form_build_id``) or in a
``<meta name="csrf-token">``, a script ``nonce``, a session id written into the links of a cookie-less
visitor (``;jsessionid=``). Parsing such a page again on every check (≈ 13 ms per 100 KB) costs far more
than noticing that only those bits changed: ``stable_bytes`` removes them from the raw bytes with C-speed
byte operations (≈ 0.25 ms per 100 KB), and ``analyser.stable_digest`` hashes the rest. Two answers with
the same stable digest are the same page for the analysis: the previous analysis is reused (at most
``analyser.STABLE_RUNS_MAX`` checks in a row, then the page is parsed again all the same) and the
cloaking probes need no comparison.

What is removed, and why it cannot hide an attack the analysis looks for:

* every ASCII digit. A change of digits only (a counter, a date, a number in a link) adds no word, no
  element, no link or script of its own; the analysis leaves digits out of its text comparison too
  (``similarity.words``). The addresses whose host is a raw IPv4 address are kept apart
  (``ipv4_hosts``), so a link or script moved from one IP address to another is a change;
* the values of ``value="…"`` and ``nonce="…"`` attributes (form state and script nonces, not text a
  visitor reads, not addresses), and the ``content`` of ``<meta name="csrf-token">``;
* ``;jsessionid=…`` and ``PHPSESSID=…`` in addresses (the analysis strips them from links as well).

Everything else — letters, markup, addresses, scripts — is compared byte for byte.
"""

import re

_DIGITS = b"0123456789"
_MASKS = (
    # (literal that must be present, pattern, replacement); the patterns start with their literal, which
    # the regex engine searches at C speed
    (b'value="', re.compile(rb'value="[^"<>]{0,4000}"'), b"value="),
    (b"value='", re.compile(rb"value='[^'<>]{0,4000}'"), b"value="),
    (b"nonce=", re.compile(rb"""nonce=(?:"[^"<>]{0,300}"|'[^'<>]{0,300}')"""), b"nonce="),
    (b'csrf-token" content="', re.compile(rb'csrf-token" content="[^"<>]{0,300}"'), b"csrf-token"),
    (b";jsessionid=", re.compile(rb";jsessionid=[^\"'?#<>\s]{0,200}"), b""),
    (b"PHPSESSID=", re.compile(rb"PHPSESSID=[^\"'&#<>\s]{0,200}"), b"PHPSESSID="),
)
_IPV4_HOST = re.compile(rb"//[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")


def stable_bytes(body: bytes) -> bytes:
    """``body`` without its digits, form values, nonces, CSRF meta tokens and URL session ids."""
    for literal, pattern, replacement in _MASKS:
        if literal in body:
            body = pattern.sub(replacement, body)
    return body.translate(None, _DIGITS)


def ipv4_hosts(body: bytes) -> bytes:
    """The addresses in ``body`` whose host is a dotted IPv4 address (``//203.0.113.5``), in order, joined
    by blanks."""
    return b" ".join(_IPV4_HOST.findall(body))
