"""Pages that act on one site or alert through a service: a confirmation (or note) form on GET, the
service call on POST. The object is looked up among those the user may act on (``queries.actionable``:
the view scope, for the unit's writers and the on-duty operators): another unit's object, or any object for
a read-only role (auditors), is a 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import forms
from ..choices import OPEN_ALERT_STATES
from ..models import Alert, WatchedSite
from . import queries


def _services():
    from lachan.monitoring import services  # written alongside; imported when an action runs

    return services


class ObjectActionView(LoginRequiredMixin, View):
    model = None
    template_name = "monitoring/action_confirm.html"
    form_class = forms.NoteForm
    select_related = ()
    title = ""
    explanation = ""
    button = ""
    danger = False

    def get_object(self, pk):
        queryset = queries.actionable(self.request.user, self.model.objects.select_related(*self.select_related))
        return get_object_or_404(self.limit(queryset), pk=pk)

    def limit(self, queryset):
        return queryset

    def get_form(self, obj, data=None):
        return self.form_class(data)

    def render_form(self, obj, form):
        context = {"object": obj, "form": form, "title": self.title, "explanation": self.explanation,
                   "button": self.button, "danger": self.danger, "site": getattr(obj, "site", obj)}
        return render(self.request, self.template_name, context | self.extra_context(obj))

    def extra_context(self, obj):
        return {}

    def get(self, request, pk):
        obj = self.get_object(pk)
        return self.render_form(obj, self.get_form(obj))

    def post(self, request, pk):
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST)
        if form.is_valid():
            try:
                self.act(obj, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, self.done_message(obj))
                return redirect(self.success_url(obj))
        return self.render_form(obj, form)

    def act(self, obj, data):
        raise NotImplementedError

    def done_message(self, obj):
        return _("Done.")

    def success_url(self, obj):
        return obj.get_absolute_url()


class SiteRecheckView(ObjectActionView):
    model = WatchedSite
    select_related = ("website__unit",)
    form_class = forms.ConfirmForm
    title = gettext_lazy("Check this site now")
    explanation = gettext_lazy("The site is checked again (a full check, with the cloaking probes and the sub-pages) within "
                    "a minute; the board shows the result when it is done.")
    button = gettext_lazy("Check now")

    def act(self, site, data):
        _services().site_recheck_now(site, by=self.request.user)

    def done_message(self, site):
        return _("%(site)s will be checked within a minute.") % {"site": site}


class SiteAcceptBaselineView(ObjectActionView):
    """Accept the current page(s) as the new baseline: shows what changed before the user confirms."""

    model = WatchedSite
    select_related = ("website__unit",)
    template_name = "monitoring/accept_baseline.html"
    title = gettext_lazy("Accept the current page as the baseline")
    explanation = gettext_lazy("Later checks compare the page with this version. Do this only after checking that the "
                    "change is legitimate: a defaced or injected page accepted as the baseline is no longer "
                    "reported.")
    button = gettext_lazy("Accept as baseline")
    danger = True

    def get_form(self, site, data=None):
        return forms.BaselineForm(data, urls=queries.checked_urls(site))

    def extra_context(self, site):
        from lachan.monitoring.diff import side_by_side

        baseline, changed = queries.last_change(site)
        diff = side_by_side(baseline.text, changed.text) if baseline and changed else None
        return {"baseline": baseline, "changed": changed, "diff": diff}

    def act(self, site, data):
        _services().baseline_accept(site, by=self.request.user, url=data.get("url") or None)

    def done_message(self, site):
        return _("The current page of %(site)s is now the baseline.") % {"site": site}


class AlertAcknowledgeView(ObjectActionView):
    model = Alert
    select_related = ("site__website__unit",)
    title = gettext_lazy("Acknowledge the alert")
    explanation = gettext_lazy("You take the alert: reminders and escalations stop. It stays open until the condition is "
                    "gone.")
    button = gettext_lazy("Acknowledge")

    def limit(self, queryset):
        return queryset.filter(state__in=OPEN_ALERT_STATES)

    def act(self, alert, data):
        _services().alert_acknowledge(alert, by=self.request.user, note=data.get("note", ""))

    def done_message(self, alert):
        return _("Alert acknowledged.")


class AlertFalsePositiveView(ObjectActionView):
    model = Alert
    select_related = ("site__website__unit",)
    form_class = forms.RequiredNoteForm
    title = gettext_lazy("Mark the alert as a false positive")
    explanation = gettext_lazy("The alert is closed and the same evidence is not raised again on this site. Say why, for "
                    "the record.")
    button = gettext_lazy("Mark as false positive")
    danger = True

    def limit(self, queryset):
        return queryset.filter(state__in=OPEN_ALERT_STATES)

    def act(self, alert, data):
        _services().alert_false_positive(alert, by=self.request.user, note=data["note"])

    def done_message(self, alert):
        return _("Alert marked as a false positive.")


class AlertOpenIncidentView(ObjectActionView):
    """One click from an alert to its incident: the open incident of the alert, or a new one filled from the
    alert (``escalation.open_incident``), which pages the on-duty person unless the alert already did. The alert
    comes as ``?alert=<id>`` (the button's link) or in the path."""

    model = Alert
    select_related = ("site__website__unit", "site__website__system")
    form_class = forms.ConfirmForm
    title = gettext_lazy("Open an incident from this alert")
    explanation = gettext_lazy("An incident is opened for the unit with the alert's page, time of detection and evidence, and "
                    "the person on duty is paged. If the alert already has an open incident, you are taken to it.")
    button = gettext_lazy("Open incident")

    def _pk(self, pk):
        pk = pk or self.request.GET.get("alert") or self.request.POST.get("alert")
        if not str(pk or "").isdigit():
            raise Http404
        return int(pk)

    def get(self, request, pk=None):
        return super().get(request, self._pk(pk))

    def post(self, request, pk=None):
        return super().post(request, self._pk(pk))

    def act(self, alert, data):
        from lachan.monitoring import escalation

        try:
            self.incident = escalation.open_incident(alert, by=self.request.user)
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None
        escalation.page(alert, self.incident)

    def done_message(self, alert):
        return _("Incident #%(pk)d is open for this alert.") % {"pk": self.incident.pk}

    def success_url(self, alert):
        return self.incident.get_absolute_url()
