from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm
from lachan.core.scope import VIEW
from lachan.organizations.models import Unit

from .choices import AnswerStatus, FindingStatus
from .models import SlaPolicy


def _check_size(upload):
    limit = getattr(settings, "VULNS_UPLOAD_MAX_BYTES", 2 * 1024 ** 3)
    if upload.size > limit:
        raise forms.ValidationError(_("The file is larger than %(limit)d MB.") % {"limit": limit // 1024 ** 2})
    return upload


def scan_format_choices():
    try:
        from .parsers import FORMATS
    except ImportError:
        FORMATS = ()  # noqa: N806
    return [("", _("Detect")), *[(name, name) for name in FORMATS]]


class ScanUploadForm(BootstrapFormMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Unit"))
    file = forms.FileField(label=_("Scanner file (Nessus, OpenVAS, Nuclei, Trivy, Nmap)"))
    format = forms.ChoiceField(label=_("Format"), required=False, choices=())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, VIEW)
        self.fields["format"].choices = scan_format_choices()
        if getattr(user, "unit_id", None) and not self.is_bound:
            self.initial.setdefault("unit", user.unit_id)

    def clean_file(self):
        return _check_size(self.cleaned_data["file"])


class AdvisoryUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Advisory file (NVD JSON 2.0, CVE 5, CISA KEV JSON/CSV)"))
    format = forms.ChoiceField(label=_("Format"), required=False,
                               choices=[("", _("Detect")), ("nvd", "NVD"), ("cve5", "CVE 5"), ("kev", "CISA KEV")])

    def clean_file(self):
        return _check_size(self.cleaned_data["file"])


class FindingStatusForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=FindingStatus.choices)
    reason = forms.CharField(label=_("Reason / note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=5000)
    expires_on = forms.DateField(label=_("Risk accepted until"), required=False)


class AliasConfirmForm(BootstrapFormMixin, forms.Form):
    vendor = forms.CharField(max_length=200, widget=forms.HiddenInput)
    product = forms.CharField(max_length=200, widget=forms.HiddenInput)
    cpe_vendor = forms.CharField(label=_("CPE vendor"), max_length=200)
    cpe_product = forms.CharField(label=_("CPE product"), max_length=200)


class SlaPolicyForm(ScopedModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["name", "is_active", "critical_days", "high_days", "medium_days", "low_days", "info_days",
                  "kev_days", "kev_use_catalog_due", "level_1_factor", "level_2_factor", "level_3_factor",
                  "level_4_factor", "level_5_factor"]


class CampaignForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    title = forms.CharField(label=_("Title"), max_length=500, required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=300, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False)
    deadline = forms.DateField(label=_("Deadline"), required=False)
    cve_ids = forms.CharField(label=_("CVEs (one per line or comma-separated)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("or the warning itself (DOCX, PDF, CSV, XLSX)"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        return _check_size(upload) if upload else upload

    def cve_list(self):
        import re

        text = self.cleaned_data.get("cve_ids") or ""
        return sorted({m.upper() for m in re.findall(r"CVE-\d{4}-\d{4,}", text, re.I)})

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not self.cve_list():
            raise forms.ValidationError(_("List at least one CVE or attach the warning."))
        if not cleaned.get("file") and not (cleaned.get("title") or "").strip():
            self.add_error("title", _("Give the warning's title."))
        return cleaned


class AnswerForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Answer"), choices=[c for c in AnswerStatus.choices if c[0] != "pending"])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    evidence = forms.FileField(label=_("Evidence file"), required=False)

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload and upload.size > getattr(settings, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024):
            raise forms.ValidationError(_("The file is too large."))
        return upload
