"""The real samples in ../shared/data/feeds through the whole import (parser → matcher → cases).

The expected values come from the parser itself (its own tests check the fields against the samples):
here every row is accounted for (rows = parsed + bad), the addresses of the units' prefixes become
exactly their cases, nothing of unit B reaches unit A, and the same file again changes nothing.
"""

from pathlib import Path

import pytest

from lachan.intel import services
from lachan.intel.matching import bogon_kinds
from lachan.intel.models import Case, Feed, FeedImport, Sighting
from lachan.testing.factories import IPPrefixFactory

parsers = pytest.importorskip("lachan.intel.parsers")
if not hasattr(parsers, "parse"):  # the parsers package is being written in parallel
    pytest.skip("lachan.intel.parsers.parse does not exist yet", allow_module_level=True)

FEEDS = Path(__file__).resolve().parents[3].parent / "shared/data/feeds"
SAMPLES = sorted(p for p in FEEDS.glob("*") if p.is_file() and p.suffix != ".md") if FEEDS.is_dir() else []


def reference(sample):
    rows = bad = 0
    keys = set()
    for batch in parsers.parse(sample):
        rows += len(batch) + len(batch.bad)
        bad += len(batch.bad)
        keys |= {(ip, (family or "").strip().lower()[:100]) for ip, family in zip(batch.ip, batch.family, strict=True)}
    return rows, bad, keys


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_real_sample_through_the_import(sample, tree, users, settings):
    settings.INTEL_MATCH_DOCUMENTATION = True
    rows, bad, keys = reference(sample)
    candidates = sorted({ip for ip, _family in keys if ip and "/" not in ip})
    # Addresses a unit may own: public ones, and the documentation ranges (matched with the setting above).
    mappable = [ip for ip, kind in zip(candidates, bogon_kinds(candidates), strict=True) if kind in (None, "documentation")]
    ip_a = mappable[0] if mappable else None
    ip_b = mappable[-1] if len(mappable) > 1 else None
    for unit, ip in ((tree["a"], ip_a), (tree["b"], ip_b)):
        if ip is not None:
            IPPrefixFactory(unit=unit, prefix=f"{ip}/{32 if ':' not in ip else 128}")
    feed = Feed.objects.create(name=f"sample {sample.name}", complete_list=True)
    result = services.feed_import(file=sample, feed=feed, by=users["coordinator"])
    assert result.rows == rows and result.bad_rows >= bad
    assert result.format == parsers.detect(sample.read_bytes()[:1 << 16], sample.name)  # recorded
    assert result.parsed + result.bad_rows == result.rows
    assert result.matched + result.unmatched + result.bogon == result.parsed
    expected_a = {(ip, family) for ip, family in keys if ip == ip_a}
    assert {(c.ip, c.family) for c in Case.objects.filter(unit=tree["a"])} == expected_a
    assert {c.ip for c in Case.objects.filter(unit=tree["b"])} == ({ip_b} if ip_b else set())
    assert Case.objects.count() == len(expected_a) + Case.objects.filter(unit=tree["b"]).count()
    assert all(s.raw for s in Sighting.objects.all())
    before = (Case.objects.count(), Sighting.objects.count())
    again = services.feed_import(file=sample, feed=feed, by=users["coordinator"])
    assert again.duplicate and (Case.objects.count(), Sighting.objects.count()) == before
    assert FeedImport.objects.count() == 1


def test_cli_reports_a_parse_error_and_imports_nothing(db, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x00\x01\x02garbage" * 100)
    with pytest.raises(CommandError):
        call_command("feeds", "import", str(path), "--source", "Broken")
    assert not FeedImport.objects.exists() and not Feed.objects.filter(name="Broken").exists()
