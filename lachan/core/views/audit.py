import django_filters
import django_tables2 as tables
from auditlog.models import LogEntry
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_tables2 import RequestConfig

from lachan.core.tables import ObjectTable

# django-auditlog ships no Vietnamese catalogue: our own labels for its actions.
ACTION_LABELS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
    LogEntry.Action.ACCESS: _("viewed"),
}


class LogEntryFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=list(ACTION_LABELS.items()), label=_("Action"))
    q = django_filters.CharFilter(field_name="object_repr", lookup_expr="icontains", label=_("Object"))
    actor = django_filters.CharFilter(field_name="actor__username", lookup_expr="icontains", label=_("User"))

    class Meta:
        model = LogEntry
        fields = ["q", "action", "actor"]


class LogEntryTable(ObjectTable):
    timestamp = tables.DateTimeColumn(verbose_name=_("Time"), format="d/m/Y H:i:s")
    actor = tables.Column(verbose_name=_("User"))
    action = tables.Column(verbose_name=_("Action"))
    content_type = tables.Column(verbose_name=_("Type"))
    object_repr = tables.Column(verbose_name=_("Object"))
    changes_display = tables.TemplateColumn(
        "{% for field, change in record.changes_dict.items %}<div><b>{{ field }}</b>: {{ change.0 }} → {{ change.1 }}</div>{% endfor %}",
        verbose_name=_("Changes"), orderable=False,
    )
    remote_addr = tables.Column(verbose_name=_("IP address"))

    def render_action(self, value):
        return ACTION_LABELS.get(value, value)

    class Meta(ObjectTable.Meta):
        model = LogEntry
        fields = ("timestamp", "actor", "action", "content_type", "object_repr", "changes_display", "remote_addr")


class AuditLogView(LoginRequiredMixin, View):
    """The audit trail. Covers all units, so only coordinators and auditors read it."""

    def get(self, request):
        if not (request.user.is_coordinator or request.user.effective_role == "auditor"):
            raise PermissionDenied
        queryset = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
        filterset = LogEntryFilterSet(request.GET or None, queryset=queryset)
        table = LogEntryTable(filterset.qs)
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        return render(request, "core/auditlog.html", {"table": table, "filterset": filterset})
