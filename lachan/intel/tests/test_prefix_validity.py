"""Owner mapping with the assignment valid at the event's time (issue 4): a block handed from one unit
to another maps each event to the unit that held it on the event's day (Asia/Ho_Chi_Minh)."""

import datetime

import pytest

from lachan.intel import services
from lachan.intel.matching import PrefixMatcher
from lachan.intel.models import Case, Feed
from lachan.inventory.models import IPPrefix
from lachan.inventory.selectors import prefix_owner
from lachan.testing.factories import IPPrefixFactory

# A Vietnamese authority's spreadsheet (generic parser, Vietnamese headers); times are UTC+7 local here.
LIST = """Địa chỉ IP,Thời gian,Tên mã độc
45.10.5.7,2026-09-30 23:30:00,mirai
45.10.5.8,2026-10-01 00:30:00,mirai
45.10.5.9,2026-11-15 08:00:00,mirai
45.10.9.9,2026-08-01 08:00:00,mirai
"""


@pytest.fixture
def handover(tree):
    """45.10.5.0/24 belonged to A1 until 30/09/2026 (Vietnam time) and to B from 01/10/2026; A holds
    the covering /16 the whole time; a second block of B starts only on 01/11/2026."""
    IPPrefixFactory(unit=tree["a"], prefix="45.10.0.0/16")
    IPPrefixFactory(unit=tree["a1"], prefix="45.10.5.0/24", valid_until=datetime.date(2026, 9, 30))
    IPPrefixFactory(unit=tree["b"], prefix="45.10.5.0/24", valid_from=datetime.date(2026, 10, 1))
    IPPrefixFactory(unit=tree["b"], prefix="45.10.9.0/24", valid_from=datetime.date(2026, 11, 1))


def run_import(tmp_path, users, text, source_tz):
    path = tmp_path / "danh-sach.csv"
    path.write_text(text, encoding="utf-8")
    feed = Feed.objects.create(name="Danh sách IP botnet", complete_list=True)
    return services.feed_import(file=path, feed=feed, by=users["coordinator"], source_tz=source_tz)


def owners():
    return {c.ip: c.unit.code for c in Case.objects.select_related("unit")}


def test_each_event_goes_to_the_unit_holding_the_block_that_day(tmp_path, users, tree, handover):
    result = run_import(tmp_path, users, LIST, "Asia/Ho_Chi_Minh")
    assert (result.rows, result.matched, result.unmatched) == (4, 4, 0)
    assert owners() == {
        "45.10.5.7": "A1",  # 30/09 23:30 local: still A1's
        "45.10.5.8": "B",  # 01/10 00:30 local: B's from that day
        "45.10.5.9": "B",
        "45.10.9.9": "A",  # B's /24 did not exist yet in August: the covering /16 of A
    }


def test_the_day_is_the_vietnamese_day_not_the_utc_one(tmp_path, users, tree, handover):
    # 30/09 18:00 UTC is 01/10 01:00 in Hà Nội: B's already.
    run_import(tmp_path, users, "Địa chỉ IP,Thời gian,Tên mã độc\n45.10.5.7,2026-09-30 18:00:00,mirai\n", "UTC")
    assert owners() == {"45.10.5.7": "B"}


def test_an_event_with_no_time_uses_today(tmp_path, users, tree, handover, settings):
    run_import(tmp_path, users, "Địa chỉ IP,Tên mã độc\n45.10.5.7,mirai\n", "UTC")
    assert owners() == {"45.10.5.7": "B"}


def test_expired_block_with_no_cover_goes_to_the_unmapped_queue(tmp_path, users, tree):
    IPPrefixFactory(unit=tree["a1"], prefix="45.30.0.0/24", valid_until=datetime.date(2026, 1, 31))
    result = run_import(tmp_path, users, "Địa chỉ IP,Thời gian,Tên mã độc\n45.30.0.1,2026-03-01 08:00:00,mirai\n"
                        "45.30.0.2,2026-01-31 08:00:00,mirai\n", "UTC")
    assert (result.matched, result.unmatched) == (1, 1)
    assert owners() == {"45.30.0.2": "A1"}
    assert list(result.unmapped.values_list("ip", flat=True)) == ["45.30.0.1"]


def test_matcher_and_prefix_owner_agree_on_validity(tree, handover):
    day = datetime.date(2026, 9, 30)
    matcher = PrefixMatcher.from_queryset(IPPrefix.objects.all(), at=day, allow_documentation=True)
    index = matcher.match(["45.10.5.7"])[0][0]
    assert matcher.label(index) == tree["a1"].pk
    assert prefix_owner("45.10.5.7", on=day).unit == tree["a1"]
    assert prefix_owner("45.10.5.7", on=datetime.date(2026, 10, 1)).unit == tree["b"]
    assert prefix_owner("45.10.9.1", on=datetime.date(2026, 10, 1)).unit == tree["a"]
    # a datetime is taken as its day in Asia/Ho_Chi_Minh
    late = datetime.datetime(2026, 9, 30, 17, 30, tzinfo=datetime.UTC)  # 00:30 on 01/10 in Hà Nội
    matcher = PrefixMatcher.from_queryset(IPPrefix.objects.all(), at=late)
    assert matcher.label(matcher.match(["45.10.5.7"])[0][0]) == tree["b"].pk


def test_validity_bounds_are_checked(tree, client_for, users):
    from django.core.exceptions import ValidationError

    prefix = IPPrefix(unit=tree["a"], prefix="45.40.0.0/24", valid_from=datetime.date(2026, 5, 1),
                      valid_until=datetime.date(2026, 4, 1))
    with pytest.raises(ValidationError) as error:
        prefix.full_clean()
    assert "valid_until" in error.value.message_dict
