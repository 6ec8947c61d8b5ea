"""Read the three statistics tables from rows of cells, by the rows' labels.

Every reader flattens its document into tables of rows; this module reads them all as one stream in
document order, so a table split across pages or pictures simply continues. A row is known by what its
label says (`不掌握` is row 3.4.1 wherever it sits and however its brackets are written), never by its
index, and its values are the cells after its last label cell. A row whose values are fewer than its
columns is placed by the cells' positions when the source has them; otherwise it is left `null` with a
warning, because guessing which cell is missing would shift its neighbours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

from extract.model import Cell, Table
from extract.numbers import EMPTY, NUMBER, TEXT, classify, normalize, parse_number

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
]

ROW_LABELS = {
    "1": "一、本年新收政府信息公开申请数量",
    "2": "二、上年结转政府信息公开申请数量",
    "3.1": "三、本年度办理结果（一）予以公开",
    "3.2": "（二）部分公开",
    "3.3.1": "（三）不予公开 1.属于国家秘密",
    "3.3.2": "（三）不予公开 2.其他法律行政法规禁止公开",
    "3.3.3": "（三）不予公开 3.危及“三安全一稳定”",
    "3.3.4": "（三）不予公开 4.保护第三方合法权益",
    "3.3.5": "（三）不予公开 5.属于三类内部事务信息",
    "3.3.6": "（三）不予公开 6.属于四类过程性信息",
    "3.3.7": "（三）不予公开 7.属于行政执法案卷",
    "3.3.8": "（三）不予公开 8.属于行政查询事项",
    "3.4.1": "（四）无法提供 1.本机关不掌握相关政府信息",
    "3.4.2": "（四）无法提供 2.没有现成信息需要另行制作",
    "3.4.3": "（四）无法提供 3.补正后申请内容仍不明确",
    "3.5.1": "（五）不予处理 1.信访举报投诉类申请",
    "3.5.2": "（五）不予处理 2.重复申请",
    "3.5.3": "（五）不予处理 3.要求提供公开出版物",
    "3.5.4": "（五）不予处理 4.无正当理由大量反复申请",
    "3.5.5": "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
    "3.6": "（六）其他处理",
    "3.6.1": "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "3.6.2": "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.6.3": "（六）其他处理 3.其他",
    "3.7": "（七）总计",
    "4": "四、结转下年度继续办理",
}
_RESULT_ROWS = [c for c in ROW_LABELS if c.startswith("3.") and c not in ("3.6", "3.6.1", "3.6.2", "3.6.3", "3.7")]
RESULT_ROWS = {
    "2021": _RESULT_ROWS + ["3.6.1", "3.6.2", "3.6.3"],
    "2019": _RESULT_ROWS + ["3.6"],
}
ROW_CODES = {f: ["1", "2"] + rows + ["3.7", "4"] for f, rows in RESULT_ROWS.items()}

REVIEW_KINDS = ["review", "litigation_direct", "litigation_after_review"]
OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]

ACTIVE_FIELDS = {
    "2021": {
        "regulations": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "punishment": ["decisions"],
        "enforcement": ["decisions"],
        "fees": ["amount"],
    },
    "2019": {
        "regulations": ["new_made", "new_published", "total_published"],
        "normative_documents": ["new_made", "new_published", "total_published"],
        "licensing": ["last_year_items", "change", "decisions"],
        "other_services": ["last_year_items", "change"],
        "punishment": ["last_year_items", "change", "decisions"],
        "enforcement": ["last_year_items", "change", "decisions"],
        "fees": ["last_year_items", "change"],
        "procurement": ["items", "amount"],
    },
}

# Row label (the last label cell, brackets and numbering removed) → active-disclosure item.
_ACTIVE_ITEMS = [
    (r"规章", "regulations"),
    (r"(行政)?规范性文件", "normative_documents"),
    (r"行政许可", "licensing"),
    (r"其他对外管理服务事项?", "other_services"),
    (r"行政处罚", "punishment"),
    (r"行政强制", "enforcement"),
    (r"行政事业性收费", "fees"),
    (r"政府集中采购", "procurement"),
]
# Column header words → measure.
_MEASURES = [
    ("制发", "issued"),
    ("废止", "repealed"),
    ("现行有效", "in_force"),
    ("新制作", "new_made"),
    ("新公开", "new_published"),
    ("公开总", "total_published"),
    ("上一年项目", "last_year_items"),
    ("增/减", "change"),
    ("增减", "change"),
    ("采购项目", "items"),
    ("采购总金额", "amount"),
    ("收费金额", "amount"),
    ("处理决定", "decisions"),
]
_FORMAT_MARKS = {
    "2019": ["本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "其他对外管理服务", "政府集中采购"],
    "2021": ["本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"],
}
# Phrases that name an applications row wherever it sits; checked in this order.
_APPLICATION_PHRASES = [
    ("本年新收", "1"),
    ("上年结转", "2"),
    ("结转下年", "4"),
    ("部分公开", "3.2"),
    ("国家秘密", "3.3.1"),
    ("禁止公开", "3.3.2"),
    ("三安全一稳定", "3.3.3"),
    ("第三方合法权益", "3.3.4"),
    ("内部事务", "3.3.5"),
    ("过程性信息", "3.3.6"),
    ("执法案卷", "3.3.7"),
    ("行政查询", "3.3.8"),
    ("不掌握", "3.4.1"),
    ("另行制作", "3.4.2"),
    ("仍不明确", "3.4.3"),
    ("信访", "3.5.1"),
    ("重复申请", "3.5.2"),
    ("公开出版物", "3.5.3"),
    ("大量反复", "3.5.4"),
    ("重新出具", "3.5.5"),
    ("逾期不补正", "3.6.1"),
    ("收费通知", "3.6.2"),
    ("缴纳费用", "3.6.2"),
]
_APPLICATION_HEADER = ("申请人情况", "自然人", "商业企业", "勾稽关系", "法人或其他组织")
_NUMBERING = re.compile(r"^(\(?[一二三四五六七八九十\d]{1,2}[)\.、,]?)+")


@dataclass
class Statistics:
    table_format: str | None = None
    active_disclosure: dict | None = None
    applications: dict | None = None
    review_litigation: dict | None = None
    from_image: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    label_cells: list[Cell]
    values: list[Cell]  # the cells after the last label, blanks at both ends removed
    table: int
    labels: list[str] = field(init=False)  # normalized label texts

    def __post_init__(self):
        self.labels = [normalize(c.text) for c in self.label_cells]


def read_statistics(tables: list[Table]) -> Statistics:
    rows = [_Row(*_split(cells), i) for i, t in enumerate(tables) for cells in t.rows]
    out = Statistics()
    out.table_format = _detect_format(rows)
    fmt = out.table_format or "2021"
    used: set[int] = set()
    out.active_disclosure = _read_active(rows, fmt, used, out.warnings)
    out.applications = _read_applications(rows, tables, fmt, used, out.warnings)
    out.review_litigation = _read_review(rows, used, out.warnings)
    if out.table_format is None and (out.applications or out.active_disclosure):
        out.table_format = fmt
    out.from_image = any(tables[i].from_image for i in used)
    return out


def _split(cells: list[Cell]) -> tuple[list[Cell], list[Cell]]:
    kinds = [classify(c.text) for c in cells]
    last = max((i for i, k in enumerate(kinds) if k == TEXT), default=-1)
    labels = [c for c, k in zip(cells[: last + 1], kinds) if k == TEXT]
    values = cells[last + 1:]
    while values and classify(values[0].text) == EMPTY:
        values = values[1:]
    while values and classify(values[-1].text) == EMPTY:
        values = values[:-1]
    return labels, values


def _detect_format(rows: list[_Row]) -> str | None:
    votes = {"2019": 0, "2021": 0}
    for row in rows:
        joined = "".join(row.labels)
        for fmt, marks in _FORMAT_MARKS.items():
            votes[fmt] += sum(m in joined for m in marks)
        code = _application_code(row.labels, None)
        if code in ("3.6.1", "3.6.2"):
            votes["2021"] += 1
        elif code == "3.6" and row.values:
            votes["2019"] += 1
    if not any(votes.values()):
        return None
    return max(votes, key=lambda f: votes[f])


def _value(cell: Cell, where: str, warnings: list[str]):
    kind = classify(cell.text)
    if kind == NUMBER:
        return parse_number(cell.text)
    shown = cell.text.strip() or "blank"
    warnings.append(f"{where}: no value given ({shown!r}), left null" if kind == EMPTY
                    else f"{where}: unreadable cell {shown!r}, left null")
    return None


def _place(values: list[Cell], slots: int, centers: list[float] | None) -> list[Cell | None] | None:
    """Values in slot order: all of them when the count matches, else by position, else None."""
    if len(values) == slots:
        return list(values)
    if not centers or len(centers) != slots or any(v.center is None for v in values):
        return None
    gaps = [b - a for a, b in zip(centers, centers[1:])]
    tolerance = min(gaps) / 2 if gaps else float("inf")
    placed: list[Cell | None] = [None] * slots
    for v in values:
        i = min(range(slots), key=lambda k: abs(centers[k] - v.center))
        if abs(centers[i] - v.center) > tolerance or placed[i] is not None:
            return None
        placed[i] = v
    return placed


# --- active disclosure (二、主动公开政府信息情况) -------------------------------------------------


def _active_item(labels: list[str]) -> str | None:
    if not labels:
        return None
    last = _NUMBERING.sub("", labels[-1])
    for pattern, item in _ACTIVE_ITEMS:
        if re.fullmatch(pattern, last):
            return item
    return None


def _header_measures(cells: list[Cell]) -> tuple[list[str], list[float] | None]:
    """The measures a 信息内容 header row names, and where their columns sit."""
    measures, centers = [], []
    for cell in cells:
        text = normalize(cell.text)
        for word, measure in _MEASURES:
            if word in text:
                measures.append(measure)
                centers.append(cell.center)
                break
    return measures, (centers if None not in centers else None)


def _read_active(rows: list[_Row], fmt: str, used: set[int], warnings: list[str]) -> dict | None:
    fields = ACTIVE_FIELDS[fmt]
    found: dict[str, dict] = {}
    tables_used: set[int] = set()
    mark = len(warnings)
    header: list[str] = []
    header_centers: list[float] | None = None
    for row in rows:
        if row.labels and row.labels[0].startswith("信息内容"):
            header, header_centers = _header_measures(row.label_cells[1:])
            continue
        item = _active_item(row.labels)
        if item is None or item in found or not row.values:
            continue
        measures = header if header else fields.get(item, [])
        where = f"active_disclosure.{item}"
        placed = _place(row.values, len(measures), header_centers)
        if placed is None:
            warnings.append(f"{where}: {len(row.values)} values for {len(measures)} columns, not placed")
            found[item] = {}
            tables_used.add(row.table)
            continue
        values = {}
        for measure, cell in zip(measures, placed):
            value = None if cell is None else _value(cell, f"{where}.{measure}", warnings)
            if measure in fields.get(item, []):
                values[measure] = value
            elif value is not None:
                warnings.append(f"{where}: {measure} = {value} has no field in the {fmt} format, dropped")
        found[item] = values
        tables_used.add(row.table)
    if len(found) < 2:
        del warnings[mark:]
        return None
    used |= tables_used
    result = {}
    for item, names in fields.items():
        got = found.get(item)
        if got is None:
            warnings.append(f"active_disclosure.{item}: row not found, left null")
            got = {}
        result[item] = {name: got.get(name) for name in names}
    return result


# --- applications (三、收到和处理政府信息公开申请情况) --------------------------------------------


def _application_code(labels: list[str], previous: str | None) -> str | None:
    if not labels:
        return None
    joined = "".join(labels)
    if any(h in joined for h in _APPLICATION_HEADER):
        return None
    for phrase, code in _APPLICATION_PHRASES:
        if phrase in joined:
            return code
    last = labels[-1]
    if "予以公开" in joined and "不予以" not in joined:
        return "3.1"
    if re.fullmatch(r"(\(?[3三]\)?[\.、,]?)?其他", last) and previous in ("3.6.1", "3.6.2"):
        return "3.6.3"
    if "其他处理" in joined:
        return "3.6"
    if "总计" in last and (previous or "").startswith("3.") or re.match(r"\(?七\)?[、.]?总计", last):
        return "3.7"
    return None


def _read_applications(rows, tables, fmt, used, warnings) -> dict | None:
    codes = ROW_CODES[fmt]
    found: dict[str, list] = {}
    tables_used: set[int] = set()
    mark = len(warnings)
    previous = None
    centers = _column_centers(rows, len(APPLICANTS))
    for row in rows:
        code = _application_code(row.labels, previous)
        if code is None:
            continue
        previous = code
        if code not in codes:
            warnings.append(f"applications: row {code} does not belong to the {fmt} format, ignored")
            continue
        if code in found:
            continue
        where = f"applications {code}"
        placed = _place(row.values, len(APPLICANTS), centers.get(row.table))
        tables_used.add(row.table)
        if placed is None:
            warnings.append(f"{where}: {len(row.values)} values for {len(APPLICANTS)} columns, not placed")
            found[code] = [None] * len(APPLICANTS)
            continue
        found[code] = [None if c is None else _value(c, f"{where} {a}", warnings)
                       for a, c in zip(APPLICANTS, placed)]
        missing = [a for a, c in zip(APPLICANTS, placed) if c is None]
        if missing:
            warnings.append(f"{where}: no cell for {', '.join(missing)}, left null")
    if len(found) < 3 or not found.keys() & {"1", "3.7", "4"}:
        del warnings[mark:]
        return None  # a phrase or two in another table (the pre-2019 统计表 has 部分公开 too), not this one
    used |= tables_used
    table = {}
    for code in codes:
        if code not in found:
            warnings.append(f"applications {code}: row not found, left null")
        values = found.get(code) or [None] * len(APPLICANTS)
        table[code] = dict(zip(APPLICANTS, values))
    _infer_zeros(table, fmt, warnings)
    return table


def _column_centers(rows: list[_Row], slots: int) -> dict[int, list[float]]:
    """Per table, the median position of each value column among that table's complete rows."""
    samples: dict[int, list[list[float]]] = {}
    for row in rows:
        if len(row.values) == slots and all(v.center is not None for v in row.values):
            samples.setdefault(row.table, []).append([v.center for v in row.values])
    return {t: [median(col) for col in zip(*rows_)] for t, rows_ in samples.items()}


