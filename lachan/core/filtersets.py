import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import VIEW
from lachan.core.widgets import use_autocomplete
from lachan.organizations.models import Unit


def scoped_queryset(model):
    """Choices of a filter over ``model`` limited to the requesting user's scope."""

    def _queryset(request):
        if request is None:
            return model.objects.none()
        return model.objects.restrict(request.user, VIEW)

    return _queryset


class BaseFilterSet(django_filters.FilterSet):
    """One filterset per model, used by the UI list, the exports and the API alike."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    search_fields: tuple = ()

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            use_autocomplete(form)
            return form
        return super().form

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)


class UnitScopedFilterSet(BaseFilterSet):
    """Adds ``unit`` (exact) and ``unit_tree`` (the unit and its sub-units), choices in scope."""

    unit = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Unit), label=_("Unit"))
    unit_tree = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(Unit), method="filter_unit_tree", label=_("Unit and sub-units")
    )

    def filter_unit_tree(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)
