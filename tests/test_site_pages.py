"""Issue 13 §3 and §4, read over HTTP from the demo archive's site: the home page, the reports list and its
ranked search, Chinese first from one glossary fed by one rule registry, canned queries without their SQL,
charts with axes and values, the crawl summary, and the site's frame on every page, Datasette's included."""
import html
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from archive import checks
from archive.site import glossary
from archive.site.metadata import QUERIES, failing_queries
from archive.site.plugin import NAV


def _rows(data: Path, sql: str, *args) -> list:
    db = sqlite3.connect(Path(data) / "archive.db")
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def _text(page: str) -> str:
    """What a reader sees: tags and scripts dropped, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- home -----------------------------------------------------------------------------------------

def test_home_says_what_this_is_and_leads_to_everything(site, demo_archive):
    status, page = site.get("/")
    assert status == 200
    assert "政府信息公开工作年度报告" in page.split("</h1>")[0]
    assert re.search(r'<form class="nb-search" action="/reports" method="get" role="search">.*?name="q"', page, re.S)
    reports, agencies, provinces, years = _rows(demo_archive["data"], "SELECT COUNT(*), COUNT(DISTINCT agency),"
                                                " COUNT(DISTINCT province), COUNT(DISTINCT year) FROM reports"
                                                " WHERE is_latest = 1")[0]
    for count, word in ((reports, "份报告"), (agencies, "个机关"), (provinces, "个省份"), (years, "个年度")):
        assert f"<strong>{count}</strong> {word}" in page, word
    newest = re.findall(r'<a class="title" href="/report/(\d+)">', page)
    latest = {i for (i,) in _rows(demo_archive["data"], "SELECT id FROM reports WHERE is_latest = 1")}
    assert newest and set(map(int, newest)) <= latest
    for (province,) in _rows(demo_archive["data"], "SELECT DISTINCT province FROM reports WHERE province IS NOT NULL"):
        assert f'href="/reports?province={quote(province)}"' in page
    for (year,) in _rows(demo_archive["data"], "SELECT DISTINCT year FROM reports WHERE year IS NOT NULL"):
        assert f'href="/reports?year={year}"' in page
    failing = page.split("最常未通过的检查")[1].split("</section>")[0]
    assert 'href="/archive/failing_published_deadline">按时发布</a>' in failing


# --- reports list and search ---------------------------------------------------------------------

def test_reports_list_shows_the_columns_a_reader_needs_and_nothing_else(site, demo_archive):
    status, page = site.get("/reports")
    assert status == 200
    table = page.split('<table class="nb nb-results">')[1].split("</table>")[0]
    heads = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert heads == ["标题 Title", "机关 Agency", "地区 Region", "年度 Year", "发布日期 Published",
                     "未通过的检查 Failed checks"]
    latest = _rows(demo_archive["data"], "SELECT id, title, text, source_sha256 FROM reports WHERE is_latest = 1")
    linked = re.findall(r'<a class="title" href="/report/(\d+)">([^<]+)</a>', table)
    assert {(int(i), html.unescape(t)) for i, t in linked} == {(i, title) for i, title, _, _ in latest}
    assert not re.search(r"[0-9a-f]{64}", table), "no hashes"
    assert '["' not in table and "[]" not in table, "no JSON"
    for _, title, text, _ in latest:
        longest = max((line.strip() for line in (text or "").splitlines()), key=len, default="")
        if len(longest) > 40 and longest not in title:
            assert html.escape(longest[:40]) not in table, "no report text without a search"
    assert "上年结转衔接" in table, "failed rules by their Chinese names"


@pytest.mark.parametrize("query", ["健康委", "复议", "政府信息公开工作年度报告"])
def test_search_results_are_ranked_marked_and_linked(site, demo_archive, query):
    status, page = site.get("/reports?q=" + quote(query))
    assert status == 200
    expected = {i for (i,) in _rows(demo_archive["data"], "SELECT id FROM reports WHERE is_latest = 1"
                                    " AND (instr(title, ?) OR instr(text, ?))", query, query)}
    rows = re.findall(r'<a class="title" href="/report/(\d+)">([^<]*)</a>(?:<p class="snippet">(.*?)</p>)?', page)
    assert {int(i) for i, _, _ in rows} == expected
    in_title = [query in html.unescape(title) for _, title, _ in rows]
    assert in_title == sorted(in_title, reverse=True), "title matches first"
    assert all(f"<mark>{query}</mark>" in snippet for _, title, snippet in rows if query not in html.unescape(title))
    assert f"{len(expected)}</strong> 份" in page


def test_filters_narrow_the_list_and_facets_count_it(site, demo_archive):
    status, page = site.get("/reports?province=" + quote("广东省"))
    ids = {int(i) for i in re.findall(r'<a class="title" href="/report/(\d+)">', page)}
    assert ids == {i for (i,) in _rows(demo_archive["data"], "SELECT id FROM reports WHERE is_latest = 1"
                                       " AND province = '广东省'")}
    assert "省份：广东省 ✕" in html.unescape(page)
    status, page = site.get("/reports?rule=published.deadline")
    agencies = set(re.findall(r'<td data-label="机关"><a href="[^"]+">([^<]+)</a>', page))
    assert agencies == {"示例市交通运输局"}
    status, page = site.get("/reports")
    facets = page.split('<aside class="nb-facets"')[1].split("</aside>")[0]
    for title in ("省份 Province", "年度 Year", "未通过的规则 Failed rule"):
        assert title in facets
    assert re.search(r'<a href="/reports\?rule=published.deadline">按时发布</a> <span class="n">1</span>', facets)


# --- one registry, one glossary, Chinese first ---------------------------------------------------

def test_one_rule_registry_drives_the_checks_the_glossary_and_the_queries(monkeypatch):
    checked = {name for name, rule in checks.REGISTRY.items() if rule.check}
    assert set(checks.RULES) == checked and set(checks.WITHIN_REPORT) == set(checks.REGISTRY) - checked
    assert list(glossary.RULES) and set(glossary.RULES) == set(checks.REGISTRY)
    assert all(rule.zh and rule.meaning_zh and rule.meaning for rule in checks.REGISTRY.values())
    assert set(failing_queries()) == {glossary.failing_query(name) for name in checks.REGISTRY}
    # A rule is added by registering it, nowhere else: apply() runs it with what it asks for.
    monkeypatch.setattr(checks, "REGISTRY", dict(checks.REGISTRY))
    seen = []

    @checks.rule("test.extra", "测试规则", "测试", "a test")
    def extra(report, previous):
        seen.append((report["id"], previous and previous["id"]))
        return [{"rule": "test.extra", "scope": "x", "ok": True, "message": "ok"}]

    with pytest.raises(ValueError):
        checks.rule("test.extra", "重复", "重复", "twice")(extra)
    reports = [{"id": i, "agency": "某局", "year": year, "is_latest": True, "report_key": f"某局|{year}", "version": 1,
                "checks": [], "tables": {}, "text": "", "published": None, "table_format": None,
                "first_seen": "2025-01-01"} for i, year in ((1, 2023), (2, 2024))]
    checks.apply(reports)
    assert seen == [(1, None), (2, 1)]
    assert all(any(c["rule"] == "test.extra" for c in r["checks"]) for r in reports)


def test_every_rule_the_extractor_and_the_merge_give_is_registered(demo_archive):
    """A rule missing from the registry would have no Chinese name and no row on the quality page."""
    from extract.schema import equations
    from extract.schema import ROW_CODES

    emitted = {eq.rule for fmt in ROW_CODES for eq in equations(fmt, applications_rows=ROW_CODES[fmt], review=True)}
    stored = {rule for (rule,) in _rows(demo_archive["data"], "SELECT DISTINCT rule FROM checks")}
    assert emitted | stored <= set(checks.REGISTRY), (emitted | stored) - set(checks.REGISTRY)


def _chinese_before(page: str, code: str) -> bool:
    """Every time the rule's code is shown, its Chinese name comes just before it."""
    name = glossary.rule_zh(code)
    shown = [m.start() for m in re.finditer(rf"<code class=\"code\">{re.escape(code)}</code>", page)]
    return bool(shown) and all(name in page[max(0, at - 200):at] for at in shown)


