"""Acceptance 2: the real Pingtan pages, 2011 and 2019–2024."""
import pytest

from extract import extract_report
from tests.conftest import pingtan_page

EXPECTED_FORMAT = {2019: "2019", 2020: "2019", 2021: "2021", 2022: "2021", 2023: "2021", 2024: "2021"}


def _values(report):
    for table in ("active_disclosure", "applications", "review_litigation"):
        for group in report[table].values():
            yield from group.values()


@pytest.fixture(scope="module")
def reports():
    return {year: extract_report(str(pingtan_page(year))) for year in [2011, *EXPECTED_FORMAT]}


@pytest.mark.parametrize("year", list(EXPECTED_FORMAT))
def test_report_years_read_completely(reports, year):
    report = reports[year]
    assert report["is_annual_report"] is True
    assert report["year"] == year
    assert report["agency"] == "平潭综合实验区"
    assert report["title"] == f"平潭综合实验区{year}年度政府信息公开工作年度报告"
    assert report["table_format"] == EXPECTED_FORMAT[year]
    assert report["tables_as_images"] is False
    assert None not in list(_values(report))
    assert report["published"].startswith(str(year + 1))


@pytest.mark.parametrize("year", list(EXPECTED_FORMAT))
def test_checks_pass_except_the_2020_results_sum(reports, year):
    failed = {(c["rule"], c["scope"]) for c in reports[year]["checks"] if c["ok"] is not True}
    if year == 2020:
        assert failed == {("applications.results_sum", "natural_person"), ("applications.results_sum", "total")}
    else:
        assert failed == set()


def test_2020_reads_the_wrong_total_as_printed(reports):
    applications = reports[2020]["applications"]
    assert applications["3.7"]["natural_person"] == 20
    results = [applications[c]["natural_person"] for c in applications if c.startswith("3.") and c != "3.7"]
    assert sum(results) == 26
    message = next(c["message"] for c in reports[2020]["checks"]
                   if c["rule"] == "applications.results_sum" and c["scope"] == "natural_person")
    assert "20" in message and "26" in message


def test_2021_values_through_misaligned_header_spans(reports):
    """The 2021 header gives 自然人 and 商业企业 two grid columns each; values still land by row order."""
    report = reports[2021]
    assert report["applications"]["1"] == {
        "natural_person": 64, "commercial_enterprise": 0, "research_institution": 0, "social_welfare_org": 2,
        "legal_service_org": 0, "other_org": 4, "total": 70}
    assert report["active_disclosure"]["fees"] == {"amount": 24252.311082}
    assert report["review_litigation"]["litigation_direct"]["upheld"] == 12


def test_2019_format_fields(reports):
    active = reports[2020]["active_disclosure"]
    assert active["punishment"] == {"last_year_items": 2648, "change": -18, "decisions": 538}
    assert active["fees"] == {"last_year_items": 35, "change": -15}
    assert active["procurement"] == {"items": 395, "amount": 73802895.9}
    assert reports[2020]["applications"]["3.6"]["total"] == 4
    assert "3.6.1" not in reports[2020]["applications"]


def test_2011_is_a_report_without_standard_tables(reports):
    report = reports[2011]
    assert report["is_annual_report"] is True
    assert report["year"] == 2011
    assert report["table_format"] is None
    assert report["applications"] is None and report["active_disclosure"] is None
    assert report["review_litigation"] is None
    assert report["checks"] == [] and report["warnings"] == []


def test_page_metadata_and_body(reports):
    report = reports[2022]
    assert report["published"] == "2023-02-20"
    text = report["text"]
    assert text.startswith("本报告根据《中华人民共和国政府信息公开条例》")
    assert "首页" not in text[:200] and "无障碍浏览" not in text
    assert "本年新收政府信息公开申请数量" in text
