"""The statistics page: renders its charts and tables, stays in scope, constant queries, safe exports and SVG."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lachan.incidents.choices import EventKind, IncidentStatus
from lachan.incidents.models import Incident, IncidentDeadline, IncidentEvent, ReportingRule
from lachan.testing.factories import IncidentFactory, UnitFactory

URL = reverse("incidents:statistics")
HOSTILE = '<script>alert("x")</script> Trường THPT Nguyễn Du'
FORMULA = "=cmd|' /C calc'!A0"


def recent(days=3):
    return timezone.now() - datetime.timedelta(days=days)


def incidents(unit, n, *, by=None, actor=None, severity="high", incident_type="malware", spread=1):
    """``n`` incidents of ``unit``, each triaged, resolved, with a comment and a reporting clock."""
    rule = ReportingRule.objects.get(key="initial_report")
    made = []
    for i in range(n):
        detected = recent(1 + (i * spread) % 300)
        incident = IncidentFactory(unit=unit, severity=severity, incident_type=incident_type, detected_at=detected,
                                   created_by=by, status=IncidentStatus.RESOLVED)
        Incident.objects.filter(pk=incident.pk).update(created=detected, triaged_at=detected + datetime.timedelta(hours=2),
                                                       resolved_at=detected + datetime.timedelta(hours=9))
        IncidentEvent.objects.create(incident=incident, actor=actor, kind=EventKind.COMMENT,
                                     at=detected + datetime.timedelta(hours=1))
        IncidentDeadline.objects.create(incident=incident, rule=rule, due_at=detected + datetime.timedelta(days=5))
        made.append(incident)
    return made


def table_rows(html, key):
    start = html.index(f'id="table-{key}"')
    return html[start:html.index("</table>", start)]


def test_page_shows_charts_and_tables_for_the_coordinator(tree, users, en_client_for):
    incidents(tree["a"], 3, by=users["member_a"], actor=users["admin_a"], spread=20)  # over two months at least
    incidents(tree["b"], 2, by=users["member_b"], actor=users["coordinator"], severity="critical",
              incident_type="ransomware")
    response = en_client_for(users["coordinator"]).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg class=\"w-100 h-auto lc-chart\"") == 6  # type, severity, units, subtree, months, times
    assert "<polyline" in html and "<rect" in html
    # figures in tables next to the charts
    units = table_rows(html, "units")
    assert "Đơn vị A" in units and ">3</td>" in units and "Đơn vị B" in units and ">2</td>" in units
    assert "Tấn công mã hóa dữ liệu (ransomware)" in table_rows(html, "type")
    assert ">1,0</td>" in table_rows(html, "times_severity")  # median time to acknowledge: 1 h (decimal comma)
    assert ">9,0</td>" in table_rows(html, "times_severity")  # median time to resolve: 9 h
    assert table_rows(html, "deadlines").count("</tr>") == 2  # header + the one rule


def test_unit_user_sees_only_its_own_numbers_and_units(tree, users, en_client_for):
    incidents(tree["a"], 4, by=users["member_a"], actor=users["admin_a"], incident_type="defacement")
    incidents(tree["b"], 2, by=users["member_b"], actor=users["coordinator"], incident_type="ddos")
    html = en_client_for(users["member_b"]).get(URL).content.decode()
    assert "Đơn vị A" not in html and "Tấn công thay đổi giao diện" not in html
    assert "Tấn công từ chối dịch vụ (DDoS)" in table_rows(html, "type")
    summary = table_rows(html, "summary")
    assert '<th scope="row" class="fw-normal">Incidents</th><td class="text-end">2</td>' in summary
    # B cannot filter on A's unit: the form refuses it and nothing of A is counted
    response = en_client_for(users["member_b"]).get(URL, {"unit": tree["a"].pk})
    assert response.context["form"].errors["unit"]
    assert response.context["stats"].totals["total"] == 2
    assert "Đơn vị A" not in response.content.decode()
    csv_text = en_client_for(users["member_b"]).get(URL, {"export": "csv"}).content.decode("utf-8-sig")
    assert "Đơn vị A" not in csv_text and "DDoS" in csv_text


def test_filters_narrow_the_figures(tree, users, en_client_for):
    incidents(tree["a1"], 2, by=users["member_a"])
    incidents(tree["b"], 3, by=users["member_b"], incident_type="phishing")
    client = en_client_for(users["coordinator"])
    assert client.get(URL, {"unit": tree["a"].pk}).context["stats"].totals["total"] == 2
    assert client.get(URL, {"incident_type": "phishing"}).context["stats"].totals["total"] == 3
    old = client.get(URL, {"start": "01/01/2020", "end": "31/12/2020"}).context["stats"]
    assert old.totals["total"] == 0 and len(old.months) == 12
    wrong = client.get(URL, {"start": "01/03/2026", "end": "01/02/2026"})
    assert wrong.context["form"].errors["end"] and wrong.context["stats"].totals["total"] == 5
    too_long = client.get(URL, {"start": "01/01/2000", "end": "01/01/2026"})
    assert too_long.context["form"].errors["start"]


@pytest.mark.parametrize("who", ["coordinator", "member_a"])
def test_query_count_does_not_grow_with_the_incidents(tree, users, en_client_for, who):
    client = en_client_for(users[who])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    incidents(tree["a"], 10, by=users["member_a"], actor=users["admin_a"])
    count()  # warm-up (session, content types)
    small = count()
    incidents(tree["a1"], 45, by=users["member_a"], actor=users["operator_a"], severity="low")
    incidents(tree["a"], 45, by=users["member_a"], actor=users["admin_a"], incident_type="phishing")
    assert Incident.objects.count() == 100
    assert count() == small


def test_exports_neutralise_formulas(tree, users, en_client_for):
    unit = UnitFactory(code="X1", name=FORMULA, parent=tree["root"])
    incidents(unit, 2)
    client = en_client_for(users["coordinator"])
    response = client.get(URL, {"export": "csv", "table": "units"})
    assert response["Content-Disposition"].startswith('attachment; filename="thong-ke-su-co-units-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Code", "Unit"]
    assert rows[1] == ["X1", "'" + FORMULA, "0", "0", "2"]
    everything = client.get(URL, {"export": "csv"}).content.decode("utf-8-sig")
    assert "'" + FORMULA in everything and "\n" + FORMULA not in everything and "," + FORMULA not in everything
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(URL, {"export": "xlsx"}).content))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert len(workbook.worksheets) == 10
    assert client.get(URL, {"export": "csv", "table": "nope"}).status_code == 404
    assert client.get(URL, {"export": "pdf"}).status_code == 404


def test_unit_names_are_escaped_in_the_svg(tree, users, en_client_for):
    unit = UnitFactory(code="XSS", name=HOSTILE, parent=tree["root"])
    incidents(unit, 1)
    html = en_client_for(users["coordinator"]).get(URL).content.decode()
    assert HOSTILE not in html
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Trường THPT Nguyễn Du"
    units_svg = html[html.index('id="chart-units-title"'):]
    units_svg = units_svg[:units_svg.index("</svg>")]
    assert escaped in units_svg  # the full name in the bar's tooltip
    assert ">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; T…</text>" in units_svg  # the shortened label
    assert "<script>" not in html[html.index("<main"):] if "<main" in html else True


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
