from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm

from .choices import IncidentStatus, IndicatorType
from .models import SERIOUS_CRITERIA, Incident, ReportingRule

DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def datetime_field(label, required=True):
    return forms.DateTimeField(label=label, required=required, input_formats=DATETIME_FORMATS,
                               widget=forms.DateTimeInput(format="%d/%m/%Y %H:%M",
                                                          attrs={"placeholder": "dd/mm/yyyy hh:mm"}),
                               help_text=_("dd/mm/yyyy hh:mm (Vietnam time)"))


REPORT_FIELDS = (
    "title", "incident_type", "severity",
    "reporter_name", "reporter_position", "reporter_phone", "reporter_email",
    "system", "system_name", "security_level", "domains_ips", "providers",
    "description", "detected_at", "current_status", "detection_method", "notified_parties",
    "os_info", "services_info", "security_measures", "support_requested", "confidential", "personal_data_breach",
    *SERIOUS_CRITERIA,
)


class IncidentForm(ScopedModelForm):
    """The initial report (form 03). On edit it carries the version it was read at (a stale one is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    detected_at = datetime_field(_("Detected at"))

    class Meta:
        model = Incident
        fields = ("unit", *REPORT_FIELDS, "lessons_learned")
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in (
            "domains_ips", "providers", "current_status", "detection_method", "notified_parties", "os_info",
            "services_info", "security_measures", "support_requested", "lessons_learned")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:
            del self.fields["unit"]  # an incident stays with the unit that reported it
            self.fields["version"].initial = self.instance.version
        else:
            self.fields.pop("lessons_learned", None)
            del self.fields["version"]

    def clean(self):
        cleaned = super().clean()
        system, unit = cleaned.get("system"), cleaned.get("unit") or (self.instance.unit if self.instance.pk else None)
        if system is not None and unit is not None and system.unit_id != unit.pk and "system" not in self.errors:
            self.add_error("system", _("%(object)s belongs to another unit.") % {"object": system})
        if self.instance.pk and cleaned.get("version") is None:
            self.add_error(None, _("The form lacks the version of the incident; reload the page."))
        return cleaned


class PhoneIncidentForm(IncidentForm):
    """The on-duty operator logs a phone call: the caller's details are required."""

    class Meta(IncidentForm.Meta):
        fields = ("unit", "reporter_name", "reporter_position", "reporter_phone", "reporter_email", "title",
                  "incident_type", "severity", "system", "system_name", "description", "detected_at",
                  "current_status", "support_requested", "confidential", "personal_data_breach")
        labels = {"reporter_name": _("Caller's name"), "reporter_position": _("Caller's position"),
                  "reporter_phone": _("Caller's phone"), "reporter_email": _("Caller's e-mail")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].required = True
        self.fields["reporter_phone"].required = True


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.ChoiceField(choices=IncidentStatus.choices, label=_("New status"))
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note"))
    lessons_learned = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                      label=_("Lessons learned"), help_text=_("Required to close the incident."))


class CommentForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Comment"), max_length=20000)


class EvidenceForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Evidence file"))
    description = forms.CharField(max_length=500, required=False, label=_("Description"))


class IndicatorForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(choices=[("hash", _("File hash (MD5, SHA-1 or SHA-256)")), *IndicatorType.choices],
                             label=_("Kind"))
    value = forms.CharField(max_length=2000, label=_("Value"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class SeriousOverrideForm(BootstrapFormMixin, forms.Form):
    CHOICES = (("auto", _("As the criteria say")), ("yes", _("Serious")), ("no", _("Not serious")))
    value = forms.ChoiceField(choices=CHOICES, label=_("Serious incident"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def override(self):
        return {"auto": None, "yes": True, "no": False}[self.cleaned_data["value"]]


class ReportedForm(BootstrapFormMixin, forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(max_length=500, required=False, label=_("How and to whom it was sent"))


class ReportingRuleForm(ScopedModelForm):
    class Meta:
        model = ReportingRule
        fields = ("key", "name", "kind", "applies_to", "hours", "month", "day", "recipient", "legal_basis",
                  "is_active", "order")
