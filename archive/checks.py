"""Checks across reports, and of a report against its own prose, its dates and the official format.

The extractor checks a report's arithmetic (applications.balance, …). These rules need more: the same
agency's previous report, the other versions of the report, the publication date, the prose. Each rule
gives one or more entries shaped like the extractor's: rule, scope, ok (True, False, or None when it
cannot be checked, with the reason) and a message a person understands. A rule that does not apply (no
previous year archived, a report year before the 2019 format) gives no entry.

Every rule is defined once, in REGISTRY: a check is registered by the `@rule` decorator with its name, its
Chinese name and its meaning (Chinese and English), and `apply()` runs what is registered; the extractor's
and the merge's rules are registered by `describe()` for their names. The site's glossary, its pages and
its canned queries read the same registry.
"""
from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from archive import changes
from archive.merge import values
from extract.schema import APPLICANTS

@dataclass(frozen=True)
class Rule:
    """A check rule as every page names it: its code, its Chinese name, what it means (Chinese, then
    English), and the function giving its entries (None for the extractor's and the merge's own rules,
    which run before the archive is built and are registered here for their names)."""
    name: str
    zh: str
    meaning_zh: str
    meaning: str
    check: Callable[..., list[dict]] | None = None
    source: str = "archive"  # archive (this module, across reports), extract (a report's own arithmetic), merge


REGISTRY: dict[str, Rule] = {}


def rule(name: str, zh: str, meaning_zh: str, meaning: str):
    """Register a check: the decorated function takes the report and, by parameter name, `previous` (the
    agency's latest report of the year before) and `earlier` (the version before this one)."""
    def register(check: Callable[..., list[dict]]):
        _add(Rule(name, zh, meaning_zh, meaning, check))
        return check
    return register


def describe(name: str, zh: str, meaning_zh: str, meaning: str, source: str) -> None:
    """Register a rule checked elsewhere (the extractor, the merge), for its names and meaning."""
    _add(Rule(name, zh, meaning_zh, meaning, None, source))


def _add(entry: Rule) -> None:
    if entry.name in REGISTRY:
        raise ValueError(f"rule {entry.name} registered twice")
    REGISTRY[entry.name] = entry


# The extractor's rules (extract/checks.py, the official schema's equations) and the merge's
# (archive/merge.py): their entries come with each report; they are registered for their names.
describe("applications.balance", "申请数量收支平衡",
         "每一列：第一项（本年新收）+ 第二项（上年结转）= 第三项（七）总计 + 第四项（结转下年度），即表三印明的勾稽关系",
         "per column: row 1 + row 2 = row 3.7 + row 4, the rule printed in table 3", "extract")
describe("applications.results_sum", "办理结果合计",
         "每一列：第三项（七）总计 = 各项办理结果之和",
         "per column: row 3.7 = the sum of the result rows", "extract")
describe("applications.row_total", "申请人类型合计",
         "每一行：总计 = 自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他六列之和",
         "per row: 总计 = the sum of the six applicant columns", "extract")
describe("review_litigation.total", "复议诉讼合计",
         "每一组：总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
         "per group: 总计 = upheld + corrected + other + pending", "extract")
describe("sources.agree", "网页与附件一致",
         "报告网页与其附件（PDF、Word 等）给出的数字相同",
         "the report's page and its attachments give the same numbers", "merge")


def rules(source: str | None = None) -> dict[str, Rule]:
    """The registered rules (of one source), in registration order."""
    return {n: r for n, r in REGISTRY.items() if source is None or r.source == source}


TABLE_NAMES = {"active_disclosure": "主动公开 (table 2)", "applications": "依申请公开 (table 3)",
               "review_litigation": "行政复议、行政诉讼 (table 4)"}


