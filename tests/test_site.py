"""Issue 4, the site: metadata, facets, the report page, canned queries, charts, the Atom feed, the
archived originals, read-only; acceptance 3 (a real headless Chromium) and 4 (portal markup shows as text)."""
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest


def _report_id(data: Path, key: str) -> int:
    db = sqlite3.connect(data / "archive.db")
    try:
        return db.execute("SELECT id FROM reports WHERE report_key = ? AND is_latest = 1", (key,)).fetchone()[0]
    finally:
        db.close()


def test_metadata_in_chinese_and_english_and_facets(site):
    meta = site.json("/-/metadata.json")
    assert "年报" in meta["title"] and "nianbao" in meta["title"]
    assert meta["license"] and meta["source"]
    reports = meta["databases"]["archive"]["tables"]["reports"]
    assert reports["columns"]["year"].startswith("报告年度 Year")
    settings = site.json("/-/settings.json")
    assert settings["suggest_facets"] is False and settings["sql_time_limit_ms"] == 3000
    page = site.json("/archive/reports.json?_facet=province&is_latest=1")
    provinces = {f["value"] for f in page["facet_results"]["province"]["results"]}
    assert {"福建省", "江苏省", "湖北省", "广东省", "浙江省", "四川省"} <= provinces
    assert set(page["facet_results"]) >= {"year", "province", "city", "table_format", "checks_failed"}
    assert not {"agency", "failed_rules"} & set(page["facet_results"]), "facets that read every row: on request"
    page = site.json("/archive/reports.json?_facet=agency&_facet_array=failed_rules&is_latest=1")
    rules = {f["value"] for f in page["facet_results"]["failed_rules"]["results"]}
    assert "sources.agree" in rules, "the costlier facets on request"
    assert "示例县人民政府" in {f["value"] for f in page["facet_results"]["agency"]["results"]}


def test_report_page_shows_tables_checks_sources_and_versions(site, demo_archive):
    report_id = _report_id(demo_archive["data"], "示例县人民政府|2024")
    status, page = site.get(f"/report/{report_id}")
    assert status == 200
    for text in ("三、收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量", "自然人", "结果维持",
                 "行政复议", "applications.balance", "sources.agree", "/raw/", "v1", "<svg"):
        assert text in page, text
    sha = page.split("/raw/")[1][:64]
    status, _ = site.get(f"/raw/{sha}")
    assert status == 200


def test_archived_html_is_served_sandboxed(site, demo_archive):
    import urllib.request

    db = sqlite3.connect(demo_archive["data"] / "archive.db")
    sha = db.execute("SELECT sha256 FROM documents WHERE media_type = 'text/html' LIMIT 1").fetchone()[0]
    db.close()
    with urllib.request.urlopen(f"{site.url}/raw/{sha}") as response:
        assert response.headers["Content-Security-Policy"] == "sandbox"
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_canned_queries_charts_and_feed(site, demo_archive):
    disagreeing = site.json("/archive/disagreeing_reports.json?_shape=array")
    assert {r["rule"] for r in disagreeing} >= {"sources.agree"}
    by_year = site.json("/archive/applications_by_year.json?_shape=array")
    assert {r["year"] for r in by_year} >= {2022, 2023, 2024}
    missing = site.json("/archive/agencies_missing_a_year.json?_shape=array")
    assert {"agency": "平潭综合实验区", "missing_year": 2023} in missing
    status, charts = site.get(f"/charts?agency={quote('示例县人民政府')}")
    assert status == 200 and charts.count('class="nianbao-chart"') == 2 and "予以公开" in charts
    status, feed = site.get("/archive/new_reports.atom")
    assert status == 200 and "<feed" in feed and "示例县人民政府2024年政府信息公开工作年度报告" in feed


def test_read_only(site):
    import urllib.error
    import urllib.request

    status, body = site.get("/archive.json?sql=" + quote("DELETE FROM reports"))
    assert status in (400, 403) or "error" in body.lower()
    request = urllib.request.Request(f"{site.url}/archive/reports/-/insert", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request)


def test_portal_markup_is_shown_as_text(site, demo_archive):
    report_id = _report_id(demo_archive["data"], "示例镇人民政府|2022")
    status, page = site.get(f"/report/{report_id}")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "<script>window.pwned" not in page and "onerror=\"window.pwned" not in page
    status, table = site.get(f"/archive/reports/{report_id}")
    assert "<script>window.pwned" not in table


def test_browser_searches_opens_a_report_and_sees_its_tables(site, demo_archive, tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium"
    assert Path(chromium).exists(), "Debian's chromium is installed by `make test`"
    screenshot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(site.url + "/")
        page.click("nav.nb-nav >> text=报告")
        page.fill("form.nb-search input[name=q]", "复议")  # the reports list's search box
        page.press("form.nb-search input[name=q]", "Enter")
        page.wait_for_url("**/reports?q=*")
        assert "份" in page.inner_text("p.nb-summary")
        page.click("table.nb-results a.title >> nth=0")
        page.wait_for_selector("h1.report-title")
        tables = page.locator("table.nb")
        assert tables.count() >= 3
        assert "本年新收政府信息公开申请数量" in page.content()
        page.screenshot(path=str(screenshot), full_page=True)
        hostile = _report_id(demo_archive["data"], "示例镇人民政府|2022")
        for path in (f"/report/{hostile}", f"/archive/reports/{hostile}", f"/archive/reports?_search={quote('pwned')}",
                     f"/reports?q={quote('pwned')}", f"/archive/search?q={quote('pwned')}"):
            page.goto(site.url + path)
            page.wait_for_load_state("load")
            assert page.evaluate("window.pwned") is None, path
            assert "pwned" not in path or "1 row" in page.inner_text("body") or "1</strong> 份" in page.content() \
                or "1 行" in page.inner_text("body")
            assert "pwned" in path or "window.pwned=1" in page.inner_text("body")
        browser.close()
    assert not dialogs
    assert screenshot.stat().st_size > 10_000
