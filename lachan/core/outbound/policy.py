"""Which addresses and URLs an outbound fetch may reach.

One policy for every outbound HTTP fetch of the platform (website monitor, feed URLs, webhooks):

* ``check_address(ip)`` refuses every address that is not a public unicast Internet address —
  loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, multicast, reserved, broadcast,
  benchmarking, documentation ranges, "this network", IETF protocol assignments, discard-only, and
  the cloud metadata endpoints — unless the deployment allowlists it (``settings.OUTBOUND_ALLOWLIST``,
  a list of CIDRs or single addresses, e.g. ``127.0.0.0/8,::1/128`` in the demo).
  IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are
  unwrapped and the IPv4 address inside is judged instead, so ``::ffff:127.0.0.1`` is loopback.
  Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20) are
  never routed on the Internet, so a fetch to them can only reach something local: refused unless
  allowlisted. Cloud metadata addresses are refused even inside an allowlisted network; only an
  allowlist entry naming that single address (/32, /128) lets one through.
* ``check_url(url)`` refuses anything but http/https, credentials in the URL, port 0, malformed
  hosts, and hosts written as an IP address in any spelling the C resolver accepts (decimal
  ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``, short ``127.1``: ``socket.inet_aton``
  semantics) that ``check_address`` refuses. Host names are checked later, on every address DNS
  returns (see ``aio.GuardedResolver``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from functools import lru_cache

import idna
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")


class BlockedAddress(Exception):  # noqa: N818 — the name other modules import
    """An outbound fetch was refused by the policy; ``reason`` says why (English, translatable)."""

    def __init__(self, reason: str, *, target: str = ""):
        super().__init__(f"{target}: {reason}" if target else reason)
        self.reason = reason
        self.target = target


# Cloud metadata endpoints: refused even inside an allowlisted network (see the module docstring).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)


def _nets(*pairs):
    return tuple((ipaddress.ip_network(net), reason) for net, reason in pairs)


# Most specific first: the first match gives the reason.
_BLOCKED_V4 = _nets(
    ("255.255.255.255/32", N_("broadcast address")),
    ("0.0.0.0/8", N_("'this network' address (0.0.0.0/8)")),
    ("127.0.0.0/8", N_("loopback address")),
    ("10.0.0.0/8", N_("private address (RFC 1918)")),
    ("172.16.0.0/12", N_("private address (RFC 1918)")),
    ("192.168.0.0/16", N_("private address (RFC 1918)")),
    ("100.64.0.0/10", N_("carrier-grade NAT address (100.64.0.0/10)")),
    ("169.254.0.0/16", N_("link-local address")),
    ("192.0.0.0/24", N_("IETF protocol assignment (192.0.0.0/24)")),
    ("192.0.2.0/24", N_("documentation address (not routed on the Internet)")),
    ("198.51.100.0/24", N_("documentation address (not routed on the Internet)")),
    ("203.0.113.0/24", N_("documentation address (not routed on the Internet)")),
    ("198.18.0.0/15", N_("benchmarking address (198.18.0.0/15)")),
    ("192.88.99.0/24", N_("deprecated 6to4 relay anycast address")),
    ("224.0.0.0/4", N_("multicast address")),
    ("240.0.0.0/4", N_("reserved address (240.0.0.0/4)")),
)
_BLOCKED_V6 = _nets(
    ("::/128", N_("unspecified address")),
    ("::1/128", N_("loopback address")),
    ("100::/64", N_("discard-only address (100::/64)")),
    ("2001:db8::/32", N_("documentation address (not routed on the Internet)")),
    ("3fff::/20", N_("documentation address (not routed on the Internet)")),
    ("2001::/23", N_("IETF protocol assignment (2001::/23)")),
    ("fc00::/7", N_("private address (unique local, fc00::/7)")),
    ("fe80::/10", N_("link-local address")),
    ("fec0::/10", N_("site-local address (fec0::/10)")),
    ("ff00::/8", N_("multicast address")),
)

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIXTOFOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 addresses an IPv6 address carries, with the name of the form (empty if none)."""
    value = int(ip)
    if ip in _MAPPED:
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-mapped")]
    if ip in _COMPATIBLE:  # ::/128 and ::1 are judged before unwrapping
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-compatible")]
    if any(ip in net for net in _NAT64):
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "NAT64")]
    if ip in _SIXTOFOUR:
        return [(ip.sixtofour, "6to4")]
    if ip in _TEREDO:
        server, client = ip.teredo
        return [(server, "Teredo server"), (client, "Teredo client")]
    return []


@lru_cache(maxsize=32)
def _parse_allowlist(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"OUTBOUND_ALLOWLIST: {entry!r} is not an IP network or address (e.g. 127.0.0.0/8, ::1/128)"
            ) from exc
    return tuple(networks)


