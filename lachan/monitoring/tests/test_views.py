"""The website watch pages: board, site page, alerts, history lists, actions — with real rows, scope,
escaping of hostile page content and constant query counts."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lachan.monitoring.choices import AlertState, EventKind, SiteStatus, Verdict
from lachan.monitoring.models import Alert, SiteEvent, Snapshot, WatchedSite
from lachan.testing.factories import (
    AlertFactory,
    CheckFactory,
    SiteEventFactory,
    SnapshotFactory,
    WatchedSiteFactory,
    WebsiteFactory,
)

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
RAW_MARKS = ("<script>alert(1)", "<img src=x onerror")
pytestmark = pytest.mark.django_db


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response):
    return response.content.decode()


def assert_escaped(page):
    for mark in RAW_MARKS:
        assert mark not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def site_for(unit, **kwargs):
    return WatchedSiteFactory(unit=unit, **kwargs)


@pytest.fixture
def sites(tree):
    now = timezone.now()
    a = site_for(tree["a"], status=SiteStatus.UP, verdict=Verdict.OK, last_checked_at=now, tls_days_left=90,
                 website=WebsiteFactory(unit=tree["a"], url="https://a-up.example.vn/", name="Cổng A"))
    a1 = site_for(tree["a1"], status=SiteStatus.DOWN, verdict=Verdict.DOWN, last_checked_at=now, tls_days_left=5,
                  website=WebsiteFactory(unit=tree["a1"], url="https://a1-down.example.vn/", name="Trường A1"))
    b = site_for(tree["b"], status=SiteStatus.UP, verdict=Verdict.COMPROMISED, last_checked_at=now,
                 website=WebsiteFactory(unit=tree["b"], url="https://b-hacked.example.vn/", name="Sở B"))
    AlertFactory(site=b, kind="gambling_injection", severity="critical", state=AlertState.CONFIRMED)
    AlertFactory(site=a1, kind="down", severity="high", state=AlertState.CONFIRMED, summary="Trang A1 sập")
    return {"a": a, "a1": a1, "b": b}


# --- board -------------------------------------------------------------------------------------------------


def test_board_shows_the_users_sites_only_with_counts_and_colours(client_for, users, sites):
    page = text(english(client_for(users["member_a"])).get(reverse("monitoring:board")))
    assert "Cổng A" in page and "Trường A1" in page
    assert "Sở B" not in page and "b-hacked" not in page
    assert 'data-count="total">2<' in page and 'data-count="down">1<' in page and 'data-count="up">1<' in page
    assert 'data-count="compromised">0<' in page and 'data-count="tls_expiring">1<' in page
    assert 'data-health="down"' in page and 'data-health="up"' in page
    assert page.index("Trường A1") < page.index("Cổng A")  # worst first
    assert 'hx-trigger="every 30s"' in page
    coordinator = text(client_for(users["coordinator"]).get(reverse("monitoring:board")))
    assert "Sở B" in coordinator and 'data-count="compromised">1<' in coordinator
    assert 'data-health="compromised"' in coordinator and "#7a0012" in coordinator


def test_board_filters_and_the_htmx_partial(client_for, users, sites, tree):
    client = client_for(users["coordinator"])
    page = text(client.get(reverse("monitoring:board"), {"status": "down"}))
    assert "Trường A1" in page and "Cổng A" not in page and 'data-count="total">1<' in page
    page = text(client.get(reverse("monitoring:board"), {"unit_tree": tree["a"].pk}))
    assert "Trường A1" in page and "Cổng A" in page and "Sở B" not in page
    page = text(client.get(reverse("monitoring:board"), {"unit": tree["a"].pk}))
    assert "Cổng A" in page and "Trường A1" not in page
    page = text(client.get(reverse("monitoring:board"), {"open_alerts": "true"}))
    assert "Trường A1" in page and "Sở B" in page and "Cổng A" not in page
    page = text(client.get(reverse("monitoring:board"), {"q": "a1-down"}))
    assert "Trường A1" in page and "Cổng A" not in page
    page = text(client.get(reverse("monitoring:board"), {"verdict": "compromised"}))
    assert "Sở B" in page and "Cổng A" not in page
    partial = client.get(reverse("monitoring:board"), {"status": "down"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="object-table")
    body = text(partial)
    assert "<html" not in body and "Trường A1" in body and 'hx-get="/monitoring/?status=down"' in body


def test_board_shows_the_latest_check_in_ho_chi_minh_time(client_for, users, tree):
    at = datetime.datetime(2026, 3, 4, 1, 5, tzinfo=datetime.UTC)  # 08:05 in Hà Nội
    site_for(tree["a"], status=SiteStatus.UP, last_checked_at=at)
    page = text(client_for(users["member_a"]).get(reverse("monitoring:board")))
    assert "04/03/2026 08:05" in page


def test_board_query_count_does_not_grow_with_sites(client_for, users, tree, django_assert_max_num_queries):
    client = client_for(users["coordinator"])

    def make(n):
        for i in range(n):
            site = site_for(tree["a1" if i % 2 else "b"], status=SiteStatus.UP, last_checked_at=timezone.now())
            AlertFactory(site=site, state=AlertState.CONFIRMED)

    make(10)
    client.get(reverse("monitoring:board"))  # warm the session and the content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ten:
        assert client.get(reverse("monitoring:board"), {"per_page": 200}).status_code == 200
    make(90)
    with django_assert_max_num_queries(len(ten.captured_queries)):
        response = client.get(reverse("monitoring:board"), {"per_page": 200})
    assert text(response).count('data-health="up"') == 100


def test_board_exports_csv_and_xlsx_in_scope(client_for, users, sites):
    client = client_for(users["member_a"])
    response = client.get(reverse("monitoring:board"), {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("url,name,unit,unit_name,health,status,verdict,open_alerts")
    assert len(lines) == 3 and "a1-down.example.vn" in body and "b-hacked" not in body
    row = next(line for line in lines if "a1-down" in line)
    assert ",down," in row and ",1," in row  # health and the open alert count
    response = client.get(reverse("monitoring:board"), {"export": "xlsx", "status": "down"})
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    urls = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert urls == ["https://a1-down.example.vn/"]


# --- site page ---------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_site(tree):
    website = WebsiteFactory(unit=tree["a"], url='https://evil.example.vn/"><img src=x onerror=alert(2)>',
                             name=HOSTILE)
    site = site_for(tree["a"], website=website, status=SiteStatus.UP, verdict=Verdict.COMPROMISED,
                    last_error=HOSTILE, final_url=f"https://evil.example.vn/{HOSTILE}", subpages=f"/{HOSTILE}")
    now = timezone.now()
    SnapshotFactory(site=site, url=website.url, taken_at=now - datetime.timedelta(days=2), is_baseline=True,
                    title="Trang chủ", text="Cổng thông tin điện tử\nTin tức\nLiên hệ")
    SnapshotFactory(site=site, url=website.url, taken_at=now - datetime.timedelta(minutes=5),
                    title=HOSTILE, text=f"Cổng thông tin điện tử\n{HOSTILE} nổ hũ tài xỉu\nLiên hệ")
    evidence = {"snippet": HOSTILE, "links": [f"javascript:{HOSTILE}", {"href": HOSTILE, "text": HOSTILE}],
                "diff": f"+ {HOSTILE}", "probe": {"user_agent": HOSTILE}}
    alert = AlertFactory(site=site, kind="gambling_injection", severity="critical", state=AlertState.CONFIRMED,
                         summary=HOSTILE, url=f"https://evil.example.vn/{HOSTILE}", evidence=evidence)
    SiteEventFactory(site=site, kind=EventKind.ALERT_OPENED, alert=alert, message=HOSTILE)
    CheckFactory(site=site, url=website.url, error_message=HOSTILE, verdict=Verdict.COMPROMISED,
                 findings=[{"kind": "gambling_injection", "severity": "critical", "summary": HOSTILE,
                            "evidence": {"snippet": HOSTILE}}])
    return site


def test_hostile_page_content_is_escaped_everywhere(client_for, users, hostile_site):
    client = client_for(users["member_a"])
    alert = hostile_site.alerts.get()
    snapshot = hostile_site.snapshots.get(is_baseline=False)
    urls = [hostile_site.get_absolute_url(), alert.get_absolute_url(), reverse("monitoring:board"),
            reverse("monitoring:alert_list"), reverse("monitoring:check_list"), reverse("monitoring:siteevent_list"),
            reverse("monitoring:snapshot_list"), reverse("monitoring:snapshot_detail", args=[snapshot.pk]),
            reverse("monitoring:alert_acknowledge", args=[alert.pk]),
            reverse("monitoring:alert_false_positive", args=[alert.pk]),
            reverse("monitoring:site_accept_baseline", args=[hostile_site.pk]),
            reverse("monitoring:site_recheck", args=[hostile_site.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(text(response))
    detail = text(client.get(alert.get_absolute_url()))
    assert 'href="javascript:' not in detail  # evidence links are text, never links


def test_site_page_shows_state_chart_alerts_events_and_the_last_change(client_for, users, hostile_site):
    now = timezone.now()
    for minutes, latency, verdict in ((50, 120, "ok"), (40, 300, "ok"), (30, None, "down"), (20, 180, "ok")):
        CheckFactory(site=hostile_site, checked_at=now - datetime.timedelta(minutes=minutes), latency_ms=latency,
                     verdict=verdict)
    page = text(english(client_for(users["member_a"])).get(hostile_site.get_absolute_url()))
    assert "<svg" in page and "<polyline" in page and 'class="lc-down"' in page
    assert "Gambling/SEO-spam injection" in page and "Open alerts" in page
    assert "Alert opened" in page  # the timeline
    assert "<ins>" in page and "nổ hũ tài xỉu" in page  # the side-by-side diff of the last change
    assert reverse("monitoring:site_recheck", args=[hostile_site.pk]) in page
    assert reverse("monitoring:site_accept_baseline", args=[hostile_site.pk]) in page
    assert reverse("monitoring:alert_acknowledge", args=[hostile_site.alerts.get().pk]) in page
    week = text(client_for(users["member_a"]).get(hostile_site.get_absolute_url(), {"period": "7d"}))
    assert "<svg" in week and "Response time" in week


def test_site_page_query_count_does_not_grow_with_history(client_for, users, hostile_site,
                                                         django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["member_a"])
    client.get(hostile_site.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(hostile_site.get_absolute_url(), {"period": "7d"})
    now = timezone.now()
    for n in range(200):
        CheckFactory(site=hostile_site, checked_at=now - datetime.timedelta(minutes=30 * n), latency_ms=100 + n)
        SiteEventFactory(site=hostile_site)
    AlertFactory.create_batch(5, site=hostile_site, state=AlertState.RESOLVED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = text(client.get(hostile_site.get_absolute_url(), {"period": "7d"}))
    points = page.split("<polyline points=\"", 1)[1].split('"', 1)[0].split()
    assert 2 <= len(points) <= 300


def test_read_only_roles_see_no_action_buttons_and_cannot_act(client_for, users, hostile_site):
    alert = hostile_site.alerts.get()
    client = client_for(users["auditor"])
    page = text(client.get(hostile_site.get_absolute_url()))
    assert "HOSTILE" not in page
    assert reverse("monitoring:site_recheck", args=[hostile_site.pk]) not in page
    assert reverse("monitoring:alert_acknowledge", args=[alert.pk]) not in page
    for name, pk in (("site_recheck", hostile_site.pk), ("site_accept_baseline", hostile_site.pk),
                     ("alert_acknowledge", alert.pk), ("alert_false_positive", alert.pk), ("watchedsite_edit",
                                                                                            hostile_site.pk)):
        assert client.get(reverse(f"monitoring:{name}", args=[pk])).status_code == 404, name
        assert client.post(reverse(f"monitoring:{name}", args=[pk]), {"note": "x"}).status_code == 404, name
    alert.refresh_from_db()
    assert alert.state == AlertState.CONFIRMED


def test_another_units_site_and_alert_are_404(client_for, users, sites):
    client = client_for(users["member_b"])
    a_alert = sites["a1"].alerts.get()
    assert client.get(sites["a"].get_absolute_url()).status_code == 404
    assert client.get(a_alert.get_absolute_url()).status_code == 404
    for name, pk in (("site_recheck", sites["a1"].pk), ("alert_acknowledge", a_alert.pk),
                     ("alert_false_positive", a_alert.pk), ("watchedsite_edit", sites["a1"].pk)):
        assert client.post(reverse(f"monitoring:{name}", args=[pk]), {"note": "x"}).status_code == 404
    assert Alert.objects.get(pk=a_alert.pk).state == AlertState.CONFIRMED
    page = text(client.get(reverse("monitoring:alert_list")))
    assert "Trang A1 sập" not in page and "b-hacked" in page


# --- actions through the UI ------------------------------------------------------------------------------------


def test_acknowledge_and_false_positive_through_the_ui(client_for, users, hostile_site, tree):
    alert = hostile_site.alerts.get()
    client = client_for(users["operator_a"])  # the on-duty operator acts on alerts too
    response = client.post(reverse("monitoring:alert_acknowledge", args=[alert.pk]), {"note": "Đang xử lý"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == users["operator_a"]
    client = client_for(users["member_a"])
    response = client.post(reverse("monitoring:alert_false_positive", args=[alert.pk]), {"note": ""})
    assert response.status_code == 200 and "note" in response.context["form"].errors
    assert Alert.objects.get(pk=alert.pk).state == AlertState.ACKNOWLEDGED
    response = client.post(reverse("monitoring:alert_false_positive", args=[alert.pk]),
                           {"note": "Quảng cáo hợp lệ của trường"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.FALSE_POSITIVE and alert.note == "Quảng cáo hợp lệ của trường"
    assert SiteEvent.objects.filter(alert=alert, kind=EventKind.FALSE_POSITIVE, user=users["member_a"]).exists()
    # A closed alert has no action pages any more.
    assert client.get(reverse("monitoring:alert_acknowledge", args=[alert.pk])).status_code == 404


def test_accept_baseline_and_recheck_through_the_ui(client_for, users, hostile_site):
    client = english(client_for(users["member_a"]))
    confirm = text(client.get(reverse("monitoring:site_accept_baseline", args=[hostile_site.pk])))
    assert "nổ hũ tài xỉu" in confirm and "Accept as baseline" in confirm  # the user sees what becomes the baseline
    Alert.objects.filter(site=hostile_site).update(url=hostile_site.website.url)  # the alert is on that page
    response = client.post(reverse("monitoring:site_accept_baseline", args=[hostile_site.pk]),
                           {"url": hostile_site.website.url})
    assert response.status_code == 302
    baseline = Snapshot.objects.get(site=hostile_site, is_baseline=True)
    assert "nổ hũ" in baseline.text and baseline.accepted_by == users["member_a"]
    assert hostile_site.alerts.get().state == AlertState.RESOLVED
    response = client.post(reverse("monitoring:site_recheck", args=[hostile_site.pk]))
    assert response.status_code == 302
    site = WatchedSite.objects.get(pk=hostile_site.pk)
    assert site.next_check_at is not None and site.next_check_at <= timezone.now()


def test_settings_form_refuses_other_sites_as_sub_pages(client_for, users, sites):
    site = sites["a"]
    url = reverse("monitoring:watchedsite_edit", args=[site.pk])
    client = english(client_for(users["member_a"]))
    data = {"enabled": "on", "interval_seconds": 120, "deep_every": 6, "sitemap_sample": 3,
            "subpages": "/tin-tuc\nhttps://evil.example.com/x\njavascript:alert(1)"}
    response = client.post(url, data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["subpages"])
    assert "Line 2" in errors and "Line 3" in errors
    data["subpages"] = "/tin-tuc\nhttps://www.a-up.example.vn/lien-he\n/tin-tuc"
    response = client.post(url, data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.subpages == "/tin-tuc\nhttps://www.a-up.example.vn/lien-he" and site.interval_seconds == 120
    data["interval_seconds"] = 5
    assert "interval_seconds" in client.post(url, data).context["form"].errors
    assert client_for(users["operator_a"]).get(url).status_code == 404  # settings: the unit's writers only


def test_incident_button_only_when_the_incidents_app_offers_it(client_for, users, hostile_site, monkeypatch):
    from lachan.monitoring.views import queries

    client = client_for(users["member_a"])
    monkeypatch.setattr(queries, "incident_create_url", lambda: None)
    assert "?alert=" not in text(client.get(hostile_site.get_absolute_url()))
    monkeypatch.setattr(queries, "incident_create_url", lambda: "/incidents/new/")
    alert = hostile_site.alerts.get()
    assert f'href="/incidents/new/?alert={alert.pk}"' in text(client.get(hostile_site.get_absolute_url()))


# --- lists ------------------------------------------------------------------------------------------------------


def test_alert_list_filters_and_exports(client_for, users, sites):
    client = client_for(users["coordinator"])
    page = text(client.get(reverse("monitoring:alert_list"), {"kind": "down"}))
    assert sites["a1"].get_absolute_url() in page and sites["b"].get_absolute_url() not in page
    page = text(client.get(reverse("monitoring:alert_list"), {"severity": "critical"}))
    assert sites["b"].get_absolute_url() in page and sites["a1"].get_absolute_url() not in page
    response = client_for(users["member_a"]).get(reverse("monitoring:alert_list"), {"export": "csv"})
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "a1-down.example.vn" in lines[1]


def test_history_lists_link_the_site(client_for, users, sites):
    CheckFactory(site=sites["a"])
    SnapshotFactory(site=sites["a"])
    SiteEventFactory(site=sites["a"], message="lên lại")
    client = client_for(users["member_a"])
    for name in ("check_list", "snapshot_list", "siteevent_list", "alert_list", "watchedsite_list"):
        response = client.get(reverse(f"monitoring:{name}"))
        assert response.status_code == 200, name
        assert f'href="{sites["a"].get_absolute_url()}"' in text(response) or name == "alert_list", name
