"""The site's one glossary: every code the archive stores (rules, applicant columns, table rows, check scopes,
column names, crawl statuses) with the Chinese name a reader sees first and the English kept beside it.
Every page, canned query title and cell rendering takes its names from here; the rules themselves come
from their one registry (archive/checks.py)."""
from __future__ import annotations

from archive.checks import REGISTRY
from extract.schema import ROW_LABELS

# Rules in the order a reader meets them: a report's own arithmetic, its sources, then the checks across
# reports. Each: {name, zh, meaning_zh, meaning, source}.
SOURCES = {"extract": "报告自身的表内运算", "merge": "网页与附件对照", "archive": "跨报告、正文、日期与格式"}
RULES = {r.name: r for source in SOURCES for r in REGISTRY.values() if r.source == source}

APPLICANT_NAMES = {"natural_person": "自然人", "commercial_enterprise": "商业企业", "research_institution": "科研机构",
                   "social_welfare_org": "社会公益组织", "legal_service_org": "法律服务机构", "other_org": "其他",
                   "total": "总计"}
KIND_NAMES = {"review": "行政复议", "litigation_direct": "行政诉讼·未经复议直接起诉",
              "litigation_after_review": "行政诉讼·复议后起诉"}
OUTCOME_NAMES = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}
ITEMS = {"regulations": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
         "other_services": "其他对外管理服务事项", "punishment": "行政处罚", "enforcement": "行政强制",
         "fees": "行政事业性收费", "procurement": "政府集中采购"}
MEASURES = {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
            "decisions": "本年处理决定数量", "amount": "本年收费金额（万元）", "new_made": "本年新制作数量",
            "new_published": "本年新公开数量", "total_published": "对外公开总数量", "last_year_items": "上一年项目数量",
            "change": "本年增/减", "items": "采购项目数量"}
TABLES = {"active_disclosure": "主动公开（表二）", "applications": "依申请公开（表三）",
          "review_litigation": "行政复议、行政诉讼（表四）"}
# What a check's scope names, besides applicant columns, row codes and review kinds.
SCOPES = {"received": "本年新收申请", "carried_over": "上年结转", "carried_forward": "结转下年度",
          "review": "行政复议", "litigation": "行政诉讼", "fees": "行政事业性收费", "date": "发布日期",
          "format": "统计表格式", "content": "正文与统计表", "cells": "单元格", "tables": "统计表", "text": "正文",
          "all": "全部"}
FORMATS = {"2021": "2021年新版格式", "2019": "2019年格式"}
CRAWL_STATUS = {"ok": "正常", "blocked": "被拦截", "unreachable": "无法访问", "failed": "失败", "running": "进行中"}

# Column names of the site's tables and canned queries: Chinese first, the code kept.
COLUMNS = {
    "id": "编号", "report": "报告", "title": "标题", "agency": "机关", "province": "省份", "city": "市", "county": "区县",
    "region": "地区", "year": "年度", "published": "发布日期", "snippet": "摘录", "rule": "规则", "scope": "范围",
    "message": "说明", "ok": "通过", "row_code": "行号", "row_label": "行名", "total": "合计", "reports": "报告数",
    "missing_year": "缺少的年度", "checks_failed": "未通过检查数", "failed_rules": "未通过的规则",
    "table_format": "统计表格式", "first_seen": "首次归档", "last_seen": "最近抓取", "site": "网站",
    "status": "状态", "detail": "说明", "dialect": "网站系统", "pages": "响应数", "found": "发现报告", "new": "新报告",
    "changed": "有修改", "failed": "失败", "skipped": "跳过", "run_id": "抓取批次", "applicant": "申请人类型",
    "value": "数值", "kind": "类型", "outcome": "结果", "item": "事项", "measure": "指标",
    "atom_id": "条目编号", "atom_updated": "归档时间", "atom_title": "标题", "atom_link": "链接", "atom_content": "内容",
}


def rule_zh(code: str | None) -> str:
    """The rule's Chinese name; an unknown code as it is."""
    found = RULES.get(code or "")
    return found.zh if found else (code or "")


def rule_meaning(code: str | None) -> str:
    found = RULES.get(code or "")
    return f"{found.meaning_zh} — {found.meaning}" if found else ""


def scope_zh(scope: str | None) -> str:
    """A check's scope in Chinese: an applicant column, a row of table 3, a review group, a quantity the
    prose states; a file name or anything else as it is."""
    if scope is None:
        return ""
    for names in (APPLICANT_NAMES, KIND_NAMES, SCOPES):
        if scope in names:
            return names[scope]
    if scope in ROW_LABELS:
        return f"第{scope}行 {ROW_LABELS[scope]}"
    return scope


def column_zh(column: str) -> str:
    return COLUMNS.get(column, column)


def value_zh(table: str, column: str, code) -> str:
    """A code stored in one of the long tables (applications.applicant, review_litigation.kind …) in Chinese."""
    names = {("applications", "applicant"): APPLICANT_NAMES, ("review_litigation", "kind"): KIND_NAMES,
             ("review_litigation", "outcome"): OUTCOME_NAMES, ("active_disclosure", "item"): ITEMS,
             ("active_disclosure", "measure"): MEASURES}.get((table, column))
    if names and code in names:
        return names[code]
    if (table, column) == ("applications", "row_code") and code in ROW_LABELS:
        return ROW_LABELS[code]
    return "" if code is None else str(code)


def failing_query(rule: str) -> str:
    """The canned query listing the latest reports failing a rule."""
    return "failing_" + rule.replace(".", "_")


def template_vars() -> dict:
    """What every template may use."""
    return {"rules_glossary": RULES, "rule_zh": rule_zh, "rule_meaning": rule_meaning, "scope_zh": scope_zh,
            "column_zh": column_zh, "value_zh": value_zh, "failing_query": failing_query,
            "applicant_names": APPLICANT_NAMES, "table_names": TABLES, "format_names": FORMATS,
            "crawl_status": CRAWL_STATUS, "rule_sources": SOURCES}