def apply(reports: list[dict]) -> None:
    """Add every registered rule's entries to each report's `checks` (all versions; cross-year rules compare
    with the agency's latest report of the year before)."""
    latest = {(r["agency"], r["year"]): r for r in reports if r["is_latest"] and r["year"] and r["agency"]}
    by_version = {(r["report_key"], r["version"]): r for r in reports}
    runs = [(r.check, [p for p in inspect.signature(r.check).parameters if p in ("previous", "earlier")])
            for r in REGISTRY.values() if r.check is not None]
    for report in reports:
        known = report["year"] and report["agency"]
        context = {"previous": latest.get((report["agency"], report["year"] - 1)) if known else None,
                   "earlier": by_version.get((report["report_key"], report["version"] - 1))}
        added = [entry for check, wants in runs for entry in check(report, **{k: context[k] for k in wants})]
        report["checks"] = report["checks"] + added  # a new list: the extractor's may be shared


def _entry(rule: str, scope: str, ok: bool | None, message: str) -> dict:
    return {"rule": rule, "scope": scope, "ok": ok, "message": message}


# --- applications.carry_over ---------------------------------------------------------------------

@rule("applications.carry_over", "上年结转衔接",
      "本年度第二项“上年结转”等于同一机关上一年度报告第四项“结转下年度”，逐列比较",
      "上年结转 (row 2) equals the previous report's 结转下年度 (row 4), column by column")
def carry_over(report: dict, previous: dict | None) -> list[dict]:
    if previous is None:
        return []
    this = (report["tables"].get("applications") or {}).get("2") or {}
    before = (previous["tables"].get("applications") or {}).get("4") or {}
    if not this or not before:
        return [_entry("applications.carry_over", "all", None,
                       f"not checked: row 2 of {report['year']} or row 4 of {previous['year']} was not read")]
    out = []
    for column in APPLICANTS:
        now, then = this.get(column), before.get(column)
        if now is None or then is None:
            continue
        ok = now == then
        relation = "=" if ok else "≠"
        out.append(_entry("applications.carry_over", column, ok,
                          f"{report['year']} row 2 (上年结转) {now} {relation} {previous['year']} row 4 "
                          f"(结转下年度) {then}"))
    return out


# --- text.vs_tables ------------------------------------------------------------------------------

_N = r"(\d+|[零〇一二两三四五六七八九十百千]+)"
_STOP = r"[^。；;，,]"  # within one clause
_STATEMENTS = {
    "received": [
        rf"(?:收到|接收|受理|新收|接到|共收){_STOP}{{0,26}}?申请[^。；;，,\d]{{0,8}}?{_N}\s*件",
        rf"(?:收到|接收|受理|新收|接到|共收)[^。；;，,\d]{{0,6}}?{_N}\s*件{_STOP}{{0,14}}?申请",
    ],
    "carried_over": [rf"上一?年度?结转{_STOP}{{0,14}}?{_N}\s*件", rf"{_N}\s*件{_STOP}{{0,4}}?系?上一?年度?结转"],
    "carried_forward": [rf"{_N}\s*件{_STOP}{{0,8}}?结转(?:至|到)?下一?年度?",
                        rf"结转(?:至|到)?下一?年度?{_STOP}{{0,10}}?{_N}\s*件"],
    "review": [rf"行政复议[^。；;，,\d]{{0,10}}?{_N}\s*(?:件|起|宗|次|个)"],
    "litigation": [rf"行政诉讼[^。；;，,\d]{{0,10}}?{_N}\s*(?:件|起|宗|次|个)"],
    "fees": [r"行政事业性收费[^。；;，,\d]{0,14}?(\d+(?:\.\d+)?)\s*万元"],
}
_STATEMENTS = {quantity: [re.compile(p) for p in patterns] for quantity, patterns in _STATEMENTS.items()}
_WORTH_READING = re.compile(r"申请|复议|诉讼|结转|收费")
_NOT_RECEIVED = re.compile(r"复议|诉讼|举报|投诉|信访|咨询")
_NONE_RECEIVED = re.compile(rf"(?:未|没有)(?:收到|接到|受理){_STOP}{{0,18}}?申请")
_NONE_CASES = re.compile(rf"(?:未|没有)(?:发生|出现|收到|产生|有){_STOP}{{0,24}}?(?:行政复议|行政诉讼){_STOP}*")
_BOTH_ZERO = re.compile(rf"行政复议{_STOP}{{0,14}}行政诉讼{_STOP}{{0,14}}?(?:均为|都为|均是|均)\s*(?:0|零)")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def _number(text: str) -> float | int | None:
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def stated(text: str | None) -> dict[str, tuple[float | int, str]]:
    """What the prose states, by quantity: the first statement of each, with the words that state it."""
    found: dict[str, tuple[float | int, str]] = {}
    joined = "".join(changes.prose(text))  # a PDF breaks its lines mid-sentence
    for clause in re.split(r"(?<=[。；;])", joined):
        if _WORTH_READING.search(clause):
            _read_clause(clause, found)
    return found


