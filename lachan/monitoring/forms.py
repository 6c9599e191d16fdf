from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm

from .models import WatchedSite

MAX_SUBPAGES = 20
MIN_INTERVAL, MAX_INTERVAL = 60, 86_400
MAX_SITEMAP_SAMPLE = 20


def _host(url):
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def clean_subpages(text, site_url):
    """One path or same-site URL per line → the cleaned text. Errors name the line."""
    site_host = _host(site_url)
    lines, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if any(c.isspace() for c in line) or any(ord(c) < 32 for c in line):
            errors.append(_("Line %(line)d: a path or URL has no spaces.") % {"line": number})
            continue
        if line.startswith("/") and not line.startswith("//"):
            lines.append(line)
            continue
        parts = urlsplit(line)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(_("Line %(line)d: %(value)s is neither a path starting with / nor an http(s) URL.")
                          % {"line": number, "value": line[:100]})
        elif _host(line) != site_host:
            errors.append(_("Line %(line)d: %(value)s is not on %(host)s; only pages of the same site are checked.")
                          % {"line": number, "value": line[:100], "host": site_host})
        else:
            lines.append(line)
    if len(lines) > MAX_SUBPAGES:
        errors.append(_("At most %(max)d sub-pages.") % {"max": MAX_SUBPAGES})
    if errors:
        raise ValidationError(errors)
    return "\n".join(dict.fromkeys(lines))


class WatchedSiteForm(ScopedModelForm):
    """What a unit's writers may set on a watched site (never the state the engine keeps)."""

    interval_seconds = forms.IntegerField(label=_("Check interval (seconds)"), min_value=MIN_INTERVAL,
                                          max_value=MAX_INTERVAL)
    sitemap_sample = forms.IntegerField(label=_("Sitemap URLs sampled per deep check"), min_value=0,
                                        max_value=MAX_SITEMAP_SAMPLE)

    class Meta:
        model = WatchedSite
        fields = ["enabled", "interval_seconds", "deep_every", "subpages", "sitemap_sample"]
        widgets = {"subpages": forms.Textarea(attrs={"rows": 5})}

    def clean_deep_every(self):
        value = self.cleaned_data["deep_every"]
        if value < 1 or value > 1000:
            raise ValidationError(_("Between 1 and 1000."))
        return value

    def clean_subpages(self):
        return clean_subpages(self.cleaned_data.get("subpages", ""), self.instance.website.url)


class NoteForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RequiredNoteForm(NoteForm):
    note = forms.CharField(label=_("Why is this a false positive?"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class BaselineForm(BootstrapFormMixin, forms.Form):
    """Accept the current page as the baseline: the home page or one of the site's checked URLs."""

    url = forms.ChoiceField(label=_("Page"), required=False)

    def __init__(self, *args, urls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["url"].choices = [("", _("Every page of the site"))] + [(u, u) for u in urls]


class ConfirmForm(BootstrapFormMixin, forms.Form):
    """Nothing to fill in: the POST itself confirms."""