def allowlist_networks(allowlist=None) -> tuple[IPNetwork, ...]:
    """The allowlist as networks: ``allowlist`` if given (CIDR strings or networks), else the setting."""
    if allowlist is None:
        from django.conf import settings

        allowlist = getattr(settings, "OUTBOUND_ALLOWLIST", None) or ()
    if isinstance(allowlist, str):
        allowlist = allowlist.split(",")
    return _parse_allowlist(tuple(str(entry) for entry in allowlist if str(entry).strip()))


def _as_address(ip) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        address = ip
    else:
        text = str(ip).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise BlockedAddress(_("not an IP address"), target=str(ip)) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(address.compressed.split("%", 1)[0])
    return address


def _allowed(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    for net in networks:
        if net.version != address.version or address not in net:
            continue
        if address in METADATA_ADDRESSES and net.num_addresses != 1:
            continue
        return True
    return False


def check_address(ip, *, allowlist=None) -> None:
    """Raise ``BlockedAddress`` unless ``ip`` (text or ipaddress object) may be fetched."""
    address = _as_address(ip)
    _check(address, allowlist_networks(allowlist), target=str(address))


def _check(address: IPAddress, networks, *, target: str) -> None:
    if _allowed(address, networks):
        return
    if address in METADATA_ADDRESSES:
        raise BlockedAddress(_("cloud metadata address"), target=target)
    if address.version == 6:
        if address in ipaddress.ip_network("::/127"):  # :: and ::1 before the IPv4-compatible unwrap
            raise BlockedAddress(_(_reason(address, _BLOCKED_V6)), target=target)
        embedded = _embedded_ipv4(address)
        for inner, form in embedded:
            try:
                _check(inner, networks, target=target)
            except BlockedAddress as exc:
                raise BlockedAddress(
                    _("%(form)s form of %(inner)s: %(reason)s")
                    % {"form": form, "inner": inner, "reason": exc.reason},
                    target=target,
                ) from None
        if embedded:
            return
    reason = _reason(address, _BLOCKED_V4 if address.version == 4 else _BLOCKED_V6)
    if reason:
        raise BlockedAddress(_(reason), target=target)
    if not address.is_global:
        raise BlockedAddress(_("not a globally routable address"), target=target)


def _reason(address: IPAddress, table) -> str:
    for net, reason in table:
        if address in net:
            return reason
    return ""


# --- URLs ----------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_IPV4_LIKE = re.compile(r"^[0-9a-fx.]+$")


@dataclass(frozen=True)
class Target:
    """A URL that passed ``check_url``: ``host`` is the ASCII (IDNA) host, ``ip`` set for IP literals."""

    url: URL
    scheme: str
    host: str
    port: int
    ip: IPAddress | None


def literal_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host string means to the C resolver (``inet_aton``), or None for a name.

    ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` all mean 127.0.0.1.
    """
    if not _IPV4_LIKE.match(host.lower().rstrip(".")):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        return None


def _normalise_host(raw: str, url: str) -> str:
    host = raw.strip().lower()
    if not host:
        raise BlockedAddress(_("URL has no host"), target=url)
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise BlockedAddress(_("invalid international host name: %s") % exc, target=url) from None
    return host


def check_url(url, *, allowlist=None) -> Target:
    """Check a URL before fetching it; return the parsed ``Target`` or raise ``BlockedAddress``."""
    text = str(url)
    try:
        parsed = url if isinstance(url, URL) else URL(text.strip())
    except (ValueError, TypeError) as exc:
        raise BlockedAddress(_("malformed URL: %s") % exc, target=text) from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress(_("only http and https URLs may be fetched, not %s") % repr(scheme or ""), target=text)
    if parsed.raw_user is not None or parsed.raw_password is not None or "@" in (parsed.raw_authority or ""):
        raise BlockedAddress(_("credentials in the URL are not allowed"), target=text)
    try:
        port = parsed.port
    except ValueError:
        raise BlockedAddress(_("invalid port"), target=text) from None
    if port is None or not 1 <= port <= 65535:
        raise BlockedAddress(_("invalid port"), target=text)
    host = _normalise_host(parsed.raw_host or "", text)
    networks = allowlist_networks(allowlist)

    ip = None
    bare = host.split("%25", 1)[0].split("%", 1)[0]
    if ":" in bare:
        try:
            ip = ipaddress.IPv6Address(bare)
        except ValueError:
            raise BlockedAddress(_("malformed IPv6 address"), target=text) from None
    else:
        ip = literal_ipv4(bare)
        if ip is None:
            labels = bare.rstrip(".").split(".")
            if len(bare) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
                raise BlockedAddress(_("malformed host name"), target=text)
            if labels[-1].isdigit():
                raise BlockedAddress(_("malformed host name (numeric top-level label)"), target=text)
    if ip is not None:
        _check(ip, networks, target=text)
        if ip.version == 4 and str(ip) != bare.rstrip("."):
            # Allowed, but the HTTP client refuses (and other tools misread) legacy spellings.
            raise BlockedAddress(
                _("IPv4 address written in a non-canonical form (means %s)") % ip, target=text
            )
    return Target(url=parsed, scheme=scheme, host=bare, port=port, ip=ip)