def _read_clause(clause: str, found: dict) -> None:
    for quantity, patterns in _STATEMENTS.items():
        if quantity in found:
            continue
        for pattern in patterns:
            match = pattern.search(clause)
            if not match or (quantity == "received" and _NOT_RECEIVED.search(match.group(0))):
                continue
            number = _number(match.group(1))
            if number is not None:
                found[quantity] = (number, match.group(0))
                break
    if "received" not in found and (match := _NONE_RECEIVED.search(clause)) and not _NOT_RECEIVED.search(match.group(0)):
        found["received"] = (0, match.group(0))
    for match in [*_NONE_CASES.finditer(clause), *_BOTH_ZERO.finditer(clause)]:
        for quantity, word in (("review", "行政复议"), ("litigation", "行政诉讼")):
            if word in match.group(0) and quantity not in found:
                found[quantity] = (0, match.group(0))


def _table_figures(tables: dict) -> dict[str, tuple]:
    """The tables' side of each quantity: (value, how it is made) or several accepted readings."""
    applications = tables.get("applications") or {}
    review = tables.get("review_litigation") or {}

    def total(row):
        return (applications.get(row) or {}).get("total")

    figures = {"carried_over": [(total("2"), "row 2 (上年结转)")],
               "carried_forward": [(total("4"), "row 4 (结转下年度)")],
               "review": [((review.get("review") or {}).get("total"), "行政复议 total")]}
    new, old = total("1"), total("2")
    figures["received"] = [(new, "row 1 (本年新收)")]
    if new is not None and old:
        figures["received"].append((new + old, f"row 1 (本年新收) {new} + row 2 (上年结转) {old}"))
    direct = (review.get("litigation_direct") or {}).get("total")
    after = (review.get("litigation_after_review") or {}).get("total")
    both = None if direct is None or after is None else direct + after
    figures["litigation"] = [(both, f"行政诉讼 totals {direct} (直接起诉) + {after} (复议后起诉)")]
    fees = (tables.get("active_disclosure") or {}).get("fees") or {}
    figures["fees"] = [(fees.get("amount"), "行政事业性收费 本年收费金额 (万元)")]
    return figures


@rule("text.vs_tables", "正文与统计表一致",
      "正文所述数字（新收申请、上年结转、结转下年度、行政复议、行政诉讼、收费金额）与统计表一致",
      "numbers the prose states (applications received, carried over, reviews, lawsuits, fees) agree with the tables")
def text_vs_tables(report: dict) -> list[dict]:
    statements = stated(report.get("text"))
    figures = _table_figures(report["tables"])
    out = []
    for quantity, (number, words) in statements.items():
        readings = [(value, how) for value, how in figures[quantity] if value is not None]
        if not readings:
            out.append(_entry("text.vs_tables", quantity, None,
                              f"the text says 「{words}」; the table gives no value to compare"))
            continue
        match = next(((v, how) for v, how in readings if _same(number, v, words)), None)
        if match:
            out.append(_entry("text.vs_tables", quantity, True, f"the text says 「{words}」 = table: {match[1]} = {match[0]:g}"))
        else:
            shown = " or ".join(f"{how} = {v:g}" for v, how in readings)
            out.append(_entry("text.vs_tables", quantity, False, f"the text says 「{words}」 but the table has {shown}"))
    return out


