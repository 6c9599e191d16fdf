"""The outbound policy: which addresses and URLs may be fetched (no network needed)."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lachan.core.outbound import BlockedAddress, check_address, check_url
from lachan.core.outbound.policy import literal_ipv4


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(func, value, **kwargs) -> str:
    with pytest.raises(BlockedAddress) as info:
        func(value, **kwargs)
    return info.value.reason


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",  # hex, short
    "http://0x7f000001/",
    "http://127.1/",  # short
    "http://127.0.1/",
    "http://017700000001/",  # octal, one part
    "http://127.0.0.1./",  # trailing dot
    "http://１２７.０.０.１/",  # full-width digits, mapped by IDNA/UTS 46
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
]
METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://192.0.0.192/",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused(url):
    assert "loopback" in refused(check_url, url, allowlist=[])


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_every_spelling_of_metadata_is_refused(url):
    reason = refused(check_url, url, allowlist=[])
    assert "metadata" in reason, reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://user:pw@example.com/", "credentials"),
        ("http://user@example.com/", "credentials"),
        ("https://:pw@example.com/", "credentials"),
        ("ftp://example.com/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.com:70/_GET", "only http and https"),
        ("dict://example.com:11211/", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://example.com:0/", "invalid port"),
        ("http://example.com:70000/", "Port out of range"),
        ("http:///path", "no host"),
        ("http://exa mple.com/", "malformed host"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1:8080/", "private"),
        ("http://172.31.255.255/", "private"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://0.0.0.0/", "this network"),
        ("http://0/", "this network"),
        ("http://[::]/", "unspecified"),
        ("http://[fe80::1%25eth0]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://203.0.113.10/", "documentation"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://198.18.0.1/", "benchmarking"),
        ("http://8.8.8.8.8/", "malformed host"),
        ("http://134744072/", "non-canonical"),  # 8.8.8.8 in decimal: public, but a legacy spelling
    ],
)
def test_refused_urls_name_the_reason(url, words):
    assert words in refused(check_url, url, allowlist=[])


@pytest.mark.parametrize(
    ("url", "host", "port", "ip"),
    [
        ("http://example.com/", "example.com", 80, None),
        ("https://EXAMPLE.com:8443/a?b#c", "example.com", 8443, None),
        ("https://bücher.de/", "xn--bcher-kva.de", 443, None),
        ("https://cổngthôngtin.gov.vn/", "xn--cngthngtin-vbb7982g.gov.vn", 443, None),
        ("http://8.8.8.8/", "8.8.8.8", 80, "8.8.8.8"),
        ("http://[2001:4860:4860::8888]/", "2001:4860:4860::8888", 80, "2001:4860:4860::8888"),
        ("http://[::ffff:8.8.8.8]/", "::ffff:808:808", 80, "::ffff:808:808"),
    ],
)
def test_allowed_urls_are_normalised(url, host, port, ip):
    target = check_url(url, allowlist=[])
    assert (target.host, target.port, str(target.ip) if target.ip else None) == (host, port, ip)


def test_literal_ipv4_follows_inet_aton():
    assert str(literal_ipv4("2130706433")) == "127.0.0.1"
    assert str(literal_ipv4("0x7f.1")) == "127.0.0.1"
    assert str(literal_ipv4("0177.0.0.01")) == "127.0.0.1"
    assert str(literal_ipv4("10.1")) == "10.0.0.1"
    assert literal_ipv4("example.com") is None
    assert literal_ipv4("0x7g.1") is None
    assert literal_ipv4("1.2.3.4.5") is None


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("::ffff:10.1.2.3", "IPv4-mapped form of 10.1.2.3: private"),
        ("64:ff9b:1::a00:1", "NAT64 form of 10.0.0.1: private"),
        ("2002:c0a8:101::1", "6to4 form of 192.168.1.1: private"),
        # Teredo: server 65.54.227.120, client 127.0.0.1 obfuscated (bits inverted) as 80ff:fffe
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo client form of 127.0.0.1: loopback"),
        ("fec0::1", "site-local"),
        ("100::1", "discard-only"),
        ("3fff::1", "documentation"),
        ("2001:2::1", "IETF protocol assignment"),
        ("ff02::1", "multicast"),
        ("240.1.2.3", "reserved"),
        ("169.254.1.1", "link-local"),
        ("169.254.170.2", "metadata"),
    ],
)
def test_address_reasons(address, words):
    assert words in refused(check_address, address, allowlist=[])


def test_allowlist_comes_from_the_setting(settings):
    settings.OUTBOUND_ALLOWLIST = []
    assert "loopback" in refused(check_address, "127.0.0.1")
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8", "::1/128"]
    check_address("127.0.0.1")
    check_address("127.9.9.9")
    check_address("::1")
    check_address("::ffff:127.0.0.1")  # the unwrapped address is allowlisted
    assert check_url("http://127.0.0.1:8000/").port == 8000
    assert "non-canonical" in refused(check_url, "http://0x7f.1/")  # allowed address, legacy spelling
    assert "private" in refused(check_address, "10.0.0.1")
    assert "loopback" in refused(check_address, "127.0.0.1", allowlist=[])  # explicit beats the setting


def test_allowlist_accepts_single_addresses_and_text():
    check_address("10.1.2.3", allowlist="10.1.2.3, 192.168.0.0/16")
    check_address("192.168.7.7", allowlist="10.1.2.3, 192.168.0.0/16")
    assert "private" in refused(check_address, "10.1.2.4", allowlist="10.1.2.3")


def test_metadata_needs_an_exact_allowlist_entry():
    assert "metadata" in refused(check_address, "169.254.169.254", allowlist=["169.254.0.0/16"])
    check_address("169.254.1.1", allowlist=["169.254.0.0/16"])
    check_address("169.254.169.254", allowlist=["169.254.169.254/32"])


def test_bad_allowlist_entry_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="'10.0.0.0/33'"):
        check_address("8.8.8.8", allowlist=["10.0.0.0/33"])


def test_not_an_address():
    assert "not an IP address" in refused(check_address, "example.com", allowlist=[])


# --- properties ----------------------------------------------------------------------------------

BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::1/128", "::/128", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
]  # fmt: skip
BLOCKED_V4 = [n for n in BLOCKED_NETWORKS if n.version == 4 and n.prefixlen > 0]
PUBLIC_SAMPLE = [
    "8.8.8.8", "1.1.1.1", "9.9.9.9", "203.162.4.190", "14.225.255.1", "113.160.0.1", "123.30.0.1",
    "27.72.0.1", "42.112.0.1", "104.16.0.1", "151.101.1.69", "13.107.42.14", "52.95.110.1",
    "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255", "198.17.255.255",
    "198.20.0.0", "223.255.255.255", "126.255.255.255", "128.0.0.1", "11.0.0.1", "169.253.255.255",
    "2001:4860:4860::8888", "2606:4700:4700::1111", "2404:6800:4005:80a::200e", "2001:ee0::1",
    "2402:800::1", "2a00:1450:4001:80b::200e", "2620:fe::fe",
]  # fmt: skip


def _address_in(network):
    return st.integers(int(network.network_address), int(network.broadcast_address)).map(
        lambda value: ipaddress.ip_address(value) if network.version == 4 else ipaddress.IPv6Address(value)
    )


blocked_addresses = st.sampled_from(BLOCKED_NETWORKS).flatmap(_address_in)
blocked_ipv4 = st.sampled_from(BLOCKED_V4).flatmap(_address_in)


@hsettings(max_examples=400, deadline=None)
@given(blocked_addresses)
def test_any_address_in_a_blocked_network_is_refused(address):
    with pytest.raises(BlockedAddress):
        check_address(address, allowlist=[])


@hsettings(max_examples=300, deadline=None)
@given(blocked_ipv4, st.sampled_from(["mapped", "compatible", "nat64", "nat64-local", "6to4"]))
def test_blocked_ipv4_wrapped_in_ipv6_is_refused(address, form):
    value = int(address)
    wrapped = {
        "mapped": 0xFFFF << 32 | value,
        "compatible": value,
        "nat64": int(ipaddress.IPv6Address("64:ff9b::")) | value,
        "nat64-local": int(ipaddress.IPv6Address("64:ff9b:1::")) | value,
        "6to4": int(ipaddress.IPv6Address("2002::")) | value << 80,
    }[form]
    with pytest.raises(BlockedAddress):
        check_address(ipaddress.IPv6Address(wrapped), allowlist=[])
    with pytest.raises(BlockedAddress):
        check_url(f"http://[{ipaddress.IPv6Address(wrapped)}]/", allowlist=[])


@hsettings(max_examples=200, deadline=None)
@given(blocked_ipv4)
def test_blocked_ipv4_in_decimal_and_hex_is_refused(address):
    for spelling in (str(int(address)), hex(int(address)), "0" + oct(int(address))[2:]):
        with pytest.raises(BlockedAddress):
            check_url(f"http://{spelling}/", allowlist=[])


@pytest.mark.parametrize("address", PUBLIC_SAMPLE)
def test_public_addresses_are_allowed(address):
    check_address(address, allowlist=[])
    ip = ipaddress.ip_address(address)
    check_url(f"https://{address}/" if ip.version == 4 else f"https://[{address}]/", allowlist=[])
    if ip.version == 4:
        check_address(f"::ffff:{address}", allowlist=[])  # wrapped public stays public
        check_address(ipaddress.IPv6Address(int(ipaddress.IPv6Address("2002::")) | int(ip) << 80), allowlist=[])
