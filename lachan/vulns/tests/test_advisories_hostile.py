"""Hostile and broken advisory files: truncated and malformed JSON (with the position), JSON of another kind,
empty and binary files, damaged gzip, legacy NVD 1.1, and a large feed read in bounded memory."""

import gzip
import io
import json
import tracemalloc
from pathlib import Path

import pytest
from django.utils import translation

from lachan.vulns.advisories import AdvisoryParseError, detect_format, iter_advisories, parse_national

NVD = Path(__file__).resolve().parents[3].parent / "shared/data/advisories/nvd"

pytestmark = pytest.mark.skipif(not NVD.is_dir(), reason=f"advisory samples not found in {NVD}")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def record(cve="CVE-2024-3400"):
    return json.loads((NVD / f"{cve}.json").read_text(encoding="utf-8"))


def feed_bytes(records, indent=2):
    return json.dumps({"resultsPerPage": len(records), "format": "NVD_CVE", "version": "2.0",
                       "vulnerabilities": [{"cve": r} for r in records]}, indent=indent).encode()


def parse_error(data, fmt=None):
    with pytest.raises(AdvisoryParseError) as error:
        list(iter_advisories(io.BytesIO(data), fmt))
    return str(error.value)


def test_truncated_feed_names_position_and_record():
    data = feed_bytes([record(), record("CVE-2018-13379")])
    cut = data[: data.index(b'"CVE-2018-13379"') + 200]
    line = cut.count(b"\n") + 1
    message = parse_error(cut)
    assert message.startswith(f"Broken JSON at line {line}, column ")
    assert "(record 2 (after CVE-2024-3400))" in message
    # the records before the break were yielded
    advisories = iter_advisories(io.BytesIO(cut))
    assert next(advisories).cve_id == "CVE-2024-3400"
    with pytest.raises(AdvisoryParseError):
        next(advisories)


def test_syntax_error_exact_line_and_column():
    data = (NVD / "CVE-2024-3400.json").read_bytes().replace(b'"vulnStatus": "Awaiting Analysis",',
                                                             b'"vulnStatus": "Awaiting Analysis",,', 1)
    assert parse_error(data) == ("Broken JSON at line 6, column 37 (record 1): Expecting property name enclosed "
                                 "in double quotes")


def test_broken_json_in_a_large_file_names_line_and_byte(tmp_path):
    template = json.dumps({"cve": record()})
    path = tmp_path / "big.json"
    with path.open("w", encoding="utf-8") as out:  # about 3 MB: beyond what is kept for exact positions
        out.write('{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [\n')
        out.write(",\n".join(template.replace("CVE-2024-3400", f"CVE-2024-{n:05d}") for n in range(1500)))
        out.write(",\n{]}")
    with pytest.raises(AdvisoryParseError) as error:
        list(iter_advisories(path))
    message = str(error.value)
    assert message.startswith("Broken JSON before line 1502 (byte ")
    assert "record 1501 (after CVE-2024-01499)): parse error" in message


def test_not_any_of_the_formats():
    assert parse_error(b'{"foo": 1, "bar": [1, 2]}') == "This is not an NVD, CISA KEV or CVE 5 file (JSON with foo, bar)."
    assert parse_error(b"[1, 2, 3]") == "This is not an NVD, CISA KEV or CVE 5 file (JSON with an array)."
    assert parse_error(b"<html><body>Not Found</body></html>").startswith(
        "This is not an NVD, CISA KEV or CVE 5 file: it is not JSON (first bytes: b'<html>")
    assert "legacy NVD 1.1 feed" in parse_error(b'{"CVE_data_type": "CVE", "CVE_Items": []}')
    # an id that is not a CVE id, a record that is not an object
    assert parse_error(feed_bytes([{"id": "GHSA-xxxx", "vulnStatus": "Analyzed"}])) == (
        "record 1, field 'id': 'GHSA-xxxx' is not a CVE id")
    assert parse_error(b'{"format": "NVD_CVE", "vulnerabilities": ["CVE-2024-3400"]}') == (
        "record 1, field 'cve': expected an object, found str")


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"\xef\xbb\xbf"])
def test_empty_files(data):
    assert parse_error(data) == "The file is empty."
    with pytest.raises(AdvisoryParseError, match="The file is empty."):
        detect_format(io.BytesIO(data))


def test_damaged_gzip(tmp_path):
    packed = gzip.compress(feed_bytes([record()] * 50))
    path = tmp_path / "nvdcve-2.0-2024.json.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(AdvisoryParseError, match="The gzip data is damaged or cut short"):
        list(iter_advisories(path))
    with pytest.raises(AdvisoryParseError, match="The gzip data is damaged or cut short"):
        list(iter_advisories(io.BytesIO(b"\x1f\x8b\x08\x00garbage")))


def test_binary_is_refused_by_both_entry_points():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert parse_error(png).startswith("This is not an NVD, CISA KEV or CVE 5 file: it is not JSON")
    with pytest.raises(AdvisoryParseError, match="not a text file"):
        parse_national(png)
    with pytest.raises(AdvisoryParseError, match=r"No CVE id \(CVE-yyyy-nnnn\) found in the text"):
        parse_national(b"Kinh gui cac don vi,\nkhong co gi.\n")


def test_unknown_format_names():
    with pytest.raises(ValueError, match="unknown advisory format 'osv'"):
        iter_advisories(io.BytesIO(b"{}"), "osv")
    with pytest.raises(ValueError, match="unknown national format 'pdf'"):
        parse_national(b"x", "pdf")


def test_large_feed_streams_in_bounded_memory(tmp_path):
    """10,000 records (about 19 MB) go through with a traced peak far below the file size: only one record,
    the parser's buffers and the first MiB read (for exact error positions) are held."""
    template = json.dumps({"cve": record()})
    path = tmp_path / "nvdcve-2.0-synthetic.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resultsPerPage": 10000, "format": "NVD_CVE", "version": "2.0", "vulnerabilities": [')
        out.write(",".join(template.replace("CVE-2024-3400", f"CVE-2024-{n:05d}") for n in range(10000)))
        out.write("]}")
    size = path.stat().st_size
    assert size > 17_000_000
    tracemalloc.start()
    try:
        count = 0
        last = None
        for advisory in iter_advisories(path):
            count += 1
            last = advisory.cve_id
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, last) == (10000, "CVE-2024-09999")
    # measured: about 1.7 MB (1 MiB of it kept for exact error positions), whatever the number of records
    assert peak < 4_000_000 < size / 4, f"peak {peak} bytes for a {size}-byte file"
