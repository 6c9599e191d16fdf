from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry / central agency")
    PEOPLES_COMMITTEE = "peoples_committee", _("People's committee")
    DEPARTMENT = "department", _("Department")
    DIVISION = "division", _("Division / office")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Ward / commune")
    AGENCY = "agency", _("Agency")
    CENTRAL_AGENCY = "central_agency", _("Central agency in the province")
    SCHOOL = "school", _("School")
    PUBLIC_SERVICE = "public_service", _("Public service unit")
    ENTERPRISE = "enterprise", _("Enterprise")
    TELECOM = "telecom", _("Telecom / ISP")
    BANK = "bank", _("Bank / financial institution")
    PRESS = "press", _("Press")
    PARTY = "party", _("Party body")
    MASS_ORGANIZATION = "mass_organization", _("Mass organisation")
    OTHER = "other", _("Other")


class ContactRole(models.TextChoices):
    SECURITY_FOCAL = "security_focal", _("Security focal point")
    ON_DUTY = "on_duty", _("On duty")
    LEADER = "leader", _("Leader")
    IT_OFFICER = "it_officer", _("IT officer")
    CLERICAL = "clerical", _("Document clerk")


class DirectoryCategory(models.TextChoices):
    NATIONAL_CERT = "national_cert", _("National incident response centre")
    MONITORING = "monitoring", _("National monitoring centre")
    AUTHORITY = "authority", _("Authority / ministry division")
    POLICE = "police", _("Public security")
    DEPARTMENT = "department", _("Department focal point")
    OTHER = "other", _("Other")
