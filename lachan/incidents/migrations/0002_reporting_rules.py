"""The reporting duties as editable rules (coordinators change them in the UI; never in code)."""

from django.db import migrations

RULES = [
    # key, name, kind, applies_to, hours, month, day, recipient, legal basis
    ("initial_report", "Báo cáo ban đầu sự cố gửi cơ quan điều phối quốc gia (trong 05 ngày)", "incident", "all",
     5 * 24, None, None, "Cơ quan điều phối quốc gia (VNCERT/CC, Cục An toàn thông tin)",
     "Quyết định 05/2017/QĐ-TTg; Thông tư 20/2017/TT-BTTTT (mẫu 03)"),
    ("serious_report", "Báo cáo ngay sự cố nghiêm trọng", "incident", "serious", 24, None, None,
     "Cơ quan điều phối quốc gia và Ban Chỉ đạo quốc gia ứng cứu sự cố",
     "Quyết định 05/2017/QĐ-TTg"),
    ("personal_data_breach", "Thông báo vi phạm quy định bảo vệ dữ liệu cá nhân (trong 72 giờ)", "incident",
     "personal_data", 72, None, None,
     "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), Bộ Công an",
     "Nghị định 13/2023/NĐ-CP, Điều 23"),
    ("half_year_report", "Báo cáo định kỳ 6 tháng về sự cố an toàn thông tin mạng", "periodic", "all", None, 6, 20,
     "Cơ quan điều phối quốc gia", "Thông tư 20/2017/TT-BTTTT"),
    ("year_report", "Báo cáo định kỳ hằng năm về sự cố an toàn thông tin mạng", "periodic", "all", None, 12, 15,
     "Cơ quan điều phối quốc gia", "Thông tư 20/2017/TT-BTTTT"),
]


def seed(apps, schema_editor):
    ReportingRule = apps.get_model("incidents", "ReportingRule")
    for order, (key, name, kind, applies_to, hours, month, day, recipient, basis) in enumerate(RULES, start=1):
        ReportingRule.objects.get_or_create(key=key, defaults={
            "name": name, "kind": kind, "applies_to": applies_to, "hours": hours, "month": month, "day": day,
            "recipient": recipient, "legal_basis": basis, "order": order * 10})


def unseed(apps, schema_editor):
    apps.get_model("incidents", "ReportingRule").objects.filter(key__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
