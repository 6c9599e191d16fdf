"""Rotation arithmetic: day/night shifts across midnight, weekly turns, weekends, Tết, overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lachan.oncall.choices import Layer
from lachan.oncall.models import Override, Rotation, Schedule
from lachan.oncall.roster import Roster, holiday_name, on_duty
from lachan.oncall.services import rotation_set_participants
from lachan.testing.factories import UserFactory

ICT = ZoneInfo("Asia/Ho_Chi_Minh")


def ict(*args):
    return dt.datetime(*args, tzinfo=ICT)


def names(users):
    return [u.username for u in users]


@pytest.fixture
def people(tree):
    return {name: UserFactory(username=name, unit=tree["a"]) for name in ("an", "binh", "chi", "dung", "hoa")}


def rotation(schedule, members, **kwargs):
    rot = Rotation.objects.create(schedule=schedule, name=kwargs.pop("name", "r"), **kwargs)
    rotation_set_participants(rot, members)
    return rot


@pytest.fixture
def desk(tree, people):
    """Day 07:30–19:30 (an, binh daily), night 19:30–07:30 (chi, dung daily), from Monday 2026-03-02."""
    schedule = Schedule.objects.create(name="Trực A", unit=tree["a"])
    start = dt.date(2026, 3, 2)
    rotation(schedule, [people["an"], people["binh"]], name="day", start_date=start,
             shift_start=dt.time(7, 30), shift_end=dt.time(19, 30))
    rotation(schedule, [people["chi"], people["dung"]], name="night", start_date=start,
             shift_start=dt.time(19, 30), shift_end=dt.time(7, 30))
    return schedule


@pytest.mark.django_db
def test_day_and_night_shifts_across_midnight(desk):
    assert names(on_duty(desk, ict(2026, 3, 2, 7, 30))) == ["an"]  # the handover instant belongs to the new shift
    assert names(on_duty(desk, ict(2026, 3, 2, 7, 29))) == []  # before the first day: nobody
    assert names(on_duty(desk, ict(2026, 3, 2, 19, 29))) == ["an"]
    assert names(on_duty(desk, ict(2026, 3, 2, 19, 30))) == ["chi"]
    assert names(on_duty(desk, ict(2026, 3, 3, 0, 15))) == ["chi"]  # Monday's night shift runs past midnight
    assert names(on_duty(desk, ict(2026, 3, 3, 7, 29))) == ["chi"]
    assert names(on_duty(desk, ict(2026, 3, 3, 7, 30))) == ["binh"]
    assert names(on_duty(desk, ict(2026, 3, 3, 23, 0))) == ["dung"]
    assert names(on_duty(desk, ict(2026, 3, 4, 12, 0))) == ["an"]  # two participants: back to the first


@pytest.mark.django_db
def test_utc_instants_are_read_in_ict(desk):
    # 00:29 UTC is 07:29 ICT (still the night) and 00:30 UTC is 07:30 ICT (the day shift).
    assert names(on_duty(desk, dt.datetime(2026, 3, 3, 0, 29, tzinfo=dt.UTC))) == ["chi"]
    assert names(on_duty(desk, dt.datetime(2026, 3, 3, 0, 30, tzinfo=dt.UTC))) == ["binh"]


@pytest.mark.django_db
def test_weekly_rotation_hands_over_on_the_eighth_day(tree, people):
    schedule = Schedule.objects.create(name="Tuần", unit=tree["a"])
    rotation(schedule, [people["an"], people["binh"], people["chi"]], start_date=dt.date(2026, 3, 2),
             shift_start=dt.time(8, 0), shift_end=dt.time(8, 0), length_days=7)  # 24 h shifts, weekly turns
    assert names(on_duty(schedule, ict(2026, 3, 2, 8, 0))) == ["an"]
    assert names(on_duty(schedule, ict(2026, 3, 9, 7, 59))) == ["an"]  # Monday morning, last minutes of week 1
    assert names(on_duty(schedule, ict(2026, 3, 9, 8, 0))) == ["binh"]
    assert names(on_duty(schedule, ict(2026, 3, 16, 9, 0))) == ["chi"]
    assert names(on_duty(schedule, ict(2026, 3, 23, 9, 0))) == ["an"]


@pytest.mark.django_db
def test_weekend_layer_replaces_the_regular_days(desk, people):
    rotation(desk, [people["hoa"]], name="weekend", layer=Layer.WEEKEND, start_date=dt.date(2026, 3, 2),
             shift_start=dt.time(7, 30), shift_end=dt.time(7, 30))
    assert names(on_duty(desk, ict(2026, 3, 6, 21, 0))) == ["chi"]  # Friday night: regular night shift
    assert names(on_duty(desk, ict(2026, 3, 7, 7, 0))) == ["chi"]  # Friday's night shift ends Saturday 07:30
    assert names(on_duty(desk, ict(2026, 3, 7, 7, 30))) == ["hoa"]
    assert names(on_duty(desk, ict(2026, 3, 8, 23, 0))) == ["hoa"]
    assert names(on_duty(desk, ict(2026, 3, 9, 7, 29))) == ["hoa"]  # Sunday's 24 h shift ends Monday 07:30
    assert names(on_duty(desk, ict(2026, 3, 9, 7, 30))) != ["hoa"]


@pytest.mark.django_db
def test_tet_uses_the_holiday_layer(desk, people):
    assert holiday_name(dt.date(2027, 2, 6)) == "Lunar New Year"  # holidays VN: 1st day of Tết 2027
    rotation(desk, [people["dung"], people["hoa"]], name="tết", layer=Layer.HOLIDAY,
             start_date=dt.date(2027, 1, 1), shift_start=dt.time(7, 30), shift_end=dt.time(7, 30))
    # 2027-02-06 is a Saturday: without the holiday layer the regular rotation would hold it.
    assert dt.date(2027, 2, 6).weekday() == 5
    tet = ict(2027, 2, 6, 12, 0)
    # Holiday rotation: (2027-02-06 − 2027-01-01) = 36 days → turn 36 → participant 36 mod 2 = 0 → dung.
    assert names(on_duty(desk, tet)) == ["dung"]
    assert names(on_duty(desk, ict(2027, 2, 7, 12, 0))) == ["hoa"]  # 2nd day of Tết
    # An ordinary day is still the regular rotation: 2027-02-15 day shift, (days since 2026-03-02) = 350 → an.
    assert names(on_duty(desk, ict(2027, 2, 15, 12, 0))) == ["an"]
    # Control: the same instant without the holiday layer is the regular day shift (341 days → binh).
    regular_only = Roster(desk)
    regular_only.layers.discard(Layer.HOLIDAY)
    assert names(regular_only.at(tet)[0]) == ["binh"]
    assert Roster(desk).at(tet)[1] == Layer.HOLIDAY


@pytest.mark.django_db
def test_override_wins_over_every_layer(desk, people):
    Override.objects.create(schedule=desk, user=people["hoa"], starts=ict(2026, 3, 3, 6, 0),
                            ends=ict(2026, 3, 3, 9, 0), reason="ốm")
    assert names(on_duty(desk, ict(2026, 3, 3, 5, 59))) == ["chi"]
    assert names(on_duty(desk, ict(2026, 3, 3, 6, 0))) == ["hoa"]
    assert names(on_duty(desk, ict(2026, 3, 3, 8, 59))) == ["hoa"]
    assert names(on_duty(desk, ict(2026, 3, 3, 9, 0))) == ["binh"]


@pytest.mark.django_db
def test_timeline_of_a_day_lists_the_shifts_in_order(desk, people):
    Override.objects.create(schedule=desk, user=people["hoa"], starts=ict(2026, 3, 3, 12, 0),
                            ends=ict(2026, 3, 3, 13, 0))
    rows = Roster(desk).timeline(ict(2026, 3, 3, 0, 0), ict(2026, 3, 4, 0, 0))
    got = [(start.strftime("%H:%M"), end.strftime("%H:%M"), names(users), source) for start, end, users, source in rows]
    assert got == [
        ("00:00", "07:30", ["chi"], "regular"),
        ("07:30", "12:00", ["binh"], "regular"),
        ("12:00", "13:00", ["hoa"], "override"),
        ("13:00", "19:30", ["binh"], "regular"),
        ("19:30", "00:00", ["dung"], "regular"),
    ]


@pytest.mark.django_db
def test_on_duty_of_a_unit_falls_back_to_the_nearest_ancestor(tree, desk, people):
    assert names(on_duty(tree["a1"], ict(2026, 3, 2, 9, 0))) == ["an"]  # A1 has no schedule: A's
    assert on_duty(tree["b"], ict(2026, 3, 2, 9, 0)) == []
    coordinator_desk = Schedule.objects.create(name="Sở", unit=None)
    boss = UserFactory(username="boss", unit=tree["root"])
    rotation(coordinator_desk, [boss], start_date=dt.date(2026, 1, 1), shift_start=dt.time(0, 0),
             shift_end=dt.time(0, 0))
    assert names(on_duty(None, ict(2026, 3, 2, 9, 0))) == ["boss"]


@pytest.mark.django_db
def test_a_unit_schedule_takes_only_its_own_people(tree, desk):
    from django.core.exceptions import ValidationError

    outsider = UserFactory(username="outsider", unit=tree["b"])
    with pytest.raises(ValidationError, match="outsider"):
        rotation(desk, [outsider], name="bad")


@pytest.mark.django_db
def test_a_deactivated_participant_is_skipped(desk, people):
    people["an"].is_active = False
    people["an"].save()
    assert on_duty(desk, ict(2026, 3, 2, 9, 0)) == []  # an's turn: nobody rather than a dead account
    assert names(on_duty(desk, ict(2026, 3, 3, 9, 0))) == ["binh"]
