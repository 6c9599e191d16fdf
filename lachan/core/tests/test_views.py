"""The server-rendered UI: every list/detail/add/edit page renders, the generic views create, edit and
delete with an audit entry naming the actor, htmx partials, escaping of hostile text, dates and badges."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lachan.inventory.models import InformationSystem, IPPrefix
from lachan.organizations.models import Unit
from lachan.testing.factories import (
    ContactFactory,
    InformationSystemFactory,
    IPPrefixFactory,
    UnitFactory,
    UnitGroupFactory,
    WebsiteFactory,
    make_for_unit,
)

SUFFIXES = ("_list", "_detail", "_add", "_edit")


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions below read English source strings; the UI defaults to Vietnamese (see the last test)."""
    settings.LANGUAGE_CODE = "en"


def _ui_routes():
    """(url name, model) of every list/detail/add/edit page, discovered from the URL patterns."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                if ns in (None, "api") or str(entry.pattern).startswith("api/"):
                    continue
                walk(entry.url_patterns, ns)
            elif isinstance(entry, URLPattern) and entry.name and entry.name.endswith(SUFFIXES) and namespace:
                view_class = getattr(entry.callback, "view_class", None)
                model = getattr(view_class, "model", None)
                if model is not None:
                    found.append((f"{namespace}:{entry.name}", model))

    walk(get_resolver().url_patterns, None)
    return sorted(set(found), key=lambda item: item[0])


UI_ROUTES = _ui_routes()


def test_route_discovery_finds_every_model():
    names = {name for name, _model in UI_ROUTES}
    for expected in ("organizations:unit_list", "organizations:contact_edit", "inventory:informationsystem_detail",
                     "inventory:software_add", "accounts:user_list"):
        assert expected in names
    assert len(names) >= 40


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "model"), UI_ROUTES, ids=[name for name, _ in UI_ROUTES])
def test_every_page_renders_for_coordinator(tree, users, client_for, url_name, model):
    client = client_for(users["coordinator"])
    if url_name.endswith(("_detail", "_edit")):
        obj = make_for_unit(model, tree["a"])
        url = reverse(url_name, args=[obj.pk])
    else:
        url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert "<main" in html and "</html>" in html
    if url_name.endswith(("_add", "_edit")):
        assert 'name="csrfmiddlewaretoken"' in html
        # Widgets are styled centrally (ScopedModelForm): no bare text input or select.
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag or 'name="language"' in tag or 'type="checkbox"' in tag or "form-select" in tag:
                continue
            assert "form-control" in tag, tag


@pytest.mark.django_db
def test_list_page_for_every_role_and_empty_state(tree, users, client_for):
    for user in users.values():
        response = client_for(user).get(reverse("inventory:website_list"))
        assert response.status_code == 200
        assert "No websites yet." in response.content.decode()


# --- create / edit / delete through the generic views, audited with the actor ------------------


def _entries(model, pk, action):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(pk), action=action
    )


@pytest.mark.django_db
def test_create_edit_delete_information_system_are_audited(tree, users, client_for):
    coordinator = users["coordinator"]
    client = client_for(coordinator)
    data = {"unit": tree["a"].pk, "name": "Cổng dịch vụ công", "security_level": "3", "approval_number": "12/QĐ-UBND",
            "approval_date": "05/03/2024", "status": "operating", "purpose": "", "description": ""}
    response = client.post(reverse("inventory:informationsystem_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    system = InformationSystem.objects.get(name="Cổng dịch vụ công")
    assert response["Location"] == system.get_absolute_url()
    assert system.approval_date == datetime.date(2024, 3, 5)
    created = _entries(InformationSystem, system.pk, LogEntry.Action.CREATE).get()
    assert created.actor == coordinator

    response = client.post(reverse("inventory:informationsystem_edit", args=[system.pk]), data | {"security_level": "4"})
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.security_level == 4
    updated = _entries(InformationSystem, system.pk, LogEntry.Action.UPDATE).get()
    assert updated.actor == coordinator
    assert "security_level" in updated.changes_dict

    response = client.post(reverse("inventory:informationsystem_delete", args=[system.pk]))
    assert response.status_code == 302
    assert not InformationSystem.objects.filter(pk=system.pk).exists()
    assert _entries(InformationSystem, system.pk, LogEntry.Action.DELETE).get().actor == coordinator


@pytest.mark.django_db
def test_unit_created_through_the_form_gets_its_path_and_an_audit_entry(tree, users, client_for):
    admin = users["admin_a"]
    client = client_for(admin)
    data = {"code": "A2", "name": "Trường THCS A2", "kind": "school", "parent": tree["a"].pk, "is_active": "on"}
    response = client.post(reverse("organizations:unit_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(code="A2")
    assert unit.path == f"{tree['a'].path}{unit.pk}/"
    assert _entries(Unit, unit.pk, LogEntry.Action.CREATE).get().actor == admin


@pytest.mark.django_db
def test_invalid_form_shows_errors_next_to_fields(tree, users, client_for):
    response = client_for(users["coordinator"]).post(reverse("inventory:ipprefix_add"), {"unit": tree["a"].pk, "prefix": "10.0.0.300/24"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is-invalid" in html
    assert 'id="id_prefix_error"' in html
    assert not IPPrefix.objects.exists()


@pytest.mark.django_db
def test_protected_delete_gives_a_message_not_a_500(tree, users, client_for):
    InformationSystemFactory(unit=tree["b"], name="Hệ thống giữ đơn vị")
    client = client_for(users["coordinator"])
    response = client.post(reverse("organizations:unit_delete", args=[tree["b"].pk]), follow=True)
    assert response.status_code == 200
    assert Unit.objects.filter(pk=tree["b"].pk).exists()
    html = response.content.decode()
    assert "Cannot delete" in html
    assert "Hệ thống giữ đơn vị" in html
    assert 'class="alert alert-danger' in html


@pytest.mark.django_db
def test_unit_user_cannot_reach_other_units_pages(tree, users, client_for):
    system_b = InformationSystemFactory(unit=tree["b"])
    client = client_for(users["admin_a"])
    assert client.get(reverse("inventory:informationsystem_detail", args=[system_b.pk])).status_code == 404
    assert client.get(reverse("inventory:informationsystem_edit", args=[system_b.pk])).status_code == 404
    assert client.post(reverse("inventory:informationsystem_delete", args=[system_b.pk])).status_code == 404
    # The unit select of the add form only offers A and A1.
    html = client.get(reverse("inventory:informationsystem_add")).content.decode()
    assert tree["a1"].name in html and tree["b"].name not in html


# --- list pages: htmx partial, pagination keeps filters, badges, dates ---------------------------


@pytest.mark.django_db
def test_htmx_search_returns_partial_whose_links_keep_the_filters(tree, users, client_for):
    for index in range(60):
        InformationSystemFactory(unit=tree["a"], name=f"Hệ thống số {index:02d}")
    InformationSystemFactory(unit=tree["b"], name="Cổng khác")
    client = client_for(users["coordinator"])
    response = client.get(reverse("inventory:informationsystem_list"), {"q": "số"},
                          headers={"HX-Request": "true", "HX-Target": "object-table"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<nav class=\"navbar" not in html
    assert "60 results" in html
    assert "Cổng khác" not in html
    # Page and sort links carry the search and reload the partial through htmx.
    assert re.search(r'href="\?[^"]*q=s%E1%BB%91[^"]*page=2', html) or re.search(r'href="\?[^"]*page=2[^"]*q=s%E1%BB%91', html)
    assert 'hx-target="#object-table"' in html and 'hx-boost="true"' in html
    if response.context["can_export"]:  # export links follow the filters too
        assert re.search(r'href="\?[^"]*q=s%E1%BB%91[^"]*export=csv', html)

    page2 = client.get(reverse("inventory:informationsystem_list"), {"q": "số", "page": 2},
                       headers={"HX-Request": "true", "HX-Target": "object-table"})
    assert page2.status_code == 200 and "Hệ thống số" in page2.content.decode()

    full = client.get(reverse("inventory:informationsystem_list"), {"q": "số"}).content.decode()
    assert "<html" in full and 'id="object-table"' in full and 'hx-get="/inventory/systems/"' in full


@pytest.mark.django_db
def test_no_match_shows_clear_filters_empty_state(tree, users, client_for):
    InformationSystemFactory(unit=tree["a"])
    html = client_for(users["coordinator"]).get(reverse("inventory:informationsystem_list"), {"q": "không có"}).content.decode()
    assert "match these filters" in html and "Clear filters" in html


@pytest.mark.django_db
def test_security_level_badge_and_dates_dd_mm_yyyy(tree, users, client_for):
    system = InformationSystemFactory(unit=tree["a"], security_level=3, approval_number="7/QĐ", approval_date=datetime.date(2024, 3, 5))
    unset = InformationSystemFactory(unit=tree["a"], security_level=None)
    InformationSystem.objects.filter(pk=system.pk).update(created=datetime.datetime(2025, 1, 1, 20, 30, tzinfo=datetime.UTC))
    client = client_for(users["coordinator"])
    listing = client.get(reverse("inventory:informationsystem_list")).content.decode()
    assert "sl-badge sl-3" in listing and "sl-none" in listing
    assert "05/03/2024" in listing
    detail = client.get(system.get_absolute_url()).content.decode()
    assert "sl-badge sl-3" in detail
    assert "05/03/2024" in detail
    # 20:30 UTC is 03:30 the next day in Asia/Ho_Chi_Minh.
    assert "02/01/2025 03:30" in detail
    assert "not been approved" in client.get(unset.get_absolute_url()).content.decode()
    edit = client.get(reverse("inventory:informationsystem_edit", args=[system.pk])).content.decode()
    assert re.search(r'<input type="text" name="approval_date" value="05/03/2024"[^>]*placeholder="[^"]+"', edit)


@pytest.mark.django_db
def test_filter_bar_fields_are_compact_and_labelled(tree, users, client_for):
    html = client_for(users["coordinator"]).get(reverse("inventory:informationsystem_list")).content.decode()
    assert 'type="search"' in html and 'name="q"' in html
    assert "form-select form-select-sm" in html
    # the multiple-choice security level filter is a dropdown of labelled checkboxes
    assert re.search(r'<input class="form-check-input" type="checkbox" name="security_level" value="3" id="([^"]+)"', html)
    assert '<label class="form-check-label text-nowrap" for="id_security_level_2">' in html


# --- detail pages: related objects, breadcrumbs -------------------------------------------------


def _breadcrumb(html):
    return re.search(r'<ol class="breadcrumb.*?</ol>', html, re.S).group(0)


@pytest.mark.django_db
def test_unit_detail_lists_related_objects_and_breadcrumbs(tree, users, client_for):
    ContactFactory(unit=tree["a"], full_name="Trần Thị Đầu Mối", roles="security_focal")
    InformationSystemFactory(unit=tree["a"], name="Hệ thống một cửa")
    IPPrefixFactory(unit=tree["a"], prefix="203.0.113.0/24")
    WebsiteFactory(unit=tree["a"], url="https://a.example.vn/")
    html = client_for(users["coordinator"]).get(tree["a"].get_absolute_url()).content.decode()
    for text in ("Trần Thị Đầu Mối", "Hệ thống một cửa", "203.0.113.0/24", "https://a.example.vn/", tree["a1"].name):
        assert text in html
    assert "no security focal-point contact" not in html
    breadcrumb = _breadcrumb(html)
    assert tree["root"].get_absolute_url() in breadcrumb

    html_a1 = client_for(users["member_a"]).get(tree["a1"].get_absolute_url()).content.decode()
    breadcrumb = _breadcrumb(html_a1)
    assert tree["a"].get_absolute_url() in breadcrumb
    assert tree["root"].get_absolute_url() not in breadcrumb  # outside member_a's scope
    assert "no security focal-point contact" in html_a1


@pytest.mark.django_db
def test_system_and_host_detail_list_their_objects(tree, users, client_for):
    from lachan.testing.factories import HostFactory, SoftwareFactory

    system = InformationSystemFactory(unit=tree["a"])
    host = HostFactory(unit=tree["a"], system=system, hostname="may-chu-1")
    IPPrefixFactory(unit=tree["a"], system=system, prefix="198.51.100.0/24")
    WebsiteFactory(unit=tree["a"], system=system, url="https://hethong.example.vn/")
    SoftwareFactory(unit=tree["a"], system=system, host=host, product="tomcat")
    client = client_for(users["coordinator"])
    html = client.get(system.get_absolute_url()).content.decode()
    for text in ("may-chu-1", "198.51.100.0/24", "https://hethong.example.vn/", "tomcat"):
        assert text in html
    assert f"system={system.pk}" in html  # "add host" prefilled with the system
    assert "tomcat" in client.get(host.get_absolute_url()).content.decode()


# --- escaping of hostile text --------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.django_db
def test_hostile_unit_name_is_escaped_on_list_detail_and_dashboard(tree, users, client_for):
    unit = UnitFactory(name=HOSTILE, code="EVIL", parent=tree["a"])
    client = client_for(users["coordinator"])
    pages = {
        "list": reverse("organizations:unit_list"),
        "detail": unit.get_absolute_url(),
        "dashboard": reverse("core:dashboard"),
        "child detail breadcrumb": UnitFactory(parent=unit).get_absolute_url(),
        "edit": reverse("organizations:unit_edit", args=[unit.pk]),
    }
    for label, url in pages.items():
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, label
        assert "<img src=x" not in html, label
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, label
    # and for a unit user whose dashboard lists the unit as missing data
    html = client_for(users["admin_a"]).get(reverse("core:dashboard")).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
def test_hostile_text_in_detail_values_and_links(tree, users, client_for):
    website = WebsiteFactory(unit=tree["a"], url="javascript:alert(1)//", name="Trang <b>bị</b> thay đổi",
                             description="dòng 1\n<script>alert(2)</script>")
    ContactFactory(unit=tree["a"], full_name="<svg onload=alert(3)>")
    client = client_for(users["coordinator"])
    html = client.get(website.get_absolute_url()).content.decode()
    assert 'href="javascript:' not in html
    assert "dòng 1<br>&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "Trang &lt;b&gt;bị&lt;/b&gt; thay đổi" in html and "<b>bị</b>" not in html
    unit_html = client.get(tree["a"].get_absolute_url()).content.decode()
    assert "<svg onload" not in unit_html and "&lt;svg onload=alert(3)&gt;" in unit_html
    assert 'href="javascript:' not in unit_html


# --- dashboards ---------------------------------------------------------------------------------


def _populate(tree, n):
    group = UnitGroupFactory(name=f"Khối {n}")
    for index in range(n):
        unit = UnitFactory(parent=tree["a"], kind="school" if index % 2 else "commune")
        unit.groups.add(group)
        if index % 3 == 0:
            ContactFactory(unit=unit)
            IPPrefixFactory(unit=unit)
        InformationSystemFactory(unit=unit, security_level=None if index % 2 else 2)
        WebsiteFactory(unit=unit, monitored=bool(index % 2))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "admin_a", "auditor"])
def test_dashboard_query_count_does_not_grow_with_units(tree, users, client_for, who):
    client = client_for(users[who])
    _populate(tree, 3)
    client.get(reverse("core:dashboard"))  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("core:dashboard")).status_code == 200
    _populate(tree, 25)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("core:dashboard")).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


@pytest.mark.django_db
def test_dashboard_of_a_user_without_unit_is_empty_not_an_error(client_for, db):
    from lachan.accounts.models import User

    orphan = User.objects.create_user("orphan", password="x", role="unit_member")
    response = client_for(orphan).get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert all(item["value"] == 0 for item in response.context["counts"] if item["key"] != "externalcontact")


@pytest.mark.django_db
def test_unit_dashboard_shows_own_open_items_only(tree, users, client_for):
    InformationSystemFactory(unit=tree["a1"], name="Hệ thống chưa phê duyệt A1", security_level=None)
    InformationSystemFactory(unit=tree["b"], name="Hệ thống chưa phê duyệt B", security_level=None)
    WebsiteFactory(unit=tree["a"], url="https://khong-giam-sat.example.vn/", monitored=False)
    ContactFactory(unit=tree["a"], roles="security_focal")
    response = client_for(users["member_a"]).get(reverse("core:dashboard"))
    html = response.content.decode()
    ctx = response.context
    assert not ctx["overview"]
    assert "Hệ thống chưa phê duyệt A1" in html and "Hệ thống chưa phê duyệt B" not in html
    assert ctx["open"]["systems_unapproved"]["count"] == 1
    assert [u.code for u in ctx["open"]["units_without_focal"]["items"]] == ["A1"]
    assert {u.code for u in ctx["open"]["units_without_prefix"]["items"]} == {"A", "A1"}
    assert ctx["open"]["websites_unmonitored"]["count"] == 1
    assert "Coverage by unit group" not in html
    assert tree["b"].name not in html


@pytest.mark.django_db
def test_coordinator_dashboard_has_the_whole_picture(tree, users, client_for):
    group = UnitGroupFactory(name="Khối các cơ quan Đảng thành phố")
    tree["a"].groups.add(group)
    tree["b"].groups.add(group)
    ContactFactory(unit=tree["a"], roles="security_focal")
    IPPrefixFactory(unit=tree["a"])
    InformationSystemFactory(unit=tree["b"], security_level=3, approval_number="1/QĐ")
    InformationSystemFactory(unit=tree["b"], security_level=None)
    UnitGroupFactory(name="Khối trống")
    response = client_for(users["coordinator"]).get(reverse("core:dashboard"))
    ctx = response.context
    html = response.content.decode()
    assert ctx["overview"]
    assert ctx["coverage_total"] == {"total": 4, "focal": 1, "prefix": 1, "system": 1}
    rows = {row["group"].name: row for row in ctx["by_group"]}
    assert (rows["Khối các cơ quan Đảng thành phố"]["total"], rows["Khối các cơ quan Đảng thành phố"]["focal"],
            rows["Khối các cơ quan Đảng thành phố"]["system"]) == (2, 1, 1)
    assert rows["Khối trống"]["total"] == 0
    levels = {row["level"]: row for row in ctx["by_level"]["levels"]}
    assert levels[3] == {"level": 3, "total": 1, "approved": 1}
    assert levels[None]["total"] == 1
    assert "Khối các cơ quan Đảng thành phố" in html and "Coverage by unit kind" in html
    # the units missing most data come first: root has nothing at all
    assert ctx["top_missing"][0].code in {"ROOT", "A1"}


# --- language switch ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_sets_english(tree, users, client_for, settings):
    settings.LANGUAGE_CODE = "vi"
    client = client_for(users["coordinator"])
    assert '<html lang="vi">' in client.get(reverse("core:dashboard")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("core:dashboard")})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("core:dashboard")).content.decode()
