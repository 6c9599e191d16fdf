"""The demo websites (lachan/demo/sites.py): real aiohttp servers on loopback, started in the test's own
event loop; what each serves, the verdict the real ``check_site`` gives each, and the demo data."""

import asyncio

import aiohttp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lachan.core.outbound import guarded_session
from lachan.demo import sites
from lachan.demo.sites import DEMO_SITES, start_demo_sites
from lachan.monitoring.analysis import analyse, extract_features
from lachan.monitoring.checking import check_site

LOOPBACK = ["127.0.0.0/8"]
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def run(scenario, *, deface_after=sites.DEFACE_AFTER):
    """Start the demo sites on free ports, run ``await scenario(demo)``, stop them; returns its result."""

    async def main():
        demo = await start_demo_sites(port=0, deface_after=deface_after)
        try:
            return await scenario(demo)
        finally:
            await demo.close()

    return asyncio.run(main())


async def get(url, headers=None):
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers or {}) as response:
        return response.status, (await response.read()).decode("utf-8")


def findings_of(body, url, baseline=None):
    return {(f.kind, f.severity) for f in analyse(extract_features(body.encode(), url), baseline)}


# --- what the servers serve -----------------------------------------------------------------------

def test_every_site_serves_its_own_school_and_the_down_site_answers_503():
    async def scenario(demo):
        return {key: await get(url) for key, url in demo.urls.items()}

    pages = run(scenario)
    assert set(pages) == {"clean", "defaced", "injected", "cloaked", "down"}
    for site in DEMO_SITES:
        status, body = pages[site.key]
        if site.key == "down":
            assert status == 503 and "Service Unavailable" in body
        else:
            assert status == 200 and f"<h1>{site.school}</h1>" in body, site.key
    # the clean page is judged clean on its own; the injected one carries hidden gambling links
    assert findings_of(pages["clean"][1], "http://127.0.0.1/") == set()
    assert ('<div style="display:none"><a href="https://nhacai-uytin.example/">nhà cái uy tín</a>'
            in pages["injected"][1])
    assert ("gambling_injection", "high") in findings_of(pages["injected"][1], "http://127.0.0.1/")


def test_sub_pages_sitemap_robots_and_unknown_paths():
    async def scenario(demo):
        url = demo.urls["injected"]
        return [await get(url + path) for path in ("gioi-thieu.html", "tin-tuc.html", "sitemap.xml", "robots.txt",
                                                   "wp-login.php")]

    about, news, sitemap, robots, unknown = run(scenario)
    assert about[0] == 200 and "Hiệu trưởng: Lê Thị Thu Hà" in about[1] and "display:none" not in about[1]
    assert news[0] == 200 and "display:none" in news[1]  # the injection is on the news page too
    assert sitemap[0] == 200 and "/gioi-thieu.html</loc>" in sitemap[1] and sitemap[1].startswith("<?xml")
    assert robots == (200, sites.ROBOTS)
    assert unknown[0] == 404


def test_visit_counter_changes_between_requests_and_the_page_otherwise_does_not():
    async def scenario(demo):
        return [await get(demo.urls["clean"]) for _ in range(2)]

    (_, first), (_, second) = run(scenario)
    assert first != second
    assert first.replace("1.204.001", "N") == second.replace("1.204.002", "N")


def test_cloaked_site_shows_gambling_only_to_googlebot_and_search_referers():
    async def scenario(demo):
        url = demo.urls["cloaked"]
        return (await get(url), await get(url, {"User-Agent": GOOGLEBOT}),
                await get(url, {"Referer": "https://www.google.com.vn/search?q=thpt+kien+an"}),
                await get(url, {"Referer": "https://coccoc.com/search?query=kien+an"}),
                await get(url, {"Referer": "https://haiphong.edu.vn/"}))

    browser, bot, google, coccoc, local = run(scenario)
    assert "nhà cái" not in browser[1] and "nhà cái" not in local[1]
    for status, body in (bot, google, coccoc):
        assert status == 200 and "Top nhà cái uy tín 2026" in body and 'href="https://taixiu-online.example/"' in body


