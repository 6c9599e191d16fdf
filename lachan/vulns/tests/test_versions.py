"""Version ordering per ecosystem (lachan.vulns.versions)."""

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from lachan.vulns.versions import (
    Uncomparable,
    compare,
    guess_scheme,
    in_range,
    parse_versions_text,
    upstream_version,
)

ASCENDING = [
    # (scheme or None, versions in strictly ascending order)
    ("openssl", ["0.9.8za", "0.9.8zh", "1.0.1", "1.0.1f", "1.0.1g", "1.0.2", "1.0.2y", "1.0.2zd", "1.1.1", "1.1.1n",
                 "1.1.1w", "3.0.0", "3.0.2", "3.0.13"]),
    (None, ["7.4", "7.4p1", "7.4p2", "7.5", "7.9p1", "8.0p1"]),  # OpenSSH
    (None, ["2.4.39-1", "2.4.39-1ubuntu1", "2.4.39-2", "1:2.0-1"]),  # Debian: epoch beats everything
    (None, ["1.0~rc1-1", "1.0-1", "1.0-1+deb10u1"]),  # Debian tilde sorts before the release
    (None, ["1.2.3-4.el8", "1.2.3-10.el8", "1.2.4-1.el8"]),  # RPM
    ("semver", ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1"]),
    (None, ["1.2.17", "2.0-beta9", "2.0-rc1", "2.0-rc2", "2.0", "2.0.1", "2.3.1", "2.12.2", "2.14.1", "2.15.0"]),
    (None, ["6.4.12", "7.0.0", "7.0.11", "7.0.12", "7.0.13", "7.2.0"]),  # FortiOS
    (None, ["10.2.8", "10.2.9", "10.2.9-h1", "10.2.9-h3", "10.2.9-h12", "10.2.10"]),  # PAN-OS hotfixes
    (None, ["10.0.19044.1766", "10.0.19045.1", "10.0.19045.3570", "10.0.19045.10000", "10.0.22000.739"]),
    (None, ["2021-12-09", "2021-12-10", "20211211", "2022-01-01"]),  # dates, both spellings
]


@pytest.mark.parametrize(("scheme", "ordered"), ASCENDING, ids=[o[1][0] for o in ASCENDING])
def test_ascending_sequences(scheme, ordered):
    for i, low in enumerate(ordered):
        assert compare(low, low, scheme) == 0
        for high in ordered[i + 1 :]:
            assert compare(low, high, scheme) == -1, (low, high)
            assert compare(high, low, scheme) == 1, (high, low)


def test_plain_packaging_version_is_not_enough():
    """Why univers: packaging.version (PEP 440) refuses several real version strings outright."""
    for text in ("1.0.1f", "7.4p1", "10.2.9-h1", "2.4.39-1ubuntu1", "1.2.3-4.el8"):
        with pytest.raises(InvalidVersion):
            Version(text)
    # ...and where it accepts them, it is no help against distribution epochs or dates in two spellings
    assert compare("1.0.1f", "1.0.1g", "openssl") == -1
    assert compare("2021-12-10", "20211210") == 0


def test_univers_generic_and_semver_would_be_wrong():
    """GenericVersion compares raw strings; SemverVersion cannot order a 4th component; our generic scheme can."""
    from univers.versions import GenericVersion, SemverVersion

    assert GenericVersion("10.0") < GenericVersion("9.0")
    build_a, build_b = SemverVersion("10.0.19045.3570"), SemverVersion("10.0.19045.1")  # 4th part → build metadata
    assert not build_a < build_b and not build_a > build_b
    assert compare("10.0", "9.0") == 1
    assert compare("10.0.19045.3570", "10.0.19045.1") == 1


def test_equal_spellings():
    assert compare("2.0", "2.0.0") == 0
    assert compare("v2.4.49", "2.4.49") == 0
    assert compare("2021-12-10", "20211210", "date") == 0
    assert compare("1.1.1f-1ubuntu2.16", "1.1.1n", "openssl") == -1  # distribution build of OpenSSL


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("7.x", "7.1", "wildcard"),
        ("latest", "1.0", "not a version"),
        ("", "1.0", "empty"),
        ("1.0", "   ", "empty"),
        ("*", "1.0", "not a version"),
        ("2.4.*", "2.4.1", "wildcard"),
        ("7.0 build 1234", "7.0", "spaces"),
        ("2021-12-10", "2.15.0", "mix a date"),
        ("1.0-1ubuntu1", "1.0-1.el8", "Debian and an RPM"),
        ("a1b2c3d4e5", "1.0", "commit id"),
        ("beta", "1.0", "no digits"),
        ("1.0.1f", "1.0.1g", "unknown version scheme"),  # with scheme="nope" below
    ],
)
def test_uncomparable_says_why(a, b, why):
    scheme = "nope" if why == "unknown version scheme" else None
    with pytest.raises(Uncomparable, match=why) as info:
        compare(a, b, scheme)
    assert isinstance(info.value, ValueError)


def test_invalid_for_the_scheme():
    with pytest.raises(Uncomparable, match="not a valid openssl version"):
        compare("1.2.4fg", "1.2.4", "openssl")
    with pytest.raises(Uncomparable, match="not a date"):
        compare("2.4", "2.5", "date")


