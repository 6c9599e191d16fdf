from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lachan.core.forms import ScopedModelForm

from .addresses import validate_target
from .models import NotificationPreference


class PreferenceForm(ScopedModelForm):
    class Meta:
        model = NotificationPreference
        fields = ("channel", "target", "enabled", "min_severity", "event_kinds", "quiet_start", "quiet_end", "secret")
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}),
                   "secret": forms.PasswordInput(render_value=True)}

    def clean(self):
        data = super().clean()
        channel, target = data.get("channel"), data.get("target")
        if channel and target:
            try:
                data["target"] = validate_target(channel, target)
            except ValidationError as exc:
                self.add_error("target", exc)
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            self.add_error("quiet_end", ValidationError(_("Give both ends of the quiet hours, or neither.")))
        return data
