"""Live checks a task can be bound to: the platform answers them from its own data.

``CHECKS`` maps a key to ``(label, callable(units) -> {unit_id: (ok, detail)})`` (answering for many units
at once, so the matrix costs one query per check, not one per unit). A task's ``check_key`` names one; the
answer form and the matrix show its current result (``run_check``). Other apps add theirs with ``register``.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def no_open_botnet_case(units):
    """Open or reinfected botnet cases in each unit's subtree — one query for any number of units."""
    from bisect import bisect_left

    from django.db.models import Count

    from lachan.intel.choices import CaseStatus
    from lachan.intel.models import Case

    counts = dict(Case.objects.filter(status__in=[CaseStatus.OPEN, CaseStatus.REINFECTED])
                  .values_list("unit__path").annotate(n=Count("id")).order_by())
    paths = sorted(counts)
    results = {}
    for unit in units:
        # paths of the unit's subtree are contiguous in sorted order
        first, last = bisect_left(paths, unit.path), bisect_left(paths, unit.path + "\uffff")
        count = sum(counts[path] for path in paths[first:last])
        if count:
            results[unit.pk] = (False, _("%(count)d open botnet case(s)") % {"count": count})
        else:
            results[unit.pk] = (True, _("No open botnet case"))
    return results


def has_security_focal(units):
    """The unit's declared security focal points — one query for any number of units."""
    from lachan.organizations.choices import ContactRole
    from lachan.organizations.models import Contact

    names = {}
    for contact in Contact.objects.filter(unit__in=[u.pk for u in units], roles__contains=ContactRole.SECURITY_FOCAL):
        if ContactRole.SECURITY_FOCAL in contact.role_list:
            names.setdefault(contact.unit_id, []).append(contact.full_name)
    return {unit.pk: (True, _("Security focal point: %(names)s") % {"names": ", ".join(names[unit.pk])})
            if unit.pk in names else (False, _("No security focal point declared")) for unit in units}


CHECKS = {
    "no_open_botnet_case": (gettext_lazy("No open botnet case in the unit"), no_open_botnet_case),
    "has_security_focal": (gettext_lazy("The unit has a security focal point"), has_security_focal),
}


def register(key, label, function):
    CHECKS[key] = (label, function)


def check_choices():
    return [("", "—")] + [(key, label) for key, (label, _f) in CHECKS.items()]


def run_check(key, unit):
    """``(ok, detail)`` or None when ``key`` is empty or unknown."""
    entry = CHECKS.get(key or "")
    if entry is None:
        return None
    return entry[1]([unit])[unit.pk]
