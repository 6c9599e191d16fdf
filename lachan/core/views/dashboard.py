from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from lachan.core.scope import VIEW
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.organizations.models import Contact, Unit


@login_required
def dashboard(request):
    """One page per role: unit users see their unit's figures; coordinators and auditors the whole picture."""
    user = request.user
    counts = {
        model._meta.verbose_name_plural: (model.objects.restrict(user, VIEW).count(), f"{model._meta.app_label}:{model._meta.model_name}_list")
        for model in (Unit, Contact, InformationSystem, Host, IPPrefix, Domain, Website, Software)
    }
    systems = InformationSystem.objects.restrict(user, VIEW)
    by_level = list(systems.values("security_level").annotate(n=Count("id")).order_by("security_level"))
    unapproved = systems.filter(security_level__isnull=True).count()
    context = {
        "counts": counts,
        "by_level": by_level,
        "unapproved_systems": unapproved,
        "units_without_prefix": Unit.objects.restrict(user, VIEW).filter(prefixes__isnull=True).count(),
        "units_without_focal": Unit.objects.restrict(user, VIEW).exclude(contacts__roles__contains="security_focal").count(),
    }
    return render(request, "core/dashboard.html", context)


def healthz(request):
    return JsonResponse({"status": "ok"})


@login_required
def search_view(request):
    from lachan.core.search import search

    query = request.GET.get("q", "")
    return render(request, "core/search.html", {"query": query, "groups": search(request.user, query, request)})
