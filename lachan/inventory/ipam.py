"""IP helpers on the standard library's ipaddress: canonical forms and sortable keys.

Each prefix stores its first and last address as 32 hex digits (IPv4 mapped into
::ffff:0:0/96), so "which prefixes contain this address" is a plain range query on
SQLite and PostgreSQL alike, and the longest prefix (most specific) wins.
"""

import ipaddress


def parse_prefix(value):
    """"10.0.0.5/24" → IPv4Network("10.0.0.0/24"); a bare address becomes a /32 or /128.

    Raises ValueError with a readable message."""
    value = (value or "").strip()
    if not value:
        raise ValueError("empty")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def address_key(address):
    address = ipaddress.ip_address(address) if isinstance(address, str) else address
    if address.version == 4:
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    return f"{int(address):032x}"


def network_keys(network):
    return address_key(network.network_address), address_key(network.broadcast_address)


def parse_address_list(value):
    """"10.0.0.1, 2001:db8::1" → ["10.0.0.1", "2001:db8::1"] (canonical), ValueError naming the bad entry."""
    out = []
    for part in (value or "").replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ValueError(part) from None
    return out
