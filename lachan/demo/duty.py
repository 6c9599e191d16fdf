"""The demo's duty desk: the Sở TTTT's 24/7 roster (the operator and the coordinator take turns, a day each)
and its escalation policy (the person on duty first, the coordinator five minutes later if nobody has
acknowledged), which answers for every unit without a policy of its own — so an alert of a demo website pages
someone. Loaded after the accounts, through the loader's idempotent ``get_or_create``."""

import datetime as dt

from lachan.accounts.models import User
from lachan.oncall.choices import StepTarget
from lachan.oncall.models import EscalationPolicy, EscalationRule, Rotation, RotationMember, Schedule

DESK = "Trực ban 24/7 — Sở TTTT Hải Phòng"
ROTATION = "Ca 24 giờ (giao ca 07:30)"
POLICY = "Cảnh báo và sự cố — trực ban Sở TTTT"
ON_DUTY = ("truc.ca", "dieuphoi")  # in turn, a day each
BACKUP = "dieuphoi"


def load_duty_desk(writer):
    """Create what is missing of the demo's duty desk (nothing when the accounts are not there)."""
    users = {u.username: u for u in User.objects.filter(username__in=[*ON_DUTY, BACKUP])}
    if set(users) != {*ON_DUTY, BACKUP}:
        return None
    desk = writer.get_or_create(Schedule, {"name": DESK, "unit": None},
                                {"description": "Trực giám sát, tiếp nhận cảnh báo và sự cố 24/7."})
    rotation = writer.get_or_create(Rotation, {"schedule": desk, "name": ROTATION},
                                    {"start_date": dt.date(2025, 1, 1), "shift_start": dt.time(7, 30),
                                     "shift_end": dt.time(7, 30), "length_days": 1})
    for position, username in enumerate(ON_DUTY):
        writer.get_or_create(RotationMember, {"rotation": rotation, "position": position},
                             {"user": users[username]})
    policy = writer.get_or_create(EscalationPolicy, {"name": POLICY, "unit": None},
                                  {"repeat": 1, "description": "Người trực trước; sau 5 phút chưa xác nhận: "
                                                               "điều phối viên."})
    writer.get_or_create(EscalationRule, {"policy": policy, "position": 1},
                         {"target": StepTarget.ON_DUTY, "schedule": desk, "wait_minutes": 5})
    writer.get_or_create(EscalationRule, {"policy": policy, "position": 2},
                         {"target": StepTarget.USER, "user": users[BACKUP], "wait_minutes": 10})
    return policy
