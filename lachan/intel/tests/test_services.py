"""feed_import: mapping, dedup, idempotence, atomicity, the case lifecycle, the unmapped queue, ASN fallback.

Until the parsers exist these tests feed the importer through ``fake_parse`` (lines ``ip,family,seen,asn``),
which produces the shared ``EventBatch`` columns exactly as a parser would; the real samples are used in
``test_cases.py`` when ``lachan.intel.parsers`` is importable.
"""

import datetime
import io
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from lachan.intel import services
from lachan.intel.choices import CaseStatus
from lachan.intel.events import EventBatch
from lachan.intel.models import AsnAssignment, Case, Feed, FeedImport, Indicator, Sighting, UnmappedIP
from lachan.testing.factories import IPPrefixFactory

UTC = datetime.UTC


class FakeParseError(ValueError):
    pass


def fake_parse(source, **options):
    """``ip,family,seen,asn`` lines → EventBatch (``!`` in the IP: a bad row; a line ``FAIL``: the parser fails)."""
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    batch = EventBatch()
    for number, line in enumerate(data.decode().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line == "FAIL":
            yield batch
            raise FakeParseError(f"line {number}: truncated file")
        if line.startswith("IOC "):
            kind, value = line[4:].split(" ", 1)
            batch.indicators.append((kind, value, number))
            continue
        ip, family, seen, asn = (line.split(",") + [""] * 4)[:4]
        if "!" in ip:
            batch.bad.append((number, f"not an IP address: {ip}"))
            continue
        when = datetime.datetime.fromisoformat(seen).replace(tzinfo=UTC) if seen else None
        batch.append(ip=ip, line=number, raw=line, family=family or None, seen=when, asn=int(asn) if asn else None,
                     port=80, protocol="tcp", destination="c2.example.net:443")
    yield batch


@pytest.fixture
def prefixes(tree):
    return {
        "a": IPPrefixFactory(unit=tree["a"], prefix="45.10.0.0/16"),
        "a1": IPPrefixFactory(unit=tree["a1"], prefix="45.10.5.0/24"),  # nested: the most specific wins
        "b": IPPrefixFactory(unit=tree["b"], prefix="45.20.0.0/16"),
        "b6": IPPrefixFactory(unit=tree["b"], prefix="2001:4860::/32"),
    }


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(services, "_parse", fake_parse)
    monkeypatch.setattr(services, "_detect", lambda file, name: "fake")


@pytest.fixture
def feed(db):
    return Feed.objects.create(name="Danh sách IP botnet hằng tháng", complete_list=True)


@pytest.fixture
def run(tmp_path, users, fake, prefixes):
    counter = {"n": 0}

    def _run(text, *, feed, dry_run=False, by=None):
        counter["n"] += 1
        path = tmp_path / f"list-{counter['n']}.csv"
        path.write_text(text)
        return services.feed_import(file=path, feed=feed, by=by or users["coordinator"], dry_run=dry_run)

    return _run


def cases(**filters):
    return {(c.unit.code, c.ip, c.family): c.status for c in Case.objects.filter(**filters).select_related("unit")}


LIST_1 = """# ip,family,seen,asn
45.10.1.1,mirai,2026-10-01T10:00:00
45.10.5.7,Conficker,2026-10-02T10:00:00
45.10.5.7,conficker,2026-10-03T10:00:00
45.20.9.9,mirai,2026-10-01T11:00:00
2001:4860::8888,avalanche,2026-10-01T12:00:00
8.8.8.8,mirai,2026-10-01T12:00:00,15169
10.1.2.3,mirai,2026-10-01T12:00:00
1.2.!.4,mirai
"""


def test_import_maps_to_the_most_specific_prefix_and_counts_everything(run, feed, tree):
    result = run(LIST_1, feed=feed)
    assert not result.duplicate
    assert (result.rows, result.parsed, result.bad_rows) == (8, 7, 1)
    assert (result.matched, result.unmatched, result.bogon) == (5, 1, 1)
    assert cases() == {
        ("A", "45.10.1.1", "mirai"): "open",
        ("A1", "45.10.5.7", "conficker"): "open",  # family lower-cased; two rows → one case, one sighting
        ("B", "45.20.9.9", "mirai"): "open",
        ("B", "2001:4860::8888", "avalanche"): "open",
    }
    sighting = Sighting.objects.get(ip="45.10.5.7")
    assert sighting.count == 2 and sighting.unit == tree["a1"]
    assert sighting.seen == datetime.datetime(2026, 10, 3, 10, tzinfo=UTC)
    assert Case.objects.get(ip="45.10.5.7").first_seen == datetime.datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert result.bad_report == {"total": 1, "rows": [[9, "not an IP address: 1.2.!.4"]]}
    assert result.bogon_report["ips"] == [["10.1.2.3", 1]]
    assert {(u.ip, u.bogon, u.asn) for u in UnmappedIP.objects.all()} == {("8.8.8.8", False, 15169),
                                                                          ("10.1.2.3", True, None)}
    assert result.per_unit[str(tree["a1"].pk)] == {"rows": 2, "ips": 1, "new": 1, "reinfected": 0}
    assert result.cases_new == 4
    # Only rows of known units are stored.
    assert Sighting.objects.count() == 4


def test_reimporting_the_same_file_changes_nothing(run, feed, tmp_path, users):
    first = run(LIST_1, feed=feed)
    before = (Case.objects.count(), Sighting.objects.count(), UnmappedIP.objects.count(), LogEntry.objects.count())
    path = tmp_path / "same-content-other-name.csv"
    path.write_text(LIST_1)
    again = services.feed_import(file=path, feed=feed, by=users["coordinator"])
    assert again.duplicate and again.pk == first.pk
    assert (Case.objects.count(), Sighting.objects.count(), UnmappedIP.objects.count(),
            LogEntry.objects.count()) == before
    assert FeedImport.objects.count() == 1


def test_dedup_across_files_and_sources(run, feed):
    other = Feed.objects.create(name="Shadowserver")
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n", feed=feed)
    run("45.10.1.1,mirai,2026-10-05T10:00:00\n45.10.1.1,mirai,2026-10-06T10:00:00\n", feed=other)
    case = Case.objects.get()
    assert case.sightings_count == 2 and case.sightings.count() == 2
    assert case.last_seen == datetime.datetime(2026, 10, 6, 10, tzinfo=UTC)
    assert case.status == CaseStatus.OPEN


def test_lifecycle_open_cleaned_closed_reinfected(run, feed, users):
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n45.20.9.9,mirai,2026-10-01T10:00:00\n", feed=feed)
    case = Case.objects.get(ip="45.10.1.1")
    services.case_report_cleaned(case=case, by=users["member_a"], note="Đã quét và gỡ mã độc")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLEANED and case.cleaned_by == users["member_a"]
    # The next complete list of the feed no longer has it: closed. B's IP is still listed: stays open.
    second = run("45.20.9.9,mirai,2026-11-01T10:00:00\n", feed=feed)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    assert second.cases_closed == 1
    assert Case.objects.get(ip="45.20.9.9").status == CaseStatus.OPEN
    # It comes back: reinfected, counted, shown.
    third = run("45.10.1.1,mirai,2026-12-01T10:00:00\n45.20.9.9,mirai,2026-12-01T10:00:00\n", feed=feed)
    case.refresh_from_db()
    assert case.status == CaseStatus.REINFECTED and case.reinfections == 1
    assert third.cases_reinfected == 1
    # Status changes are audited one by one.
    changes = LogEntry.objects.get_for_object(case)
    assert changes.count() >= 3


def test_cleaned_case_seen_again_later_reopens(run, feed, users):
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n", feed=feed)
    case = Case.objects.get()
    services.case_report_cleaned(case=case, by=users["member_a"], note="Đã xử lý")
    run("45.10.1.1,mirai,2099-01-01T10:00:00\n", feed=feed)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.cleaned_note == "Đã xử lý"


def test_incomplete_feed_closes_nothing(run):
    feed = Feed.objects.create(name="Ad hoc", complete_list=False)
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n", feed=feed)
    run("45.20.9.9,mirai,2026-10-01T10:00:00\n", feed=feed)
    assert Case.objects.get(ip="45.10.1.1").status == CaseStatus.OPEN


def test_other_feed_does_not_close_cases_it_never_reported(run, feed):
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n", feed=feed)
    other = Feed.objects.create(name="Other complete", complete_list=True)
    run("45.20.9.9,mirai,2026-10-01T10:00:00\n", feed=other)
    assert Case.objects.get(ip="45.10.1.1").status == CaseStatus.OPEN


def test_stale_cases_close_after_n_days(run, feed, settings):
    settings.INTEL_CASE_CLOSE_DAYS = 30
    run("45.10.1.1,mirai,2020-01-01T10:00:00\n", feed=feed)
    assert services.close_stale_cases() == 1
    assert Case.objects.get().status == CaseStatus.CLOSED


def test_report_cleaned_needs_a_note(run, feed, users):
    run("45.10.1.1,mirai,2026-10-01T10:00:00\n", feed=feed)
    with pytest.raises(ValidationError) as error:
        services.case_report_cleaned(case=Case.objects.get(), by=users["member_a"], note="  ")
    assert "note" in error.value.message_dict
    assert Case.objects.get().status == CaseStatus.OPEN


def test_a_parse_error_midway_leaves_nothing(run, feed):
    with pytest.raises(FakeParseError):
        run("45.10.1.1,mirai,2026-10-01T10:00:00\nFAIL\n45.20.9.9,mirai\n", feed=feed)
    assert not FeedImport.objects.exists() and not Case.objects.exists() and not Sighting.objects.exists()
    assert not UnmappedIP.objects.exists()


def test_a_database_error_midway_leaves_nothing(run, feed, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Sighting.objects, "bulk_create", broken)
    log_entries = LogEntry.objects.count()
    with pytest.raises(DatabaseError):
        run(LIST_1, feed=feed)
    assert not FeedImport.objects.exists() and not Case.objects.exists() and not UnmappedIP.objects.exists()
    assert LogEntry.objects.count() == log_entries


def test_asn_fallback_then_unmapped_queue(run, feed, tree):
    AsnAssignment.objects.create(asn=15169, unit=tree["b"])
    result = run("8.8.8.8,mirai,2026-10-01T10:00:00,15169\n9.9.9.9,mirai,2026-10-01T10:00:00,19281\n", feed=feed)
    assert (result.matched, result.matched_by_asn, result.unmatched) == (1, 1, 1)
    case = Case.objects.get()
    assert (case.unit, case.ip) == (tree["b"], "8.8.8.8")
    assert Sighting.objects.get().via_asn
    assert list(UnmappedIP.objects.values_list("ip", "asn")) == [("9.9.9.9", 19281)]
    assert result.unmapped_asns == [[19281, 1, 1]]


def test_assign_asn_from_the_queue(users, tree):
    assignment = services.assign_asn(asn=19281, unit=tree["a"], by=users["coordinator"])
    assert assignment.unit == tree["a"]
    assert services.assign_asn(asn=19281, unit=tree["b"], by=users["coordinator"]).unit == tree["b"]
    assert AsnAssignment.objects.count() == 1


def test_dry_run_writes_nothing(run, feed):
    result = run(LIST_1, feed=feed, dry_run=True)
    assert result.pk is None and result.matched == 5 and result.bad_rows == 1
    assert not FeedImport.objects.exists() and not Case.objects.exists()


def test_indicators_are_kept_with_source_and_expiry(run, feed):
    run("IOC domain evil.example.net\nIOC sha256 " + "a" * 64 + "\n", feed=feed)
    run("IOC domain evil.example.net\n", feed=feed)
    assert Indicator.objects.count() == 2
    indicator = Indicator.objects.get(kind="domain")
    assert indicator.feed == feed and indicator.expires_at > indicator.last_seen


def test_unit_users_may_not_import(run, feed, users):
    with pytest.raises(ValidationError):
        run(LIST_1, feed=feed, by=users["admin_a"])
    assert not FeedImport.objects.exists()


def test_hostile_values_are_kept_as_evidence_without_failing_the_import(feed, users, prefixes, monkeypatch, tmp_path):
    def weird_parse(source, **options):
        batch = EventBatch()
        batch.append(ip="45.10.1.1", line=2, raw="45.10.1.1\x00,=cmd|' /C calc'!A0", family="Mi\x00rai",
                     port=99999999, asn=-5, destination="x" * 5000, protocol="tcp")
        yield batch

    monkeypatch.setattr(services, "_parse", weird_parse)
    monkeypatch.setattr(services, "_detect", lambda file, name: "fake")
    path = tmp_path / "weird.csv"
    path.write_text("whatever")
    services.feed_import(file=path, feed=feed, by=users["coordinator"])
    sighting = Sighting.objects.get()
    assert (sighting.family, sighting.port, sighting.asn) == ("mirai", None, None)
    assert "\x00" not in sighting.raw and len(sighting.destination) == 500


def test_cli_import_json_dry_run_and_idempotence(fake, prefixes, tree, tmp_path):
    import json

    from django.core.management import call_command

    path = tmp_path / "national.csv"
    path.write_text(LIST_1)
    out = io.StringIO()
    call_command("feeds", "import", str(path), "--source", "VNCERT", "--dry-run", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["dry_run"] and summary["import"] is None and summary["matched"] == 5
    assert not Feed.objects.filter(name="VNCERT").exists() and not Case.objects.exists()
    out = io.StringIO()
    call_command("feeds", "import", str(path), "--source", "VNCERT", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["by_unit"] == {"A": 1, "A1": 2, "B": 2} and summary["bad_rows"] == 1
    assert summary["cases_new"] == 4 and not summary["duplicate"]
    assert Feed.objects.get(name="VNCERT").imports.count() == 1
    out = io.StringIO()
    call_command("feeds", "import", str(path), "--source", "VNCERT", stdout=out)
    assert Case.objects.count() == 4 and FeedImport.objects.count() == 1
    assert "VNCERT" in out.getvalue()


def test_cli_import_errors(db, fake, tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("feeds", "import", str(tmp_path / "missing.csv"))
    path = tmp_path / "x.csv"
    path.write_text("45.10.1.1,mirai\n")
    with pytest.raises(CommandError):
        call_command("feeds", "import", str(path), "--by", "nobody")


def test_documentation_ranges_match_a_registered_prefix_and_are_bogons_otherwise(run, feed, tree, settings):
    IPPrefixFactory(unit=tree["a"], prefix="192.0.2.0/28")  # as the demo registers
    result = run("192.0.2.5,mirai\n192.0.2.200,mirai\n", feed=feed)
    assert (result.matched, result.bogon) == (1, 1)
    assert Case.objects.get().unit == tree["a"]
    settings.INTEL_MATCH_DOCUMENTATION = False
    result = run("192.0.2.6,mirai\n", feed=feed)
    assert (result.matched, result.bogon) == (0, 1)
