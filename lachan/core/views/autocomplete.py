from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.html import format_html, format_html_join

from lachan.core.scope import VIEW
from lachan.core.search import filterset_for

LIMIT = 50


@login_required
def autocomplete(request):
    """``<option>``s of a searchable model matching ``q``, within the user's scope (its list filterset's search)."""
    found = filterset_for(request.GET.get("model", ""))
    if found is None:
        raise Http404
    model, filterset_class = found
    queryset = model.objects.restrict(request.user, VIEW)
    query = request.GET.get("term", request.GET.get("q", "")).strip()
    if query:
        queryset = filterset_class({"q": query}, queryset=queryset, request=request).qs
    options = format_html_join("", '<option value="{}">{}</option>', ((o.pk, str(o)) for o in queryset[:LIMIT]))
    return HttpResponse(format_html('<option value="">---------</option>{}', options))