def test_defaced_home_page_replaces_the_clean_one_after_the_delay():
    async def scenario(demo):
        url = demo.urls["defaced"]
        before = await get(url)
        await asyncio.sleep(0.3)
        return before, await get(url), await get(url + "gioi-thieu.html")

    before, after, about = run(scenario, deface_after=0.2)
    assert "<h1>Trường THPT Ngô Quyền</h1>" in before[1] and "HACKED BY" not in before[1]
    assert "<title>Hacked by Gh0st Cyber Team</title>" in after[1] and "<marquee" in after[1]
    assert "<h1>Trường THPT Ngô Quyền</h1>" in about[1]  # only the home page was replaced
    baseline = extract_features(before[1].encode(), "http://127.0.0.1/")
    assert ("defacement_confirmed", "critical") in findings_of(after[1], "http://127.0.0.1/", baseline)


# --- the verdicts of the real check (lachan.monitoring.checking) -----------------------------------

async def check(url, **options):
    async with guarded_session(allowlist=LOOPBACK) as session:
        return await check_site(session, url, **options)


def kinds(result):
    return {f.kind for f in result.findings}


def test_check_site_verdicts_on_the_demo_sites():
    async def scenario(demo):
        return {key: await check(url, deep=True) for key, url in demo.urls.items()}

    results = run(scenario, deface_after=0)
    assert results["clean"].verdict == "ok" and results["clean"].findings == []
    assert results["defaced"].verdict == "compromised" and "defacement" in kinds(results["defaced"])
    assert results["injected"].verdict == "compromised" and "gambling_injection" in kinds(results["injected"])
    assert results["cloaked"].verdict == "compromised" and "cloaking" in kinds(results["cloaked"])
    assert results["down"].verdict == "down" and results["down"].http_status == 503


def test_cloaking_needs_the_deep_check():
    async def scenario(demo):
        return await check(demo.urls["cloaked"], deep=False)

    result = run(scenario)
    assert result.verdict == "ok" and "cloaking" not in kinds(result)


def test_defacement_against_the_baseline_of_the_first_check():
    async def scenario(demo):
        url = demo.urls["defaced"]
        first = await check(url, deep=False)
        demo.runners[DEMO_SITES.index(sites.SITES_BY_KEY["defaced"])].app[sites.STATE].deface_after = 0
        second = await check(url, deep=False, baselines=first.pages)
        return first, second

    first, second = run(scenario, deface_after=3600)
    assert first.verdict == "ok" and first.pages
    assert second.verdict == "compromised" and "defacement" in kinds(second)


def test_injection_on_a_sub_page_is_found():
    async def scenario(demo):
        return await check(demo.urls["injected"], deep=True, subpages=("/tin-tuc.html", "/gioi-thieu.html"))

    result = run(scenario)
    injected_urls = {f.url for f in result.findings if f.kind == "gambling_injection"}
    assert any(url.endswith("/tin-tuc.html") for url in injected_urls)
    assert not any(url.endswith("/gioi-thieu.html") for url in injected_urls)


# --- demo data ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_load_needs_the_demo_units():
    with pytest.raises(CommandError, match="HP-THPT-CTP.*lachan demo load"):
        call_command("demo_sites", "load")


@pytest.mark.django_db
def test_load_watches_each_demo_site_in_its_school_once(monkeypatch):
    from lachan.monitoring.models import WatchedSite
    from lachan.organizations.services import unit_create

    parent = unit_create(code="HP-SGDDT", name="Sở Giáo dục và Đào tạo", kind="department")
    for site in DEMO_SITES:
        unit_create(code=site.unit, name=site.school, kind="school", parent=parent)
    monkeypatch.setenv(sites.PORT_ENV, "9101")
    call_command("demo_sites", "load")
    call_command("demo_sites", "load")  # idempotent

    watched = WatchedSite.objects.select_related("website__unit").order_by("website__url")
    assert [(w.website.url, w.website.unit.code) for w in watched] == [
        (f"http://127.0.0.1:{9101 + i}/", site.unit) for i, site in enumerate(DEMO_SITES)]
    assert all(w.website.monitored and w.enabled for w in watched)
    assert {(w.interval_seconds, w.deep_every) for w in watched} == {(60, 1)}
    assert watched[0].subpage_list() == ["/gioi-thieu.html", "/tin-tuc.html"]


def test_port_setting_is_checked(monkeypatch):
    monkeypatch.setenv(sites.PORT_ENV, "eighty")
    with pytest.raises(ValueError, match="LACHAN_DEMO_SITES_PORT='eighty' is not a port number"):
        sites.base_port()
    monkeypatch.setenv(sites.PORT_ENV, "8801")
    assert sites.site_urls()["down"] == "http://127.0.0.1:8805/"