def test_rules_applicants_and_messages_are_named_in_chinese_first(site, demo_archive):
    report_id = _rows(demo_archive["data"], "SELECT id FROM reports WHERE report_key = '示例市交通运输局|2024'"
                                            " AND is_latest = 1")[0][0]
    status, report = site.get(f"/report/{report_id}")
    rules = {rule for (rule,) in _rows(demo_archive["data"], "SELECT DISTINCT rule FROM checks WHERE report_id = ?",
                                       report_id)}
    for rule in rules:
        assert _chinese_before(report, rule), rule
    assert "说明：" in report and "范围 自然人" in _text(report) or "范围 总计" in _text(report)
    for name in ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构"):
        assert name in report
    status, agency = site.get("/agency/" + quote("示例市交通运输局"))
    status, quality = site.get("/quality")
    for page in (agency, quality):
        shown = set(re.findall(r'<code class="code">([a-z_]+\.[a-z_.]+)</code>', page))
        assert shown and all(_chinese_before(page, code) for code in shown)
    explanation = quality.split("</h1>")[1].split("</p>")[0]
    assert re.match(r"\s*<p>[\u4e00-\u9fff]", explanation), "the page explains itself in Chinese first"
    status, about = site.get("/about")
    for name, rule in checks.REGISTRY.items():
        assert f'<dt id="rule-{name}">{rule.zh} <code class="code">{name}</code></dt>' in about
        assert html.escape(rule.meaning_zh) in about


# --- canned queries and search without SQL -------------------------------------------------------

CANNED = {"search": "?q=" + quote("复议"), **{name: "" for name in QUERIES if name != "search"},
          **{name: "" for name in failing_queries()}}


