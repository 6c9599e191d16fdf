from . import views

routes = [
    ("schedules", views.ScheduleViewSet, "schedule"),
    ("on-duty", views.OnDutyViewSet, "onduty"),
    ("rotations", views.RotationViewSet, "rotation"),
    ("overrides", views.OverrideViewSet, "override"),
    ("handovers", views.HandoverViewSet, "handover"),
    ("policies", views.EscalationPolicyViewSet, "escalationpolicy"),
    ("rules", views.EscalationRuleViewSet, "escalationrule"),
    ("escalations", views.EscalationViewSet, "escalation"),
]
