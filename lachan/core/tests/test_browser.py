"""The main pages in a real headless Chromium (Playwright, Debian's /usr/bin/chromium) against the live server:
login form, adding an information system, htmx live search and pagination, language switch.

Skipped when Chromium is missing, unless LACHAN_REQUIRE_SERVICES=1 (CI), which turns the skip into a failure.
Screenshots of the dashboard and a list page go to $LACHAN_SCREENSHOT_DIR (default /tmp)."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from lachan.inventory.models import InformationSystem
from lachan.testing.factories import (
    ContactFactory,
    InformationSystemFactory,
    IPPrefixFactory,
    UnitFactory,
    UnitGroupFactory,
    WebsiteFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("LACHAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("LACHAN_SCREENSHOT_DIR", "/tmp"))
PASSWORD = "Mat-khau-thu-nghiem-1"


def _unavailable(reason):
    if os.environ.get("LACHAN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"browser tests required (LACHAN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)



@pytest.fixture(scope="module")
def _async_unsafe_allowed():
    """Playwright's sync API runs an event loop in this thread; the ORM calls of the test bodies are safe.
    Set for this module's tests only: the variable must not leak into other tests (check --deploy flags it)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed):
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set LACHAN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _log_in(page, username):
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_log_in_add_a_system_and_find_it_in_the_list(page, tree, users):
    from playwright.sync_api import expect

    _log_in(page, "coord")
    expect(page.locator("h1")).to_be_visible()

    page.goto(reverse("inventory:informationsystem_add"))
    page.select_option("#id_unit", label=tree["a"].name)
    page.fill("#id_name", "Cổng dịch vụ công trực tuyến")
    page.select_option("#id_security_level", "3")
    page.fill("#id_approval_number", "125/QĐ-UBND")
    expect(page.locator("#id_approval_date")).to_have_attribute("placeholder", re.compile(r"^\w\w/\w\w/\w{4}$"))
    page.fill("#id_approval_date", "05/03/2024")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/inventory/systems/\d+/$"))
    expect(page.locator("h1")).to_have_text("Cổng dịch vụ công trực tuyến")
    expect(page.locator(".sl-badge.sl-3").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("05/03/2024")

    system = InformationSystem.objects.get(name="Cổng dịch vụ công trực tuyến")
    assert system.unit == tree["a"] and system.security_level == 3

    page.goto(reverse("inventory:informationsystem_list"))
    row = page.locator("#object-table tbody tr", has_text="Cổng dịch vụ công trực tuyến")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(tree["a"].name)


def test_htmx_live_search_filters_and_paginates_within_the_partial(page, tree, users):
    from playwright.sync_api import expect

    for index in range(55):
        InformationSystemFactory(unit=tree["a"], name=f"Hệ thống quản lý văn bản {index:02d}")
    InformationSystemFactory(unit=tree["b"], name="Cổng thông tin điện tử")
    _log_in(page, "coord")
    page.goto(reverse("inventory:informationsystem_list"))
    rows = page.locator("#object-table tbody tr")
    expect(rows).to_have_count(50)  # first page of 56
    page.screenshot(path=str(SCREENSHOTS / "lachan-list.png"), full_page=False)

    # Typing filters the table without reloading the page.
    page.evaluate("window.__sameDocument = true")
    page.locator("#id_q").press_sequentially("Cổng thông", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Cổng thông tin điện tử")
    expect(page).to_have_url(re.compile(r"q=C%E1%BB%95ng"))
    assert page.evaluate("window.__sameDocument") is True

    # Pagination links keep the search and reload only the table.
    page.fill("#id_q", "văn bản")
    expect(page.locator("#object-table [role=status]")).to_contain_text("55")
    page.locator("#object-table nav[aria-label] a[rel=next]").click()
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"page=2"))
    assert "q=v%C4%83n" in page.url or "q=v%C4%83n+b%E1%BA%A3n" in page.url
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("nav.lc-navbar")).to_have_count(1)  # the partial did not nest a whole page

    # Sorting from the header also stays in the partial and keeps the search.
    page.locator("#object-table thead a", has_text=re.compile("Tên|Name")).click()
    expect(page).to_have_url(re.compile(r"sort=-?name"))
    expect(rows.first).to_contain_text("văn bản")
    assert page.evaluate("window.__sameDocument") is True

    # Leaving for a detail page and coming back shows the whole list page again, never the cached partial.
    page.locator("#object-table tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/inventory/systems/\d+/$"))
    page.go_back()
    expect(page.locator("nav.lc-navbar")).to_have_count(1)
    expect(page.locator("#object-table [role=status]")).to_contain_text("55")

    # Reloading the pushed URL gives the full page with the same filtered table.
    page.reload()
    expect(page.locator("nav.lc-navbar")).to_have_count(1)
    expect(page.locator("#id_q")).to_have_value("văn bản")
    expect(page.locator("#object-table [role=status]")).to_contain_text("55")


def test_language_switch_to_english(page, tree, users):
    from playwright.sync_api import expect

    with translation.override("vi"):
        vietnamese_logout = str(translation.gettext("Log out"))
        vietnamese_dashboard = str(translation.gettext("Dashboard"))
    # Django's own Vietnamese catalogue already translates "Log out"; ours adds the rest.
    assert vietnamese_logout != "Log out"

    _log_in(page, "coord")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("main h1")).to_have_text(vietnamese_dashboard)
    page.locator(".lc-user").click()
    expect(page.locator("#logout-button")).to_have_text(vietnamese_logout)

    page.select_option("#lc-language", "en")  # submits the form (lachan.js), the page reloads in English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Dashboard")
    page.locator(".lc-user").click()
    expect(page.locator("#logout-button")).to_have_text("Log out")
    # the choice sticks on the next page
    page.goto(reverse("inventory:informationsystem_list"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Information systems")


def test_dashboard_screenshot_and_escaping(page, tree, users):
    from playwright.sync_api import expect

    group = UnitGroupFactory(name="Khối các Sở, ban, ngành")
    hostile = UnitFactory(parent=tree["b"], code="X1", name='<script>window.__pwned = 1</script>Trường "Lạ"')
    for index, kind in enumerate(["department", "district", "school", "school", "commune", "commune"]):
        unit = UnitFactory(parent=tree["a"] if index % 2 else tree["b"], kind=kind, name=f"Đơn vị mẫu {index + 1}")
        unit.groups.add(group)
        if index % 2:
            ContactFactory(unit=unit)
            IPPrefixFactory(unit=unit)
        InformationSystemFactory(unit=unit, security_level=(index % 5) + 1 if index % 3 else None,
                                 approval_number="12/QĐ-UBND" if index % 4 == 1 else "")
        WebsiteFactory(unit=unit, monitored=bool(index % 3))
    hostile.groups.add(group)
    _log_in(page, "coord")
    page.goto("/")
    expect(page.locator("#groups-title")).to_be_visible()
    expect(page.locator("main")).to_contain_text('<script>window.__pwned = 1</script>Trường "Lạ"')
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(SCREENSHOTS / "lachan-dashboard.png"), full_page=True)

    _log_in_as_unit = page.context.browser.new_context(base_url=page.url.rsplit("/", 1)[0], locale="vi-VN",
                                                        viewport={"width": 1360, "height": 900})
    unit_page = _log_in_as_unit.new_page()
    _log_in(unit_page, "admin_a")
    expect(unit_page.locator("#open-focal")).to_be_visible()
    expect(unit_page.locator("#groups-title")).to_have_count(0)
    unit_page.screenshot(path=str(SCREENSHOTS / "lachan-dashboard-unit.png"), full_page=True)
    _log_in_as_unit.close()
