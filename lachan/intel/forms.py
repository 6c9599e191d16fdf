from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm
from lachan.core.scope import VIEW
from lachan.organizations.models import Unit

from .models import AsnAssignment, Feed


class FeedForm(ScopedModelForm):
    class Meta:
        model = Feed
        fields = ["name", "source_organization", "default_format", "default_tlp", "critical_families",
                  "complete_list", "is_active", "description"]


class AsnAssignmentForm(ScopedModelForm):
    class Meta:
        model = AsnAssignment
        fields = ["unit", "asn", "description"]


class CaseCleanedForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                           help_text=_("For example: the host was scanned, the malware removed and the password changed."))


def format_choices():
    try:
        from lachan.intel.parsers import FORMATS
    except ImportError:
        return [("", _("Detect"))]
    names = FORMATS if isinstance(FORMATS, list | tuple) else list(FORMATS)
    return [("", _("Detect")), *[(name, name) for name in names]]


class FeedUploadForm(BootstrapFormMixin, forms.Form):
    feed = forms.ModelChoiceField(queryset=Feed.objects.none(), label=_("Feed"), required=False)
    new_feed = forms.CharField(label=_("or a new feed named"), max_length=200, required=False)
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(label=_("Format"), required=False, choices=())
    dry_run = forms.BooleanField(label=_("Dry run (check and count, write nothing)"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feed"].queryset = Feed.objects.restrict(user, VIEW).filter(is_active=True)
        self.fields["format"].choices = format_choices()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "INTEL_UPLOAD_MAX_BYTES", 2 * 1024 ** 3)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(limit)d MB.") % {"limit": limit // 1024 ** 2})
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("feed") and not (cleaned.get("new_feed") or "").strip():
            raise forms.ValidationError(_("Choose a feed or name a new one."))
        return cleaned


class UnmappedAssignForm(BootstrapFormMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Unit"))
    asn = forms.IntegerField(label=_("ASN"), min_value=1, max_value=4294967295)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, VIEW)