@pytest.mark.parametrize("name", sorted(CANNED))
def test_canned_queries_hide_their_sql_and_name_their_columns(site, name):
    status, page = site.get(f"/archive/{name}{CANNED[name]}")
    assert status == 200
    seen = _text(page)
    sql = {**QUERIES, **failing_queries()}[name]["sql"]
    for line in sql.splitlines():
        assert line.strip()[:30] not in seen, line
    assert not re.search(r"\bSELECT\b|\bFROM\s+\w+\s+\w+\s+JOIN\b", seen), "no SQL text on the page"
    assert "Custom SQL query" not in page
    assert page.count('class="nb-nav"') == 1
    heads = re.findall(r'<th class="col-[^"]+" scope="col">([^<]+)', page)
    assert all(re.match(r"[\u4e00-\u9fff]", head) for head in heads), heads
    title = page.split("<title>")[1].split("</title>")[0]
    assert "SELECT" not in title.upper()


def test_ranked_search_page_links_titles_to_reports(site):
    status, page = site.get("/archive/search?q=" + quote("健康委"))
    cells = re.findall(r'<td class="col-title"><a href="/report/(\d+)">', page)
    assert cells and len(cells) == len(re.findall(r'<td class="col-title">', page))
    assert "<mark>健康委</mark>" in page


# --- charts --------------------------------------------------------------------------------------

def test_charts_have_axes_values_and_a_legend(site, demo_archive):
    status, page = site.get("/charts")
    svgs = re.findall(r'<svg [^>]*class="nianbao-chart".*?</svg>', page, re.S)
    assert len(svgs) == 2
    totals = dict(_rows(demo_archive["data"], "SELECT r.year, SUM(a.value) FROM applications a JOIN reports r"
                                              " ON r.id = a.report_id WHERE r.is_latest AND a.applicant = 'total'"
                                              " AND a.row_code = '1' GROUP BY r.year"))
    received = svgs[0]
    assert "件 applications" in received and "报告年度 Report year" in received, "the axes say what they count"
    ticks = re.findall(r'text-anchor="end">([\d,]+)</text>', received)
    assert len(ticks) >= 3 and ticks[0] == "0"
    for year, total in totals.items():
        assert f">{year}</text>" in received and f'class="total">{total:,.0f}</text>' in received
    legend = page.split('<ul class="legend">')[2].split("</ul>")[0]
    for name in ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"):
        assert name in legend
    assert "数据表 The numbers" in page
    assert "各年度包含的机关不同" in page, "the demo's years cover different agencies"
    status, one = site.get("/charts?agency=" + quote("示例市交通运输局"))
    assert "各年度包含的机关不同" not in one and one.count('class="nianbao-chart"') == 2


# --- the frame on every page ---------------------------------------------------------------------

FRAMED = ["/", "/reports", "/reports?q=" + quote("复议"), "/report/1", "/agency/" + quote("示例县人民政府"), "/quality",
          "/charts", "/crawl", "/about", "/archive", "/archive/reports", "/archive/reports/1", "/archive/checks",
          "/archive/search?q=" + quote("复议"), "/archive/disagreeing_reports", "/archive?sql=" + quote("select 1"),
          "/archive/crawl_run_sites", "/-/metadata", "/no/such/page", "/report/123456789"]


def test_every_page_has_the_navigation_and_every_link_answers(site):
    hrefs = set()
    for path in FRAMED:
        status, page = site.get(path)
        assert status in (200, 404), path
        nav = page.split('<nav class="nb-nav"')[1].split("</nav>")[0]
        links = re.findall(r'<a href="([^"]+)"', nav)
        assert links == [href for href, _, _ in NAV], path
        assert "首页" in nav and "抓取" in nav
        hrefs.update(links)
        hrefs.update(re.findall(r'<footer class="ft">.*?</footer>', page, re.S) and
                     re.findall(r'href="(/[^"]*)"', page.split('<footer class="ft">')[1]))
    for href in sorted(hrefs):
        status, _ = site.get(html.unescape(href))
        assert status == 200, href


def test_the_404_page_is_in_the_frame_and_in_chinese(site):
    status, page = site.get("/no/such/page")
    assert status == 404
    assert "<h1>找不到这个页面 Page not found</h1>" in page and 'action="/reports"' in page


def test_crawl_summary_lists_each_site_of_the_latest_run(site, demo_archive):
    status, page = site.get("/crawl")
    assert status == 200
    table = page.split('<table class="nb crawl-sites">')[1].split("</table>")[0]
    expected = _rows(demo_archive["data"], "SELECT site, status FROM crawl_run_sites WHERE run_id ="
                                           " (SELECT MAX(run_id) FROM crawl_run_sites)")
    for name, state in expected:
        assert f"<td>{name}</td>" in table and glossary.CRAWL_STATUS.get(state, state) in table
    assert "被拦截" in table, "the demo's walled sites"
    runs = page.split('<table class="nb crawl-runs">')[1]
    assert len(re.findall(r'href="/archive/crawl_run_sites\?run_id=\d+"', runs)) == _rows(
        demo_archive["data"], "SELECT COUNT(*) FROM crawl_runs")[0][0]


def test_agency_names_link_with_their_slashes_escaped():
    from archive.site.pages import agency_url

    assert agency_url("甲/乙局") == "/agency/" + quote("甲/乙局", safe="")
    assert unquote(agency_url("甲/乙局").split("/agency/")[1]) == "甲/乙局"
