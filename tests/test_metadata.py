"""Titles, agencies, report years, dates and the report classifier on the ways titles are written."""
import pytest

from extract.metadata import (agency_from_signature, agency_from_title, clean_title, is_annual_report, parse_date,
                              report_year, signature_date, title_from_text)


@pytest.mark.parametrize("title, agency, year", [
    ("卫东区卫生健康委员会 2024 年政府信息公开工作年度报告", "卫东区卫生健康委员会", 2024),
    ("平潭综合实验区2019年度政府信息公开工作年度报告", "平潭综合实验区", 2019),
    ("2023年度北京市卫生健康委员会政府信息公开工作年度报告", "北京市卫生健康委员会", 2023),
    ("淮安市人民政府关于2024年政府信息公开工作年度报告", "淮安市人民政府", 2024),
    ("某某县人民政府二〇二二年政府信息公开工作年度报告", "某某县人民政府", 2022),
    ("某某市教育局政府信息公开工作年度报告（2021年度）", "某某市教育局", 2021),
])
def test_agency_and_year_from_title(title, agency, year):
    assert agency_from_title(clean_title(title)) == agency
    assert report_year(clean_title(title), "") == year


@pytest.mark.parametrize("title, expected", [
    ("平潭综合实验区2024年度政府信息公开工作年度报告", True),
    ("某某市政府信息公开年报（2023年）", True),
    ("某某市卫生健康委员会政府信息公开指南", False),
    ("某某市卫生健康委员会2024年部门预算", False),
    ("2024年政务公开工作要点", False),
    ("某某市2023年政府信息公开工作年度报表", False),
])
def test_report_classifier(title, expected):
    assert is_annual_report(title, "") is expected


def test_year_is_the_covered_year_not_the_publication_year():
    text = "本报告所列数据的统计期限自2019年1月1日起至2019年12月31日止。\n2020年1月20日"
    assert report_year(None, text) == 2019


def test_title_split_over_lines_and_signature():
    text = "北京市大兴区卫生健康委员会\n\n2024年政府信息公开工作年度报告\n一、总体情况\n……\n  北京市大兴区卫生健康委员会  \n2025年1月20日"
    assert title_from_text(text) == "北京市大兴区卫生健康委员会2024年政府信息公开工作年度报告"
    assert agency_from_signature(text) == "北京市大兴区卫生健康委员会"
    assert signature_date(text) == "2025-01-20"
    assert signature_date("……\n二〇二五年一月二十日") == "2025-01-20"


def test_dates():
    assert parse_date("2022-02-08 16:34") == "2022-02-08"
    assert parse_date("2025年3月10日") == "2025-03-10"
    assert parse_date("发布时间：2025/1/9") == "2025-01-09"
    assert parse_date("2025-13-40") is None


def test_title_is_never_a_stray_word_or_markup():
    from extract.metadata import agency_from_title, clean_title, title_from_text

    assert title_from_text("正文\n示例县人民政府2023年政府信息公开工作年度报告\n一、总体情况") == \
        "示例县人民政府2023年政府信息公开工作年度报告"
    assert title_from_text("打印 关闭\n2024-01-20\n示例县人民政府2023年政府信息公开工作年度报告") == \
        "示例县人民政府2023年政府信息公开工作年度报告"
    assert title_from_text("示例市卫生健康委员会\n2023年政府信息公开工作年度报告") == \
        "示例市卫生健康委员会2023年政府信息公开工作年度报告"
    assert clean_title("# 示例县人民政府2023年政府信息公开工作年度报告") == "示例县人民政府2023年政府信息公开工作年度报告"
    assert clean_title("**示例县人民政府2023年政府信息公开工作年度报告**") == "示例县人民政府2023年政府信息公开工作年度报告"
    assert agency_from_title(clean_title("## 示例县人民政府2023年政府信息公开工作年度报告")) == "示例县人民政府"