def _infer_zeros(table: dict, fmt: str, warnings: list[str]) -> None:
    """Fill a null cell with 0 only where the table's own arithmetic forces it: a sum of non-negative
    counts that is 0 makes every part 0."""
    results = RESULT_ROWS[fmt]
    equations = []  # (known side, side that may be forced to zeros, reason)
    for a in APPLICANTS:
        equations.append(([("3.7", a)], [(r, a) for r in results], f"row 3.7 {a} is 0"))
        equations.append(([("1", a), ("2", a)], [("3.7", a), ("4", a)], f"rows 1 + 2 {a} are 0"))
        equations.append(([("3.7", a), ("4", a)], [("1", a), ("2", a)], f"rows 3.7 + 4 {a} are 0"))
    for code in table:
        equations.append(([(code, "total")], [(code, a) for a in APPLICANTS[:-1]], f"row {code} total is 0"))
    changed = True
    while changed:
        changed = False
        for known, parts, reason in equations:
            # A known part that is not 0 means the report's own sum is broken here: it forces nothing.
            if all(table[r][c] == 0 for r, c in known) and all(table[r][c] in (0, None) for r, c in parts):
                for r, c in parts:
                    if table[r][c] is None:
                        table[r][c] = 0
                        changed = True
                        warnings.append(f"applications {r} {c}: inferred 0 ({reason} and counts are non-negative)")


