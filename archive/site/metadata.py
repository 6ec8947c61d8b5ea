"""The site's Datasette metadata: titles and descriptions in Chinese and English, column descriptions,
facets, the search configuration and the canned queries."""
from __future__ import annotations

from archive import search

LICENSE = ("Reports: public government information (政府信息公开条例); archive: CC BY 4.0",
           "https://creativecommons.org/licenses/by/4.0/")

COLUMNS = {
    "reports": {
        "report_key": "报告键：机关|年度（跨版本不变） Stable key across versions: agency|year, or the page URL",
        "version": "版本号 Version: a new one each time the report's content changed on its portal",
        "is_latest": "是否最新版本 1 for the newest version", "url": "原网页 Source page on the portal",
        "agency": "发布机关 Agency", "province": "省 Province", "city": "市 City", "county": "区县 County",
        "year": "报告年度 Year the report covers (a 2024 report is published in 2025)",
        "title": "标题 Title", "published": "发布日期 Publication date given by the page",
        "table_format": "统计表格式 2021 (国办公开办函〔2021〕30号) or 2019 (〔2019〕60号); empty: no standard tables",
        "tables_as_images": "统计表为图片 1 when the tables were published as pictures (read by OCR)",
        "source_sha256": "表格来源文件 sha256 of the document the tables were read from",
        "attachment_sha256s": "其他文件 sha256s of the report's other files (JSON)",
        "checks_failed": "未通过的检查数 Number of failed checks",
        "failed_rules": "未通过的规则 Rules that failed (JSON array; facet on it)", "first_seen": "首次抓取 First crawled",
        "last_seen": "最近抓取 Last seen on the portal", "on_portal": "仍在原网站 0 when its portal no longer lists it",
        "site": "网站 Site in the registry", "search_id": "检索键 The report's place in the ranked search: latest versions 1, 2, … newest year first; older versions negative", "warnings": "提取提示 Extraction warnings (JSON)",
        "text": "全文 Full text (shown as text)",
    },
    "applications": {"row_code": "行号 Row of table 3 (1, 2, 3.1 … 3.7, 4)", "row_label": "行名 Row label as printed",
                     "applicant": "申请人类型 Applicant column", "value": "件数 Count; empty: not given"},
    "active_disclosure": {"item": "事项 Item", "measure": "指标 Measure", "value": "数值 Value (万元 for fees)"},
    "review_litigation": {"kind": "类型 review / litigation_direct / litigation_after_review",
                          "outcome": "结果 upheld / corrected / other / pending / total", "value": "件数 Count"},
    "checks": {"rule": "规则 Rule", "scope": "范围 Column, row or source checked", "ok": "通过 1 passed, 0 failed, empty: not checkable",
               "message": "说明 What was compared"},
}

QUERIES = {
    "search": {
        "title": "全文检索 Full-text search (ranked)",
        "description": ("任意中文字词，一个字起；多个词须同时出现。只查最新版本；标题含检索词的报告在前，其次按年度从新到旧。"
                        " Any Chinese substring, one character and up; several words must all occur. Latest versions; "
                        "reports naming the words in their title first, then the newest years."),
        "sql": search.ranked_sql("r.id AS report, r.title, r.agency, r.year, nianbao_snippet(r.text, :q) AS snippet"),
    },
    "disagreeing_reports": {
        "title": "数字不符的报告 Reports whose numbers disagree",
        "description": "至少一项检查未通过的报告（最新版本）及未通过的内容。 Latest reports with at least one failed check, "
                       "and what failed.",
        "sql": ("SELECT r.id AS report, r.agency, r.year, r.title, c.rule, c.scope, c.message\n"
                "FROM checks c JOIN reports r ON r.id = c.report_id\n"
                "WHERE c.ok = 0 AND r.is_latest = 1 ORDER BY r.year DESC, r.agency, c.rule, c.scope"),
    },
    "applications_by_year": {
        "title": "历年申请与办理结果 Applications by year and outcome",
        "description": "各年度全部报告（最新版本）“总计”列之和，按行。 Sum of the 总计 column over the latest version of "
                       "every report, per year and row; reports: how many reports gave the row.",
        "sql": ("SELECT r.year, a.row_code, a.row_label, SUM(a.value) AS total, COUNT(a.value) AS reports\n"
                "FROM applications a JOIN reports r ON r.id = a.report_id\n"
                "WHERE r.is_latest = 1 AND a.applicant = 'total' GROUP BY r.year, a.row_code\n"
                "ORDER BY r.year, CAST(a.row_code AS REAL), a.row_code"),
    },
    "agencies_missing_a_year": {
        "title": "缺少年度报告的机关 Agencies missing a year",
        "description": "从机关最早归档的年度到档案中最新的年度之间，没有报告的年度。 Years between an agency's first "
                       "archived report and the latest year in the archive with no report.",
        "sql": ("WITH RECURSIVE span AS (\n"
                "  SELECT agency, MIN(year) AS year, (SELECT MAX(year) FROM reports) AS last FROM reports\n"
                "  WHERE agency IS NOT NULL AND year IS NOT NULL GROUP BY agency\n"
                "  UNION ALL SELECT agency, year + 1, last FROM span WHERE year < last)\n"
                "SELECT span.agency, span.year AS missing_year FROM span\n"
                "WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.agency = span.agency AND r.year = span.year)\n"
                "ORDER BY span.agency, span.year"),
    },
    "new_reports": {
        "title": "新归档的报告 Newly archived reports",
        "description": "最新归档的在前；地址加 .atom 即为订阅源。 Newest first; add .atom to the address for a feed.",
        "sql": ("SELECT 'nianbao:report:' || id AS atom_id, first_seen AS atom_updated, title AS atom_title,\n"
                "'/report/' || id AS atom_link, agency || ' ' || year || '年度，' || checks_failed || ' 项检查未通过' AS atom_content\n"
                "FROM reports ORDER BY first_seen DESC, id DESC LIMIT 100"),
    },
}
for _query in QUERIES.values():
    _query["hide_sql"] = True


