"""CPE 2.3 formatted strings and NISTIR 7696 name matching (lachan.vulns.cpe)."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lachan.vulns.cpe import ANY, NA, Cpe, cpe_matches, make_cpe, parse_cpe, value_matches

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/advisories/nvd"


def test_parse_all_attributes():
    cpe = parse_cpe("cpe:2.3:a:nodejs:node.js:*:*:*:*:lts:*:*:*")
    assert cpe == Cpe("a", "nodejs", "node.js", ANY, ANY, ANY, ANY, "lts", ANY, ANY, ANY)
    cpe = parse_cpe("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:x64:*")
    assert (cpe.part, cpe.vendor, cpe.product, cpe.version, cpe.update) == ("o", "microsoft", "windows_7", NA, "sp1")
    assert cpe.target_hw == "x64"
    assert cpe.key == ("microsoft", "windows_7")


def test_escapes_are_unescaped_and_bound_back():
    text = r"cpe:2.3:o:ricon:s9922l_firmware:16.10.3\(3794\):*:*:*:*:*:*:*"
    cpe = parse_cpe(text)
    assert cpe.version == "16.10.3(3794)"
    assert str(cpe) == text
    cpe = parse_cpe(r"cpe:2.3:a:foo:bar\:baz:1\.0:*:*:*:*:*:*:*")
    assert cpe.product == "bar:baz"
    assert cpe.version == "1.0"
    assert str(cpe) == "cpe:2.3:a:foo:bar\\:baz:1.0:*:*:*:*:*:*:*"
    # an escaped asterisk is a literal, not a wildcard
    literal = parse_cpe(r"cpe:2.3:a:foo:a\*b:*:*:*:*:*:*:*:*")
    assert literal.product == r"a\*b"
    assert value_matches(literal.product, r"a\*b")
    assert not value_matches(literal.product, "axxb")


def test_case_insensitive():
    assert parse_cpe("CPE:2.3:A:Apache:Log4J:2.0:Beta9:*:*:*:*:*:*") == parse_cpe(
        "cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpe:2.3:a:apache:log4j", "position 22: .* has 5 colon-separated fields, 13 expected"),
        ("cpe:/a:apache:log4j:2.0", "position 0: .* CPE 2.2 URI"),
        ("xpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "position 0: .* does not start with"),
        ("cpe:2.3:q:apache:log4j:*:*:*:*:*:*:*:*", "position 8: part 'q'"),
        ("cpe:2.3:a:apa che:log4j:*:*:*:*:*:*:*:*", "position 13: whitespace"),
        ("cpe:2.3:a:apache:lo*4j:*:*:*:*:*:*:*:*", "position 19: wildcard"),
        ("cpe:2.3:a:apache:log4j:2.0(1):*:*:*:*:*:*:*", r"position 26: character '\(' must be escaped"),
        ("cpe:2.3:a:apache::*:*:*:*:*:*:*:*", "position 17: empty attribute"),
        ("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*\\", "position 38: dangling escape"),
        ("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*:*", "14 colon-separated fields"),
        ("cpe:2.3:a:apache:lo\\g4j:*:*:*:*:*:*:*:*", "not a valid escape"),
    ],
)
def test_bad_strings_name_the_position(text, message):
    with pytest.raises(ValueError, match=message):
        parse_cpe(text)


def test_every_criterion_of_the_real_nvd_samples_parses_and_round_trips():
    count = 0
    for path in sorted(SAMPLES.glob("CVE-*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for config in record.get("configurations", []):
            for node in config["nodes"]:
                for match in node["cpeMatch"]:
                    cpe = parse_cpe(match["criteria"])
                    assert str(cpe) == match["criteria"]
                    count += 1
    assert count == 153  # grep -c '"criteria"' over the samples


# --- matching ------------------------------------------------------------------------------------


def m(criterion, item):
    return cpe_matches(parse_cpe(criterion), parse_cpe(item))


def test_any_matches_everything():
    assert m("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*")
    assert m("cpe:2.3:*:apache:log4j:*:*:*:*:*:*:*:*", "cpe:2.3:a:apache:log4j:2.0:-:*:*:*:*:*:*")


def test_na_matches_only_na():
    crit = "cpe:2.3:a:nodejs:node.js:*:*:*:*:-:*:*:*"
    assert m(crit, "cpe:2.3:a:nodejs:node.js:14.1.0:*:*:*:-:*:*:*")
    assert not m(crit, "cpe:2.3:a:nodejs:node.js:14.1.0:*:*:*:lts:*:*:*")
    assert m(crit, "cpe:2.3:a:nodejs:node.js:14.1.0:*:*:*:*:*:*:*")  # item ANY = unknown, not held against it
    assert value_matches(NA, "")


def test_value_in_criterion_never_matches_na_in_item():
    assert not m("cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*", "cpe:2.3:a:apache:log4j:2.0:-:*:*:*:*:*:*")
    assert not m("cpe:2.3:a:splunk:splunk:*:*:*:*:enterprise:*:*:*", "cpe:2.3:a:splunk:splunk:6.0.1:*:*:*:-:*:*:*")


def test_values_differ():
    assert not m("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "cpe:2.3:a:fortinet:fortiproxy:7.0.1:*:*:*:*:*:*:*")
    assert not m("cpe:2.3:a:fortinet:fortios:*:*:*:*:*:*:*:*", "cpe:2.3:o:fortinet:fortios:7.0.1:*:*:*:*:*:*:*")
    assert not m("cpe:2.3:a:splunk:splunk:*:*:*:*:enterprise:*:*:*", "cpe:2.3:a:splunk:splunk:6:*:*:*:free:*:*:*")


def test_wildcards_inside_values():
    assert m("cpe:2.3:o:microsoft:windows_10_*:*:*:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_10_21h2:*:*:*:*:*:*:*:*")
    assert not m("cpe:2.3:o:microsoft:windows_10_*:*:*:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_11_21h2:*:*:*:*:*:*:*:*")
    assert m("cpe:2.3:a:apache:log4j:*:rc?:*:*:*:*:*:*", "cpe:2.3:a:apache:log4j:2.0:rc2:*:*:*:*:*:*")
    assert not m("cpe:2.3:a:apache:log4j:*:rc?:*:*:*:*:*:*", "cpe:2.3:a:apache:log4j:2.0:rc10:*:*:*:*:*:*")


def test_version_left_to_the_matcher_unless_asked():
    crit = parse_cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")
    item = parse_cpe("cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*")
    assert cpe_matches(crit, item)
    assert not cpe_matches(crit, item, version=True)
    assert cpe_matches(crit, parse_cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"), version=True)


def test_make_cpe():
    assert make_cpe("a", "apache", "http_server", "2.4.49") == "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"
    assert make_cpe("a", "Apache Software", "Log4j (core)") == r"cpe:2.3:a:apache_software:log4j_\(core\):*:*:*:*:*:*:*:*"
    assert make_cpe("h", "fortinet", "fortigate_6000", "-") == "cpe:2.3:h:fortinet:fortigate_6000:-:*:*:*:*:*:*:*"
    assert parse_cpe(make_cpe("o", "fortinet", "fortios", "7.0.12")).version == "7.0.12"
    with pytest.raises(ValueError, match="part 'x'"):
        make_cpe("x", "a", "b")
    with pytest.raises(ValueError, match="product is empty"):
        make_cpe("a", "a", " ")


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-():!@ ", min_size=1, max_size=12)


@given(st.sampled_from("aoh"), _word, _word, _word)
def test_make_cpe_round_trips(part, vendor, product, version):
    vendor, product, version = ("_".join(x.split()) for x in (vendor, product, version))
    if not all((vendor, product, version)):
        return
    cpe = parse_cpe(make_cpe(part, vendor, product, version))
    assert (cpe.part, cpe.vendor, cpe.product) == (part, vendor, product)
    assert cpe.version == version
    assert cpe_matches(cpe, cpe, version=True)
