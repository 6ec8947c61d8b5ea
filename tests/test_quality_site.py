"""Issue 6 acceptance 2: a build of the demo portal (crawled, one report corrected on the portal, crawled
again) shows the failures the portal was made with, read over HTTP: a canned query per rule, the agency
page's badges, the quality overview, and the report page's failed checks and what changed."""
import re
from urllib.parse import quote

import pytest

from tests.test_site import _report_id

# What the demo portal was made with (demo/portal.py), latest versions.
EXPECTED = {
    "applications.carry_over": {("示例市交通运输局", 2024)},
    "text.vs_tables": {("示例市交通运输局", 2024)},
    "published.deadline": {("示例市交通运输局", 2023)},
    "text.copied_from_previous_year": {("示例县人民政府", 2024)},
    "report.edited_after_publication": {("示例镇人民政府", 2023)},
    "tables.missing": {("示例县人民政府", 2022)},
    "tables.blank_cells": {("示例区教育局", 2022)},
    "format.matches_year": set(),
    "sources.agree": {("示例区教育局", 2023)},
    "applications.balance": set(),
}


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_a_canned_query_per_rule_lists_the_reports_failing_it(site, rule):
    rows = site.json(f"/archive/failing_{rule.replace('.', '_')}.json?_shape=array")
    assert {(r["agency"], r["year"]) for r in rows} == EXPECTED[rule]
    assert all(r["message"] for r in rows)


def test_messages_say_what_is_wrong(site):
    def messages(rule):
        return [r["message"] for r in site.json(f"/archive/failing_{rule.replace('.', '_')}.json?_shape=array")]

    assert "due 2024-01-31, 26 days late" in messages("published.deadline")[0]
    assert re.search(r"the text says 「共收到政府信息公开申请\d+件」 but the table has row 1", messages("text.vs_tables")[0])
    assert any(m.startswith("2024 row 2 (上年结转)") for m in messages("applications.carry_over"))
    assert messages("tables.missing") == ["missing: 主动公开 (table 2), 依申请公开 (table 3), 行政复议、行政诉讼 (table 4)"]


def test_agency_page_shows_its_years_side_by_side_with_badges(site):
    status, page = site.get("/agency/" + quote("示例市交通运输局"))
    assert status == 200
    years = re.findall(r'<th><a href="/report/\d+">(\d{4})</a></th>', page)
    assert years == ["2023", "2024"]
    assert "本年新收申请 applications received" in page

    def badges(rule):
        return re.findall(rf'<td class="badge (\w+)" title="[^"]*" data-rule="{re.escape(rule)}">', page)

    assert badges("published.deadline") == ["failed", "passed"]
    assert badges("applications.carry_over") == ["none", "failed"], "2023 has no year before it archived"
    assert badges("text.vs_tables") == ["none", "failed"]
    assert badges("applications.balance") == ["passed", "passed"]
    status, _ = site.get("/agency/" + quote("没有这个机关"))
    assert status == 404


def test_quality_overview_by_year_and_province(site):
    status, page = site.get("/quality")
    assert status == 200 and "按年度 By year" in page and "按省份 By province" in page
    year_table = page.split('class="nb quality-year"')[1].split("</table>")[0]
    row = year_table.split('按时发布</a> <code class="code">published.deadline</code>')[1].split("</tr>")[0]
    columns = re.findall(r"<th>(\d{4})</th>", year_table)
    cells = re.findall(r'<td class="v[^"]*">(\d+)% \((\d+)/(\d+)\)</td>|<td></td>', row)
    by_year = dict(zip(columns, cells))
    assert by_year["2023"][1:] == ("6", "7"), "7 reports for 2023 with a date, one late"
    assert 'href="/archive/failing_published_deadline"' in page
    assert "广东省" in page.split('class="nb quality-province"')[1]


def test_report_page_lists_failed_checks_and_what_changed(site, demo_archive):
    report_id = _report_id(demo_archive["data"], "示例镇人民政府|2023")
    status, page = site.get(f"/report/{report_id}")
    assert status == 200
    failed = page.split('class="checks failed-checks"')[1].split("</ul>")[0]
    assert "report.edited_after_publication" in failed and "changed after publication" in failed
    changes = page.split('id="changes"')[1].split("<h2>")[0]
    assert "What changed since version 1" in changes
    assert "<ins>+ 本报告发布后，对上年结转数据进行了更正。</ins>" in changes
    assert re.search(r'<td data-code="applications">依申请公开（表三）</td><td data-code="2">二、上年结转政府信息公开申请数量</td>'
                     r'<td data-code="natural_person">自然人</td><td class="v">0</td><td class="v">1</td>', changes)
    status, agency = site.get("/agency/" + quote("示例镇人民政府"))
    assert status == 200 and f'href="/report/{report_id}"' in agency
