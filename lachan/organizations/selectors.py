"""Read-side questions on units and their contacts: who receives a unit's messages."""

import re

from .choices import ContactRole
from .models import Contact, Unit

FOCAL_ROLE = ContactRole.SECURITY_FOCAL.value
ON_DUTY_ROLE = ContactRole.ON_DUTY.value


def _emails(contacts, role):
    """The distinct e-mail addresses, in order, of ``contacts`` having ``role`` (Contact.roles is comma-separated)."""
    emails = []
    for contact in contacts:
        if role not in contact.role_list:
            continue
        for email in re.split(r"[,;\s]+", contact.emails):
            if "@" in email and email not in emails:
                emails.append(email)
    return emails


def recipients_for(unit, roles):
    """``(emails, via)``: the addresses of the unit's contacts having the first of ``roles`` that has any;
    a unit that declared none (a school without a focal point) is reached through its nearest ancestor
    that did — ``via`` is then that ancestor (None when the unit's own contacts are used, or nobody).
    Two queries whatever the depth: the chain's contacts, and the ancestor when one is used."""
    chain = [int(pk) for pk in unit.path.strip("/").split("/") if pk][::-1] or [unit.pk]
    by_unit = {}
    for contact in Contact.objects.filter(unit_id__in=chain).exclude(emails=""):
        by_unit.setdefault(contact.unit_id, []).append(contact)
    for pk in chain:
        for role in roles:
            emails = _emails(by_unit.get(pk, ()), role)
            if emails:
                return emails, (None if pk == unit.pk else Unit.objects.get(pk=pk))
    return [], None