def failing_queries() -> dict:
    """A canned query per rule: the latest reports failing it, with what failed."""
    from archive.site.glossary import RULES, failing_query

    return {failing_query(name): {
        "title": f"未通过“{rule.zh}”的报告 Failing {name}",
        "description": f"{rule.meaning_zh}。 Latest reports failing {name}: {rule.meaning}.",
        "hide_sql": True,
        "sql": ("SELECT r.id AS report, r.agency, r.province, r.year, c.scope, c.message\n"
                "FROM checks c JOIN reports r ON r.id = c.report_id\n"
                f"WHERE c.rule = '{name}' AND c.ok = 0 AND r.is_latest = 1\n"
                "ORDER BY r.year DESC, r.agency, c.scope"),
    } for name, rule in RULES.items()}


def metadata() -> dict:
    """No path of this machine goes in here: /-/metadata.json shows it to everyone (the plugin finds the raw
    store beside the archive's file)."""
    return {
        "title": "年报档案 nianbao: 政府信息公开工作年度报告",
        "description": ("政府信息公开工作年度报告档案：原文、统计表数字与检查。 An archive of China's government information "
                        "disclosure annual reports: the originals, their statistics tables as numbers, and checks."),
        "license": LICENSE[0], "license_url": LICENSE[1],
        "source": "Government portals' 政府信息公开年报 columns, crawled by nianbao",
        "source_url": "https://github.com/nianbao/nianbao",
        "plugins": {"datasette-atom": {"allow_unsafe_html_in_canned_queries": False}},
        "databases": {"archive": {
            "title": "年报档案 Archive",
            "description": "档案的数据表（见 docs/data-model.md）：报告、三张统计表、检查，以及抓取记录。 "
                           "The archive's tables: reports, the three statistics tables, checks, and the crawl's records.",
            "queries": {**QUERIES, **failing_queries()},
            "tables": {
                "reports": {
                    "title": "报告 Reports (every version)",
                    "description": "每个版本一行；is_latest = 1 为当前版本。按机关或未通过的检查分面：加 ?_facet=agency 或 "
                                   "?_facet_array=failed_rules。 One row per version of an annual report; is_latest = 1 "
                                   "for the current one. Facet by agency or failed check with ?_facet=agency or "
                                   "?_facet_array=failed_rules.",
                    "fts_table": "reports_fts", "fts_pk": "search_id", "label_column": "title",
                    # the facets every page computes are those the search key's covering index holds (archive/
                    # build.py): on a search matching most of a big archive the others read every matching row
                    "facets": ["year", "province", "city", "table_format", "checks_failed"],
                    "columns": COLUMNS["reports"],
                },
                "applications": {"title": "依申请公开 Applications (table 3)", "facets": ["row_code", "applicant"],
                                 "columns": COLUMNS["applications"]},
                "active_disclosure": {"title": "主动公开 Active disclosure (table 2)", "facets": ["item", "measure"],
                                      "columns": COLUMNS["active_disclosure"]},
                "review_litigation": {"title": "行政复议、行政诉讼 Review and litigation (table 4)",
                                      "facets": ["kind", "outcome"], "columns": COLUMNS["review_litigation"]},
                "checks": {"title": "检查 Checks", "facets": ["rule", "ok"], "columns": COLUMNS["checks"]},
                "report_files": {"title": "报告文件 Files of each report"},
                "sites": {"title": "网站 Sites", "facets": ["status", "cms"]},
                "fetches": {"title": "抓取记录 Fetch log", "facets": ["status", "site", "kind"]},
                "documents": {"title": "原始文件 Distinct files kept (by sha256)", "facets": ["media_type"]},
                "crawl_runs": {"title": "抓取运行 Crawl runs"},
                "crawl_run_sites": {
                    "title": "各站抓取结果 Crawl runs per site",
                    "description": "每次抓取、每个网站一行：发现、新增、修改、失败（无法抓取或读取的页面和文件）的数量与状态。 "
                                   "Per run and site: reports found, new, changed, failed (pages or files that "
                                   "could not be fetched or read) and the status (ok, blocked, unreachable).",
                    "facets": ["status", "site"], "sort_desc": "run_id"},
                **{name: {"hidden": True} for name in search.FTS_TABLES}, "_build": {"hidden": True},
            },
        }},
    }
