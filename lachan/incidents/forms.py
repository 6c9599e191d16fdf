from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm

from .choices import IncidentStatus, IndicatorType
from .models import SERIOUS_CRITERIA, Incident, ReportingRule, ResponsePlan

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


# --- escalation, playbooks, emergency response plans -----------------------------------------------------------


class EscalationForm(BootstrapFormMixin, forms.Form):
    """Recipients from the external contact directory (those with an e-mail) and typed addresses, the evidence
    files to attach, a note; the incident version the sender read."""

    recipients = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                                label=_("Recipients from the contact directory"))
    extra_emails = forms.CharField(required=False, max_length=2000, label=_("Other e-mail addresses"),
                                   help_text=_("Separated by commas or new lines"),
                                   widget=forms.Textarea(attrs={"rows": 2}))
    attachments = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                                 label=_("Evidence files to attach"))
    note = forms.CharField(required=False, max_length=5000, label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, incident, user, **kwargs):
        from lachan.core.scope import VIEW
        from lachan.organizations.models import ExternalContact

        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = (ExternalContact.objects.restrict(user, VIEW).filter(is_active=True)
                                              .exclude(emails=""))
        self.fields["recipients"].label_from_instance = lambda c: f"{c} — {c.emails}"
        self.fields["attachments"].queryset = incident.evidence.all()
        self.fields["attachments"].label_from_instance = lambda e: f"{e.file_name} ({e.size:,} B)"

    def recipient_list(self):
        import re

        typed = [e for e in re.split(r"[\s,;]+", self.cleaned_data.get("extra_emails") or "") if e]
        return [*self.cleaned_data.get("recipients", []), *typed]


class PlaybookAttachForm(BootstrapFormMixin, forms.Form):
    key = forms.ChoiceField(choices=(), label=_("Playbook"))

    def __init__(self, *args, **kwargs):
        from . import playbooks

        super().__init__(*args, **kwargs)
        self.fields["key"].choices = playbooks.choices()


class PlaybookStepForm(BootstrapFormMixin, forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    done = forms.TypedChoiceField(choices=(("1", _("Done")), ("0", _("Not done"))), coerce=lambda v: v == "1",
                                  initial="1", label=_("Done"))
    note = forms.CharField(required=False, max_length=500, label=_("Note"))


class ResponsePlanForm(ScopedModelForm):
    """A unit's emergency response plan; the document (PDF/DOCX) is required for a new plan, optional on edit."""

    document = forms.FileField(required=False, label=_("Plan document (PDF or DOCX)"))
    approved_on = forms.DateField(label=_("Approved on"), input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                  widget=forms.DateInput(format="%d/%m/%Y"), help_text=_("dd/mm/yyyy"))

    class Meta:
        model = ResponsePlan
        fields = ("unit", "title", "description", "approved_on", "review_months", "is_active")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["document"].required = True
        else:
            del self.fields["unit"]  # a plan stays with its unit
