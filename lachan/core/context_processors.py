from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import can

# (group title, [(label, url name), …]) — every authenticated user may view these lists (rows are scoped).
MENU = [
    (_("Organizations"), [
        (_("Units"), "organizations:unit_list"),
        (_("Unit groups"), "organizations:unitgroup_list"),
        (_("Contacts"), "organizations:contact_list"),
        (_("External contact directory"), "organizations:externalcontact_list"),
    ]),
    (_("Inventory"), [
        (_("Information systems"), "inventory:informationsystem_list"),
        (_("Hosts"), "inventory:host_list"),
        (_("IP prefixes"), "inventory:ipprefix_list"),
        (_("Domains"), "inventory:domain_list"),
        (_("Websites"), "inventory:website_list"),
        (_("Software"), "inventory:software_list"),
    ]),
    (_("Threat intelligence"), [
        (_("Cleanup cases"), "intel:case_list"),
        (_("Trends"), "intel:trends"),
        (_("Sightings"), "intel:sighting_list"),
        (_("Feed imports"), "intel:feedimport_list"),
        (_("Feeds"), "intel:feed_list"),
        (_("Indicators"), "intel:indicator_list"),
        (_("ASN assignments"), "intel:asnassignment_list"),
        (_("Notifications"), "intel:notification_list"),
    ]),
    (_("Website watch"), [
        (_("Status board"), "monitoring:board"),
        (_("Alerts"), "monitoring:alert_list"),
        (_("Timeline"), "monitoring:siteevent_list"),
        (_("Checks"), "monitoring:check_list"),
        (_("Page snapshots"), "monitoring:snapshot_list"),
    ]),
    (_("Duty roster"), [
        (_("Schedules"), "oncall:schedule_list"),
        (_("Escalations"), "oncall:escalation_list"),
        (_("Escalation policies"), "oncall:escalationpolicy_list"),
        (_("Overrides"), "oncall:override_list"),
        (_("Handover notes"), "oncall:handover_list"),
        (_("My notifications"), "notify:preferences"),
        (_("Delivery log"), "notify:delivery_list"),
    ]),
]


def _group(title, items, path):
    entries = [{"label": label, "url": url, "active": path.startswith(url)} for label, url in items]
    return {"title": title, "items": entries, "active": any(e["active"] for e in entries)}


def navigation(request):
    """The main menu (with the current section marked) for authenticated users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    menu = [_group(title, [(label, reverse(name)) for label, name in items], path) for title, items in MENU]
    admin_items = []
    from lachan.accounts.models import User

    if can(user, User, "change") or user.effective_role == "auditor":
        admin_items.append((_("Users"), reverse("accounts:user_list")))
    if user.is_coordinator or user.effective_role == "auditor":
        admin_items.append((_("Audit log"), reverse("core:auditlog")))
    if user.is_coordinator or user.effective_role == "auditor":
        admin_items.append((_("Unmapped addresses"), reverse("intel:unmapped_queue")))
    if admin_items:
        menu.append(_group(_("Administration"), admin_items, path))
    return {"nav_menu": menu}
