from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import can

# (label, url name, model path) — shown when the user may view the model.
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
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menu = [(title, [(label, reverse(name)) for label, name in items]) for title, items in MENU]
    admin_items = []
    from lachan.accounts.models import User

    if can(user, User, "change") or user.effective_role == "auditor":
        admin_items.append((_("Users"), reverse("accounts:user_list")))
    if user.is_coordinator or user.effective_role == "auditor":
        admin_items.append((_("Audit log"), reverse("core:auditlog")))
    if admin_items:
        menu.append((_("Administration"), admin_items))
    return {"nav_menu": menu}
