"""Live checks a task can be bound to: the platform answers them from its own data.

``CHECKS`` maps a key to ``(label, callable(unit) -> (ok, detail))``. A task's ``check_key`` names one; the
answer form and the matrix show its current result (``run_check``). Other apps add theirs with ``register``.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def no_open_botnet_case(unit):
    from lachan.intel.choices import CaseStatus
    from lachan.intel.models import Case

    count = Case.objects.filter(unit__path__startswith=unit.path,
                                status__in=[CaseStatus.OPEN, CaseStatus.REINFECTED]).count()
    if count:
        return False, _("%(count)d open botnet case(s)") % {"count": count}
    return True, _("No open botnet case")


def has_security_focal(unit):
    from lachan.organizations.choices import ContactRole
    from lachan.organizations.models import Contact

    names = [c.full_name for c in Contact.objects.filter(unit=unit, roles__contains=ContactRole.SECURITY_FOCAL)
             if ContactRole.SECURITY_FOCAL in c.role_list]
    if names:
        return True, _("Security focal point: %(names)s") % {"names": ", ".join(names)}
    return False, _("No security focal point declared")


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
    return entry[1](unit)
