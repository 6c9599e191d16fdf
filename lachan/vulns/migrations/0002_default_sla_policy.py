"""Seed the default SLA policy. These are DEFAULTS the coordinator edits on the SLA page, not rules:
critical 7 / high 15 / medium 30 / low 90 days; KEV → min(KEV due date, 7 days); security level 4–5
systems get half the time."""

from django.db import migrations


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("vulns", "SlaPolicy")
    if not SlaPolicy.objects.exists():
        SlaPolicy.objects.create(
            name="Mặc định", critical_days=7, high_days=15, medium_days=30, low_days=90, info_days=None,
            kev_days=7, kev_use_catalog_due=True, level_1_factor=1.0, level_2_factor=1.0, level_3_factor=1.0,
            level_4_factor=0.5, level_5_factor=0.5,
        )


class Migration(migrations.Migration):
    dependencies = [("vulns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
