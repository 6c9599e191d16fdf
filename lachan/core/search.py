"""Global search: every searchable model, each through its own filterset's ``q`` search and ``restrict()``."""

from dataclasses import dataclass

from django.utils.module_loading import import_string

from lachan.core.scope import VIEW

# (model path, filterset path) — the same filtersets the list pages and the API use.
SEARCHABLE = [
    ("lachan.organizations.models.Unit", "lachan.organizations.filtersets.UnitFilterSet"),
    ("lachan.organizations.models.Contact", "lachan.organizations.filtersets.ContactFilterSet"),
    ("lachan.organizations.models.ExternalContact", "lachan.organizations.filtersets.ExternalContactFilterSet"),
    ("lachan.inventory.models.InformationSystem", "lachan.inventory.filtersets.InformationSystemFilterSet"),
    ("lachan.inventory.models.Host", "lachan.inventory.filtersets.HostFilterSet"),
    ("lachan.inventory.models.IPPrefix", "lachan.inventory.filtersets.IPPrefixFilterSet"),
    ("lachan.inventory.models.Domain", "lachan.inventory.filtersets.DomainFilterSet"),
    ("lachan.inventory.models.Website", "lachan.inventory.filtersets.WebsiteFilterSet"),
    ("lachan.inventory.models.Software", "lachan.inventory.filtersets.SoftwareFilterSet"),
    ("lachan.vulns.models.Finding", "lachan.vulns.filtersets.FindingFilterSet"),
    ("lachan.vulns.models.Advisory", "lachan.vulns.filtersets.AdvisoryFilterSet"),
]
PER_MODEL = 10


@dataclass
class SearchGroup:
    model: type
    results: list
    total: int
    list_url_name: str

    @property
    def label(self):
        return self.model._meta.verbose_name_plural


def searchable_label(model):
    """"app_label.model_name" when ``model`` is searchable (and so may be autocompleted), else None."""
    meta = model._meta
    path = f"{model.__module__}.{model.__name__}"
    return f"{meta.app_label}.{meta.model_name}" if any(path == m for m, _f in SEARCHABLE) else None


def filterset_for(label):
    """The (model, filterset class) of a searchable "app_label.model_name", or None."""
    for model_path, filterset_path in SEARCHABLE:
        model = import_string(model_path)
        if f"{model._meta.app_label}.{model._meta.model_name}" == label:
            return model, import_string(filterset_path)
    return None


def search(user, query, request=None):
    query = (query or "").strip()
    if len(query) < 2:
        return []
    groups = []
    for model_path, filterset_path in SEARCHABLE:
        model = import_string(model_path)
        filterset_class = import_string(filterset_path)
        queryset = model.objects.restrict(user, VIEW)
        filtered = filterset_class({"q": query}, queryset=queryset, request=request).qs
        total = filtered.count()
        if total:
            meta = model._meta
            groups.append(SearchGroup(model, list(filtered[:PER_MODEL]), total, f"{meta.app_label}:{meta.model_name}_list"))
    return groups