def _same(stated_number, table_value, words: str) -> bool:
    if isinstance(stated_number, float):  # a stated amount is rounded to the decimals it shows
        decimals = len(str(stated_number).split(".")[1])
        return round(float(table_value), decimals) == stated_number
    return table_value == stated_number


# --- published.deadline --------------------------------------------------------------------------

_TOWNSHIP = re.compile(r"(乡|镇|街道)(人民政府|政府|办事处)?$|街道办事处$")
_GOVERNMENT = re.compile(r"(人民政府|政府|管委会|管理委员会|行政公署)$|(省|市|区|县|州|旗|盟)$")
_DEPARTMENT = re.compile(r"(委员会|委|局|办|办公室|厅|部|署|院|中心|室|所|站|队|处|会|社|馆|行)$")


def agency_kind(agency: str | None) -> str | None:
    """'government' (county level and up: due 31 March), 'township' or 'department' (due 31 January), from
    the name; None when the name says neither. 条例第四十九条 sets 31 January for 县级以上人民政府部门 and
    31 March for 县级以上地方人民政府; it names no date for 乡镇 and 街道, whose reports go into their
    county's report, so they are held to the departments' date."""
    name = re.sub(r"[（(].*?[)）]$", "", agency or "").strip()
    if not name:
        return None
    if _TOWNSHIP.search(name):
        return "township"
    if _GOVERNMENT.search(name):
        return "government"
    if _DEPARTMENT.search(name):
        return "department"
    return None


@rule("published.deadline", "按时发布",
      "部门、乡镇和街道于次年1月31日前发布，县级以上人民政府于次年3月31日前发布（条例第四十九条）",
      "published by 31 January (departments, 乡镇 and 街道) or 31 March (county-level and higher governments) of the following year")
def deadline(report: dict) -> list[dict]:
    if not report.get("year"):
        return []
    kind = agency_kind(report.get("agency"))
    if kind is None:
        return [_entry("published.deadline", "date", None,
                       f"not checked: cannot tell from the name {report.get('agency')!r} whether it is a government")]
    due = date(report["year"] + 1, 3, 31) if kind == "government" else date(report["year"] + 1, 1, 31)
    who = {"government": "a county-level or higher government", "department": "a department",
           "township": "a 乡镇 or 街道 (条例第四十九条 gives 31 March to county-level and higher governments only)"}[kind]
    try:
        published = date.fromisoformat(report.get("published") or "")
    except ValueError:
        return [_entry("published.deadline", "date", None, "not checked: the page gives no publication date")]
    ok = published <= due
    late = "" if ok else f", {(published - due).days} days late"
    return [_entry("published.deadline", "date", ok,
                   f"published {published.isoformat()}; {report['agency']} is {who}, due {due.isoformat()}{late}")]


# --- format.matches_year -------------------------------------------------------------------------

@rule("format.matches_year", "统计表格式与年度相符",
      "2021年度起使用新版格式（国办公开办函〔2021〕30号），2019–2020年度使用2019年格式",
      "the 2021 table format for report years from 2021, the 2019 format for 2019–2020")
def format_matches_year(report: dict) -> list[dict]:
    year = report.get("year")
    if not year or year < 2019:
        return []
    expected = "2021" if year >= 2021 else "2019"
    found = report.get("table_format")
    if found is None:
        return [_entry("format.matches_year", "format", None, "not checked: no standard table was read")]
    ok = found == expected
    message = (f"a {year} report in the {found} format" if ok else
               f"a {year} report uses the {found} format; report years "
               f"{'from 2021' if expected == '2021' else '2019–2020'} use the {expected} format")
    return [_entry("format.matches_year", "format", ok, message)]


# --- text.copied_from_previous_year --------------------------------------------------------------

@functools.lru_cache(maxsize=8192)
def _masked(text: str | None, years: tuple[int, ...]) -> tuple[str, ...]:
    """The text's sentences with the report's own years masked, so a text copied with only its year
    updated counts as copied."""
    return changes.sentences(re.sub("|".join(str(y) for y in years), "YEAR", text or ""))


