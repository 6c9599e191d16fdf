import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import UnitScopedFilterSet

from .choices import AnswerStatus, DirectiveStatus, DocType
from .models import Directive, Dispatch, TaskAnswer


class DirectiveFilterSet(UnitScopedFilterSet):
    search_fields = ("number", "subject", "issuer")
    status = django_filters.ChoiceFilter(choices=DirectiveStatus.choices, label=_("Status"))
    doc_type = django_filters.ChoiceFilter(choices=DocType.choices, label=_("Document type"))

    class Meta:
        model = Directive
        fields = ["q", "unit", "unit_tree", "status", "doc_type"]


class DispatchFilterSet(UnitScopedFilterSet):
    search_fields = ("directive__number", "directive__subject", "note")
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True,
                                                label=_("Acknowledged"))

    class Meta:
        model = Dispatch
        fields = ["q", "unit", "unit_tree", "acknowledged"]


class TaskAnswerFilterSet(UnitScopedFilterSet):
    search_fields = ("note", "reason", "task__text", "task__directive__number")
    status = django_filters.ChoiceFilter(choices=AnswerStatus.choices, label=_("Status"))

    class Meta:
        model = TaskAnswer
        fields = ["q", "unit", "unit_tree", "status"]