# --- administrative review and litigation (四、行政复议、行政诉讼) ---------------------------------


def _read_review(rows: list[_Row], used: set[int], warnings: list[str]) -> dict | None:
    slots = len(REVIEW_KINDS) * len(OUTCOMES)
    in_review = False
    collected: list[Cell] = []
    table = None
    for row in rows:
        joined = "".join(row.labels)
        # The table's header row, not a sentence of prose that names both (OCR keeps prose as rows).
        if "行政复议" in joined and ("行政诉讼" in joined or "维持" in joined) and len(joined) <= 40:
            in_review = True
            continue
        if not in_review or row.labels or not any(classify(v.text) == NUMBER for v in row.values):
            continue
        collected.extend(row.values)
        table = row.table
        if len(collected) >= slots:
            break
    if not collected:
        return None
    used.add(table)
    if len(collected) != slots:
        warnings.append(f"review_litigation: {len(collected)} values for {slots} columns, not placed")
        values = [None] * slots
    else:
        values = []
        for i, cell in enumerate(collected):
            kind, outcome = REVIEW_KINDS[i // 5], OUTCOMES[i % 5]
            values.append(_value(cell, f"review_litigation.{kind}.{outcome}", warnings))
    result = {kind: dict(zip(OUTCOMES, values[i * 5:(i + 1) * 5])) for i, kind in enumerate(REVIEW_KINDS)}
    for kind, group in result.items():
        if group["total"] == 0:
            for outcome in OUTCOMES[:-1]:
                if group[outcome] is None:
                    group[outcome] = 0
                    warnings.append(f"review_litigation.{kind}.{outcome}: inferred 0 (its total is 0)")
    return result
