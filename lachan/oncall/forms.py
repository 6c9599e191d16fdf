from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from lachan.core.forms import ScopedModelForm

from . import services
from .models import EscalationPolicy, EscalationRule, Handover, Override, Rotation, Schedule

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DeskUnitMixin:
    """Only coordinators keep the coordinator's desk (no unit); everybody else must name a unit."""

    def clean_unit(self):
        unit = self.cleaned_data.get("unit")
        if unit is None and not self.user.is_coordinator:
            raise ValidationError(_("Choose your unit (only coordinators keep the coordinator's desk)."))
        return unit


class ScheduleForm(DeskUnitMixin, ScopedModelForm):
    class Meta:
        model = Schedule
        fields = ("name", "unit", "timezone", "description")


class RotationForm(ScopedModelForm):
    participants_text = forms.CharField(
        label=_l("Participants"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_l("User names in turn order, one per line or separated by commas"))

    class Meta:
        model = Rotation
        fields = ("schedule", "name", "layer", "start_date", "shift_start", "shift_end", "length_days")
        widgets = {"shift_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "shift_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("participants_text",
                                    "\n".join(u.username for u in self.instance.ordered_participants()))

    def clean(self):
        data = super().clean()
        names = [n for n in (data.get("participants_text") or "").replace(",", "\n").splitlines() if n.strip()]
        try:
            self.participants = services.users_by_username(names, by=self.user)
        except ValidationError as exc:
            self.add_error("participants_text", exc.message_dict["participants"])
        return data

    def save(self, commit=True):
        rotation = super().save(commit=commit)
        try:
            services.rotation_set_participants(rotation, self.participants)
        except ValidationError as exc:
            raise ValidationError({"participants_text": exc.message_dict["participants"]}) from None
        return rotation


class OverrideForm(ScopedModelForm):
    class Meta:
        model = Override
        fields = ("schedule", "user", "starts", "ends", "reason")
        widgets = {"starts": DATETIME, "ends": DATETIME}


class HandoverForm(ScopedModelForm):
    class Meta:
        model = Handover
        fields = ("schedule", "from_user", "to_user", "at", "text")
        widgets = {"at": DATETIME}


class EscalationPolicyForm(DeskUnitMixin, ScopedModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ("name", "unit", "repeat", "description")


class EscalationRuleForm(ScopedModelForm):
    class Meta:
        model = EscalationRule
        fields = ("policy", "position", "target", "schedule", "user", "wait_minutes")


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_l("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