@rule("text.copied_from_previous_year", "正文未照抄上年",
      "正文中与同一机关上一年度报告相同的句子不超过一半",
      "no more than half of the prose's sentences repeat the agency's previous report")
def copied_from_previous_year(report: dict, previous: dict | None) -> list[dict]:
    if previous is None:
        return []
    years = (report["year"], previous["year"], report["year"] + 1)
    ours, theirs = _masked(report.get("text"), years), _masked(previous.get("text"), years)
    if len(ours) < 4 or not theirs:
        return []
    before = set(theirs)
    repeated = [s for s in ours if s in before]
    share = len(repeated) / len(ours)
    example = f", e.g. 「{repeated[0].replace('YEAR', str(report['year']))[:60]}」" if repeated else ""
    return [_entry("text.copied_from_previous_year", "text", share <= 0.5,
                   f"{len(repeated)} of {len(ours)} sentences ({share:.0%}) repeat the {previous['year']} report"
                   f"{example}")]


# --- report.edited_after_publication -------------------------------------------------------------

@rule("report.edited_after_publication", "发布后未修改",
      "报告首次归档后，正文和统计表没有被修改",
      "the text and tables have not changed since the report was first archived")
def edited_after_publication(report: dict, earlier: dict | None) -> list[dict]:
    if earlier is None:
        return [_entry("report.edited_after_publication", "content", True,
                       f"version {report['version']}, first archived {report['first_seen'][:10]}")]
    found = changes.between(values(earlier["tables"]), values(report["tables"]), earlier.get("text"), report.get("text"))
    if not found:
        return [_entry("report.edited_after_publication", "content", True,
                       f"version {report['version']} ({report['first_seen'][:10]}) changed its files but not "
                       f"its text or tables")]
    return [_entry("report.edited_after_publication", "content", False,
                   f"changed after publication: version {report['version']} of {report['first_seen'][:10]} "
                   f"against version {earlier['version']} of {earlier['first_seen'][:10]}: {found.summary()}")]


# --- tables.missing, tables.blank_cells ----------------------------------------------------------

@rule("tables.missing", "三张统计表齐全",
      "主动公开、依申请公开、行政复议和行政诉讼三张统计表都在",
      "the three statistics tables are there")
def missing_tables(report: dict) -> list[dict]:
    if not report.get("year") or report["year"] < 2019:
        return []  # the 2008 format's tables are not read
    absent = [name for table, name in TABLE_NAMES.items() if not report["tables"].get(table)]
    if not absent:
        return [_entry("tables.missing", "tables", True, "all three statistics tables are there")]
    why = " (published as pictures that could not be read)" if report.get("tables_as_images") else ""
    return [_entry("tables.missing", "tables", False, f"missing: {', '.join(absent)}{why}")]


@rule("tables.blank_cells", "无空白单元格",
      "统计表中应填0的单元格没有留空或只填横线",
      "no table cell is left blank (or a dash) where the official format asks for 0")
def blank_cells(report: dict) -> list[dict]:
    """From the extractor's `cells` provenance: every cell printed blank or with a dash, whether the table's
    sums force its value (inferred) or not (blank)."""
    if not any(report["tables"].get(t) for t in TABLE_NAMES):
        return []
    cells = report.get("cells") or {}
    blank = sorted(set(cells.get("inferred", [])) | set(cells.get("blank", [])))
    if not blank:
        return [_entry("tables.blank_cells", "cells", True, "every cell holds a number")]
    more = f" and {len(blank) - 5} more" if len(blank) > 5 else ""
    return [_entry("tables.blank_cells", "cells", False,
                   f"{len(blank)} cells left blank or marked with a dash instead of 0: {'; '.join(blank[:5])}{more}")]


# Views of the one registry: the rules checked here (across reports), and the others.
RULES = {n: r.meaning for n, r in rules("archive").items()}
WITHIN_REPORT = {n: r.meaning for n, r in REGISTRY.items() if r.source != "archive"}