def test_in_range():
    log4j = {"start_including": "2.13.0", "end_excluding": "2.15.0"}
    assert in_range("2.14.1", **log4j)
    assert in_range("2.13.0", **log4j)
    assert not in_range("2.15.0", **log4j)
    assert not in_range("2.12.2", **log4j)
    assert in_range("6.0.16", start_including="6.0.0", end_including="6.0.16")
    assert not in_range("14.0.0", start_excluding="14.0.0", end_including="14.14.0")
    assert in_range("14.0.1", start_excluding="14.0.0", end_including="14.14.0")
    assert in_range("1.0.1f", start_including="1.0.1", end_excluding="1.0.1g", scheme="openssl")
    assert not in_range("1.0.1g", start_including="1.0.1", end_excluding="1.0.1g", scheme="openssl")
    assert in_range("anything-1", end_excluding="") is True  # open range: every real version
    with pytest.raises(Uncomparable):
        in_range("7.x", end_excluding="7.0.13")
    with pytest.raises(Uncomparable):
        in_range("", start_including="1.0")


def test_guess_scheme():
    assert guess_scheme("OpenSSL", "openssl", "1.0.1f") == "openssl"
    assert guess_scheme("canonical", "apache2", "2.4.41-4ubuntu3.14") == "debian"
    assert guess_scheme("debian", "bash", "1:5.1-2") == "debian"
    assert guess_scheme("redhat", "openssl", "1.1.1k-7.el8_6") == "rpm"
    assert guess_scheme("microsoft", "windows", "2021-12-10") == "date"
    assert guess_scheme("apache", "log4j", "2.14.1") == "generic"


def test_upstream_version():
    assert upstream_version("1:2.4.41-4ubuntu3.14") == "2.4.41"
    assert upstream_version("1.1.1k-7.el8_6") == "1.1.1k"
    assert upstream_version("2.4.49") == "2.4.49"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trước 7.0.13", [("0", "7.0.13", "")]),
        ("< 7.0.13", [("0", "7.0.13", "")]),
        ("7.0.0 đến 7.0.12", [("7.0.0", "", "7.0.12")]),
        ("7.0.0 - 7.0.12", [("7.0.0", "", "7.0.12")]),
        ("từ 7.0.0 đến 7.0.12", [("7.0.0", "", "7.0.12")]),
        ("FortiOS 6.4.0 đến 6.4.12, 7.0.0 đến 7.0.11", [("6.4.0", "", "6.4.12"), ("7.0.0", "", "7.0.11")]),
        ("các phiên bản trước 2.15.0", [("0", "2.15.0", "")]),
        ("7.0.12 trở xuống", [("0", "", "7.0.12")]),
        ("PAN-OS 10.2.9-h1", [("10.2.9-h1", "", "")]),
        ("7.2.0 trở lên", [("7.2.0", "*", "")]),
    ],
)
def test_parse_versions_text(text, expected):
    specs = parse_versions_text(text)
    assert [(s.version, s.less_than, s.less_than_or_equal) for s in specs] == expected


@pytest.mark.parametrize("text", ["", "tất cả phiên bản", "Windows 10 các bản cũ", "xem phụ lục"])
def test_parse_versions_text_refuses(text):
    assert parse_versions_text(text) is None


# --- properties ------------------------------------------------------------------------------------

_parts = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4)
_suffix = st.sampled_from(["", "-beta1", "-rc1", "-rc2", "-h1", "-h3", "p1", "p2"])
_generic = st.builds(lambda p, s: ".".join(map(str, p)) + s, _parts, _suffix)


def _cmp(a, b):
    return compare(a, b)


@given(st.lists(_generic, min_size=3, max_size=12))
def test_in_range_agrees_with_sorting(items):
    ordered = sorted(items, key=functools.cmp_to_key(_cmp))
    low, high = ordered[0], ordered[-1]
    for v in items:
        assert in_range(v, start_including=low, end_including=high)
    for v in ordered:
        assert in_range(v, start_excluding=low, end_excluding=high) == (_cmp(v, low) > 0 and _cmp(v, high) < 0)


@given(_generic, _generic, _generic)
def test_compare_is_a_total_order(a, b, c):
    assert compare(a, b) == -compare(b, a)
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0


@given(st.lists(st.integers(min_value=0, max_value=99), min_size=2, max_size=4), st.integers(1, 30))
def test_numeric_components_compare_as_numbers(parts, bump):
    base = ".".join(map(str, parts))
    higher = ".".join(map(str, [*parts[:-1], parts[-1] + bump]))
    assert compare(base, higher) == -1
    assert compare(base, base + ".0") == 0


@given(st.lists(st.integers(0, 300), min_size=1, max_size=5), st.lists(st.integers(0, 300), min_size=1, max_size=5))
def test_numeric_fast_path_agrees_with_univers(a, b):
    """Dotted numbers skip univers (tuple order); the answer must be the one MavenVersion gives."""
    from univers.versions import MavenVersion

    a, b = ".".join(map(str, a)), ".".join(map(str, b))
    expected = (MavenVersion(a) > MavenVersion(b)) - (MavenVersion(a) < MavenVersion(b))
    assert compare(a, b) == expected
