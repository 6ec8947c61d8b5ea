"""Seeded layout variations of the three statistics tables, each with the values the contract expects.

Gold tables (contract-shaped, both formats, distinct numbers that satisfy every equation of extract.schema)
are rendered along one axis at a time from a clean baseline, plus a few combinations:

- blank styles: zeros printed as blank, 「-」, 「—」, 「/」 or 「0」 (`zeros`); cells left blank or dashed in rows
  whose total is not zero (`holes`);
- labels: wrapped onto two rows, the label row above or below its numbers (`wrap`); 1–3 characters dropped
  from the middle of a label (`misprint`); numbering （一）/(一)/一、/1./1、/① at each level (`numbering`);
- structure: one （六）其他处理 row for the 2021 format's three, three for the 2019 format's one
  (`other_rows`); merged label columns, one flat label cell, or group headings on rows of their own
  (`label_columns`); the column header on one, two or three rows (`header`); a table split into two
  tables (a page break in Word and PDF) before a given row (`split`);
- presentation: column widths (`widths`), numbers left, centred or right (`align`), fonts and sizes (`fonts`),
  full-width digits (`fullwidth`), thousands separators (`thousands`); in a PDF, rows allowed to break
  across pages (`rows_break`, Word's default; the baseline keeps each row on one page);
- pictures: 150/200/300 dpi (`dpi`), ±1.5° skew (`skew`), JPEG quality 40–90 (`jpeg`), salt-and-pepper
  noise (`noise`), each from the three tables set on one page (LibreOffice, 9 pt) and rendered with pypdfium2.

The clean baseline is the official layout: the template's merged label columns and three header rows, zeros
printed as 0, labels as the 国办 templates word them, the applications table's labels in 40% of its width,
numbers centred, WenQuanYi Zen Hei 9 pt (the CJK font Debian's fonts-wqy-zenhei installs).

Formats: `html` (a page with the three tables), `docx` (python-docx, real merges), `pdf` (that DOCX through
LibreOffice, cached per variant), `png`/`jpg` (the tables' page rendered with pypdfium2), and plain text as
copy-paste leaves it: `tsv` (a row per line, a tab per grid cell, as a spreadsheet copies), `paste` (a row per
line, a tab per cell that starts in the row, as a browser copies: a merged cell once, none for a cell merged down
from the row above), `lines` (one cell per line, a blank line between rows) and `md` (Markdown pipes).

Expected values follow docs/report-json.md: a printed number is read as printed; a blank, dash or missing cell
gets a value only where the printed numbers force it (extract.solver.force over extract.schema's equations,
the contract's rule), and is then listed in `cells.inferred`, otherwise it is null and listed in
`cells.blank`. Everything is a function of its seed: the same call gives the same bytes.

    from tests.variants import suite, sample
    for v in suite():            # the curated few hundred the tests run
        v.data, v.suffix, v.expected, v.axis, v.format
"""
from __future__ import annotations

import hashlib
import html
import io
import os
import random
import tempfile
import zipfile
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

from extract.schema import (ACTIVE_FIELDS, APPLICANTS, OTHER_HANDLING, OUTCOMES, PRINTED_ROWS, RESULT_ROWS,
                            REVIEW_KINDS, ROW_CODES, equations, other_handling_sum)
from extract.solver import force

TEXT_FORMATS = ("html", "docx", "tsv", "lines", "md", "paste")
PICTURE_FORMATS = ("png", "jpg")
FORMATS = TEXT_FORMATS + ("pdf",) + PICTURE_FORMATS
SUFFIX = {"html": ".html", "docx": ".docx", "pdf": ".pdf", "png": ".png", "jpg": ".jpg", "tsv": ".txt",
          "lines": ".txt", "md": ".md", "paste": ".txt"}
PROFILES = ("typical", "sparse", "zero", "large")
TABLES = ("active_disclosure", "applications", "review_litigation")
CJK_FONT = "WenQuanYi Zen Hei"  # Debian's fonts-wqy-zenhei
FONTS = ["WenQuanYi Zen Hei", "WenQuanYi Zen Hei Mono", "WenQuanYi Zen Hei Sharp", "宋体", "仿宋_GB2312"]
FONT_SIZES = [7.5, 9.0, 10.5, 12.0]
WIDTHS = ["auto", "even", "narrow-labels", "wide-labels"]
ZERO_STYLES = ["", "-", "—", "/", "0"]
NUMBERING_STYLES = ["（一）", "(一)", "一、", "1.", "1、", "①"]
DEFAULT_NUMBERING = {"top": "一、", "group": "（一）", "item": "1."}
CACHE = Path(os.environ.get("NIANBAO_VARIANTS_CACHE", Path(tempfile.gettempdir()) / "nianbao-variants"))


# --- gold tables ----------------------------------------------------------------------------------


@dataclass(eq=False)
class Gold:
    """Contract-shaped tables that satisfy every equation, and the other way of printing （六）其他处理
    (`other_parts`: the one 3.6 row for a 2021 table, three rows 3.6.1–3.6.3 for a 2019 one)."""

    name: str
    format: str
    profile: str
    tables: dict
    other_parts: dict


def make_gold(table_format: str, profile: str, seed: int) -> Gold:
    """Distinct, varied numbers for `profile`: typical (small counts, some zeros), sparse (mostly zeros),
    zero (no applications, reviews or suits), large (thousands)."""
    rng = random.Random(f"gold/{table_format}/{profile}/{seed}")
    scale = {"typical": (200, 60), "sparse": (30, 12), "zero": (0, 0), "large": (4800, 900)}[profile]
    p_row = {"typical": 0.65, "sparse": 0.2, "zero": 0.0, "large": 0.9}[profile]
    used: set[int] = set()

    def distinct(top: int) -> int:
        """A number from 1 to `top` not drawn before, where there is one left (a misplaced value shows)."""
        for _ in range(50):
            value = rng.randint(1, top)
            if value not in used:
                break
        used.add(value)
        return value

    def applicant_row(always: bool = False) -> list[int]:
        if rng.random() >= p_row and not always:
            return [0] * 6
        row = [distinct(scale[0]) if rng.random() < 0.85 else 0]
        row += [distinct(scale[1]) if rng.random() < (0.6 if profile == "large" else 0.35) else 0
                for _ in range(5)]
        return row

    rows: dict[str, list[int]] = {}
    base_results = [c for c in RESULT_ROWS["2021"]]  # 3.6.1–3.6.3 made for both formats, summed for 2019
    for code in base_results:  # 予以公开 is most agencies' largest row
        rows[code] = applicant_row(always=code == "3.1" and profile in ("typical", "large"))
    total_results = [sum(rows[c][j] for c in base_results) for j in range(6)]
    carried_in = [rng.randint(0, min(t, scale[1])) if t and rng.random() < 0.5 else 0 for t in total_results]
    carried_out = [rng.randint(1, max(1, scale[1])) if scale[1] and rng.random() < 0.5 else 0 for _ in range(6)]
    rows["3.7"] = total_results
    rows["2"] = carried_in
    rows["4"] = carried_out
    rows["1"] = [total_results[j] + carried_out[j] - carried_in[j] for j in range(6)]
    rows["3.6"] = [sum(rows[c][j] for c in OTHER_HANDLING) for j in range(6)]

    def contract_row(values: list[int]) -> dict:
        return dict(zip(APPLICANTS, values + [sum(values)]))

    applications = {code: contract_row(rows[code]) for code in ROW_CODES[table_format]}
    other = ["3.6"] if table_format == "2021" else OTHER_HANDLING
    other_parts = {code: contract_row(rows[code]) for code in other}

    review = {}
    for kind in REVIEW_KINDS:
        top = {"typical": 9, "sparse": 3, "zero": 0, "large": 140}[profile]
        chance = {"typical": 0.5, "sparse": 0.2, "zero": 0.0, "large": 0.85}[profile]
        parts = [rng.randint(1, top) if top and rng.random() < chance else 0 for _ in range(4)]
        review[kind] = dict(zip(OUTCOMES, parts + [sum(parts)]))

    big = profile == "large"

    def n(top: int, chance: float = 0.8) -> int:
        if profile == "zero" and rng.random() < 0.6:
            return 0
        return rng.randint(1, top * (40 if big else 1)) if rng.random() < chance else 0

    def amount(top: float) -> float:
        if profile == "zero" and rng.random() < 0.6 or rng.random() < 0.2:
            return 0
        return round(rng.uniform(0.1, top * (300 if big else 1)), rng.choice([1, 2]))

    if table_format == "2021":
        issued, repealed = n(3, 0.5), n(2, 0.3)
        doc_issued, doc_repealed = n(15), n(8, 0.5)
        active = {
            "regulations": {"issued": issued, "repealed": repealed, "in_force": issued + n(30)},
            "normative_documents": {"issued": doc_issued, "repealed": doc_repealed, "in_force": doc_issued + n(120)},
            "licensing": {"decisions": n(900)},
            "punishment": {"decisions": n(400)},
            "enforcement": {"decisions": n(60, 0.5)},
            "fees": {"amount": amount(500)},
        }
    else:
        def made() -> dict:
            new = n(20, 0.6)
            return {"new_made": new, "new_published": min(new, n(20)), "total_published": new + n(150)}

        def items(decisions: bool = True) -> dict:
            last = n(300, 0.7)
            out = {"last_year_items": last, "change": rng.randint(-min(last, 20), 20) if last else n(5, 0.5)}
            if decisions:
                out["decisions"] = n(3000, 0.7)
            return out

        active = {
            "regulations": made(),
            "normative_documents": made(),
            "licensing": items(),
            "other_services": items(),
            "punishment": items(),
            "enforcement": items(),
            "fees": items(decisions=False),
            "procurement": {"items": n(400, 0.7), "amount": amount(9000)},
        }
    tables = {"active_disclosure": active, "applications": applications, "review_litigation": review}
    return Gold(f"{table_format}-{profile}-{seed}", table_format, profile, tables, other_parts)


@lru_cache(maxsize=None)
def gold(table_format: str, profile: str, seed: int = 0) -> Gold:
    """make_gold, made once per process."""
    return make_gold(table_format, profile, seed)


def check_gold(g: Gold) -> None:
    """Every equation of the format holds (and the other printing of （六） sums to the same)."""
    values = _flat(g.tables)
    for code, row in g.other_parts.items():
        values.update({f"applications.{code}.{a}": v for a, v in row.items()})
    for eq in equations(g.format) + other_handling_sum():
        left = sum(values[p] for p in eq.left)
        right = sum(values[p] for p in eq.right)
        assert left == right, (g.name, eq)
    assert all(v >= 0 for p, v in values.items() if p.startswith(("applications", "review")))


def _flat(tables: dict) -> dict:
    out = {}
    for table in TABLES:
        for key, row in (tables.get(table) or {}).items():
            for column, value in row.items():
                out[f"{table}.{key}.{column}"] = value
    return out


# --- layout ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How one document prints its tables; the default is the clean baseline."""

    zeros: str = "0"  # a zero printed as this: "0", "" (blank), "-", "—", "/"
    holes: tuple = ()  # paths printed as `hole_mark` though the gold has a value there
    hole_mark: str = ""
    wrap: tuple = ()  # ((target, cut, side), …): target is an applications code or an active item
    misprint: tuple = ()  # ((target, start, count), …): characters dropped from the label's words
    numbering: tuple = ()  # ((level, style), …): level top (一、), group (（一）) or item (1.)
    other_rows: str = "official"  # "swapped": one （六） row for three (2021), three for one (2019)
    labels: str = "spans"  # "spans" (merged label columns), "flat" (one cell), "headings" (group rows)
    header: str = "official"  # applications header on "official" (3), "two" or "one" rows
    split: tuple = ()  # (table, before, repeat_header): table cut into two before that row
    widths: str = "auto"  # "auto" (the template's: wide labels), "even", "narrow-labels", "wide-labels"
    rows_break: bool = False  # Word's "allow row to break across pages" (off in the baseline)
    align: str = "center"  # numbers and headers centred in their cells, or "left"/"right"
    font: str = ""
    font_size: float = 9.0  # 小五, as report tables are usually set
    digits: str = "ascii"  # or "fullwidth"
    thousands: bool = False
    dpi: int = 200
    skew: float = 0.0
    jpeg_quality: int = 85
    noise: float = 0.0  # share of pixels turned white or black


# --- labels ---------------------------------------------------------------------------------------

_CN = "一二三四五六七八九十"
TOP = {"1": (1, "本年新收政府信息公开申请数量"), "2": (2, "上年结转政府信息公开申请数量"),
       "3": (3, "本年度办理结果"), "4": (4, "结转下年度继续办理")}
GROUPS = {"3.1": (1, "予以公开"), "3.2": (2, "部分公开（区分处理的，只计这一情形，不计其他情形）"),
          "3.3": (3, "不予公开"), "3.4": (4, "无法提供"), "3.5": (5, "不予处理"), "3.6": (6, "其他处理"),
          "3.7": (7, "总计")}
ITEMS = {
    "3.3": ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
            "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"],
    "3.4": ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"],
    "3.5": ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
            "要求行政机关确认或重新出具已获取信息"],
    "3.6": ["申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"],
}
ACTIVE_LABELS = {
    "2021": {"regulations": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
             "punishment": "行政处罚", "enforcement": "行政强制", "fees": "行政事业性收费"},
    "2019": {"regulations": "规章", "normative_documents": "规范性文件", "licensing": "行政许可",
             "other_services": "其他对外管理服务事项", "punishment": "行政处罚", "enforcement": "行政强制",
             "fees": "行政事业性收费", "procurement": "政府集中采购"},
}
# The active-disclosure table: (clause, measures with their column spans, items).
ACTIVE_SECTIONS = {
    "2021": [("（一）", [("本年制发件数", 1), ("本年废止件数", 1), ("现行有效件数", 1)],
              ["regulations", "normative_documents"]),
             ("（五）", [("本年处理决定数量", 3)], ["licensing"]),
             ("（六）", [("本年处理决定数量", 3)], ["punishment", "enforcement"]),
             ("（八）", [("本年收费金额（单位：万元）", 3)], ["fees"])],
    "2019": [("（一）", [("本年新制作数量", 1), ("本年新公开数量", 1), ("对外公开总数量", 1)],
              ["regulations", "normative_documents"]),
             ("（五）", [("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)],
              ["licensing", "other_services"]),
             ("（六）", [("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)], ["punishment", "enforcement"]),
             ("（八）", [("上一年项目数量", 1), ("本年增/减", 2)], ["fees"]),
             ("（九）", [("采购项目数量", 1), ("采购总金额", 2)], ["procurement"])],
}
OUTCOME_NAMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def numeral(style: str, n: int) -> str:
    c = _CN[n - 1]
    return {"（一）": f"（{c}）", "(一)": f"({c})", "一、": f"{c}、", "1.": f"{n}.", "1、": f"{n}、",
            "①": chr(0x245F + n)}[style]


def printed_codes(g: Gold, layout: Layout) -> list[str]:
    """The applications rows the document prints, in order."""
    codes = ROW_CODES[g.format]
    if layout.other_rows != "swapped":
        return list(codes)
    if g.format == "2021":
        return [("3.6" if c == "3.6.1" else c) for c in codes if c not in OTHER_HANDLING[1:]]
    out = []
    for c in codes:
        out.extend(OTHER_HANDLING if c == "3.6" else [c])
    return out


def _row_value(g: Gold, code: str) -> dict:
    return g.tables["applications"].get(code) or g.other_parts[code]


def _words(target: str, words: str, layout: Layout) -> str:
    for t, start, count in layout.misprint:
        if t == target:
            words = words[:start] + words[start + count:]
    return words


def _style(layout: Layout, level: str) -> str:
    return dict(layout.numbering).get(level, DEFAULT_NUMBERING[level])


def own_label(code: str, layout: Layout) -> str:
    """The row's own label (its last label cell) as printed."""
    if code in TOP:
        n, words = TOP[code]
        return numeral(_style(layout, "top"), n) + _words(code, words, layout)
    if code in GROUPS:
        n, words = GROUPS[code]
        return numeral(_style(layout, "group"), n) + _words(code, words, layout)
    group, k = code.rsplit(".", 1)
    return numeral(_style(layout, "item"), int(k)) + _words(code, ITEMS[group][int(k) - 1], layout)


def group_label(group: str, layout: Layout) -> str:
    if group == "3":
        n, words = TOP["3"]
        return numeral(_style(layout, "top"), n) + words
    n, words = GROUPS[group]
    return numeral(_style(layout, "group"), n) + words


def label_words(target: str, table_format: str = "2021") -> str:
    """The words a misprint or wrap works on (numbering aside)."""
    if target in ACTIVE_LABELS[table_format]:
        return ACTIVE_LABELS[table_format][target]
    if target in TOP:
        return TOP[target][1]
    if target in GROUPS:
        return GROUPS[target][1]
    group, k = target.rsplit(".", 1)
    return ITEMS[group][int(k) - 1]


# --- numbers as printed ---------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def number_text(value, layout: Layout) -> str:
    if isinstance(value, float) and value != int(value):
        text = f"{value:,.2f}" if layout.thousands else f"{value:.2f}"
        text = text.rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}" if layout.thousands else str(int(value))
    return text.translate(_FULLWIDTH) if layout.digits == "fullwidth" else text


def cell_text(path: str, value, layout: Layout) -> str:
    if path in layout.holes:
        return layout.hole_mark
    if value == 0 and layout.zeros != "0":
        return layout.zeros
    return number_text(value, layout)


def printed_values(g: Gold, layout: Layout) -> dict:
    """Every cell the document prints: its number, or None where it shows a blank or a dash."""
    out = {}
    active = g.tables["active_disclosure"]
    for item, fields in ACTIVE_FIELDS[g.format].items():
        for f in fields:
            out[f"active_disclosure.{item}.{f}"] = active[item][f]
    for code in printed_codes(g, layout):
        for a, v in _row_value(g, code).items():
            out[f"applications.{code}.{a}"] = v
    for kind, row in g.tables["review_litigation"].items():
        for o, v in row.items():
            out[f"review_litigation.{kind}.{o}"] = v
    return {p: (None if p in layout.holes or (v == 0 and layout.zeros != "0") else v) for p, v in out.items()}


def _order(path: str) -> tuple:
    table, rest = path.split(".", 1)
    return TABLES.index(table), rest


def expected(g: Gold, layout: Layout) -> dict:
    """What the contract says the extractor returns for this document: printed numbers as printed, a blank
    filled only where the printed numbers force it (inferred), otherwise null (blank)."""
    fmt = g.format
    shown = printed_values(g, layout)
    values = {f"applications.{c}.{a}": None for c in PRINTED_ROWS for a in APPLICANTS}
    values.update(shown)
    aux = [c for c in ("3.6", *OTHER_HANDLING) if c not in ROW_CODES[fmt]]
    forced = force(values, equations(fmt, applications_rows=ROW_CODES[fmt] + aux) + other_handling_sum())
    tables, inferred, blank = {}, [], []
    for table in TABLES:
        tables[table] = {}
        for key, row in g.tables[table].items():
            tables[table][key] = {}
            for column in row:
                path = f"{table}.{key}.{column}"
                value = shown.get(path)
                if value is None and path in forced:
                    value = forced[path]
                    inferred.append(path)
                elif value is None:
                    blank.append(path)
                tables[table][key][column] = value
    return {"table_format": fmt, **tables,
            "cells": {"inferred": sorted(inferred, key=_order), "blank": sorted(blank, key=_order), "unreadable": []}}


def compare(report: dict, want: dict) -> tuple[int, int, list[str]]:
    """(exact values, values, differences): every value of the three tables, then table_format and the
    `cells` lists (order aside), each difference a line."""
    diffs = []
    good = total = 0
    for path, value in _flat({t: want[t] for t in TABLES}).items():
        table, rest = path.split(".", 1)
        key, column = rest.rsplit(".", 1)
        got = ((report.get(table) or {}).get(key) or {}).get(column, "<missing>")
        total += 1
        if got == value and type(got) is not bool:
            good += 1
        else:
            diffs.append(f"{path}: got {got!r}, want {value!r}")
    if report.get("table_format") != want["table_format"]:
        diffs.append(f"table_format: got {report.get('table_format')!r}, want {want['table_format']!r}")
    for kind in ("inferred", "blank", "unreadable"):
        got = sorted(report.get("cells", {}).get(kind, []), key=_order)
        if got != want["cells"][kind]:
            extra = [p for p in got if p not in want["cells"][kind]]
            lacking = [p for p in want["cells"][kind] if p not in got]
            diffs.append(f"cells.{kind}: extra {extra[:6]}{'…' if len(extra) > 6 else ''}, "
                         f"lacking {lacking[:6]}{'…' if len(lacking) > 6 else ''}")
    return good, total, diffs


# --- tables as grids of cells ---------------------------------------------------------------------


class C:
    """A cell; the same object in several grid positions is one merged cell."""

    __slots__ = ("text", "role")

    def __init__(self, text: str, role: str = "label"):
        self.text, self.role = text, role

    def __repr__(self):
        return f"C({self.text!r})"


Grid = list  # rows of C or None (None: the row ends before this column)


def _values(texts: list[str]) -> list[C]:
    return [C(t, "value") for t in texts]


def _app_texts(g: Gold, code: str, layout: Layout) -> list[str]:
    row = _row_value(g, code)
    return [cell_text(f"applications.{code}.{a}", row[a], layout) for a in APPLICANTS]


def _wrap_of(layout: Layout, target: str):
    return next(((cut, side) for t, cut, side in layout.wrap if t == target), None)


def _split_label(text: str, words_len: int, cut: float) -> tuple[str, str]:
    """The label cut inside its words (the numbering stays on the first line)."""
    head = len(text) - words_len
    at = head + max(1, min(words_len - 1, round(words_len * cut)))
    return text[:at], text[at:]


def applications_grid(g: Gold, layout: Layout) -> tuple[Grid, int, dict]:
    """The applications table: its grid, how many header rows, and each code's first grid row."""
    spans = layout.labels == "spans"
    lc = 3 if spans else 1
    width = lc + 7
    grid: Grid = []
    k = C("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "head")
    names = [C(n, "head") for n in ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    if layout.header == "official":
        applicants, legal = C("申请人情况", "head"), C("法人或其他组织", "head")
        grid.append([k] * lc + [applicants] * 7)
        grid.append([k] * lc + [names[0]] + [legal] * 5 + [names[6]])
        grid.append([k] * lc + names)
    elif layout.header == "two":
        grid.append([k] * lc + [C("申请人情况", "head")] * 7)
        grid.append([k] * lc + names)
    else:
        grid.append([k] * lc + names)
    header_rows = len(grid)
    first_row = {}
    r3 = C(group_label("3", layout))
    groups: dict[str, C] = {}
    for code in printed_codes(g, layout):
        first_row[code] = len(grid)
        label = own_label(code, layout)
        words = len(_words(code, label_words(code), layout))
        group = code.rsplit(".", 1)[0] if code.count(".") == 2 else None
        if spans:
            if code in TOP:
                parents, label_span = [], 3
            elif group is None:
                parents, label_span = [r3], 2
            else:
                groups.setdefault(group, C(group_label(group, layout)))
                parents, label_span = [r3, groups[group]], 1
        else:
            parents, label_span = [], 1
            if layout.labels == "flat":
                if code == "3.1":
                    label = group_label("3", layout) + label
                elif group is not None:
                    label = group_label(group, layout) + " " + label
            else:  # headings: a group's name on a row of its own, across the table
                heading = "3" if code == "3.1" else group if group and code.endswith(".1") else None
                if heading:
                    grid.append([C(group_label(heading, layout))] * width)
        values = _values(_app_texts(g, code, layout))
        wrap = _wrap_of(layout, code)
        if wrap is None:
            grid.append(parents + [C(label)] * label_span + values)
            continue
        first, second = _split_label(label, words, wrap[0])
        if wrap[1] == "above":
            grid.append(parents + [C(first)] * label_span + [None] * 7)
            grid.append(parents + [C(second)] * label_span + values)
        else:
            grid.append(parents + [C(first)] * label_span + values)
            grid.append(parents + [C(second)] * label_span + values)
    return grid, header_rows, first_row


def active_grid(g: Gold, layout: Layout) -> tuple[Grid, int, dict]:
    fmt = g.format
    active = g.tables["active_disclosure"]
    grid: Grid = []
    first_row = {}
    for clause, measures, items in ACTIVE_SECTIONS[fmt]:
        grid.append([C(f"第二十条第{clause}项", "head")] * 4)
        head = [C("信息内容", "head")]
        for name, span in measures:
            head += [C(name, "head")] * span
        grid.append(head)
        for item in items:
            first_row[item] = len(grid)
            texts = [cell_text(f"active_disclosure.{item}.{f}", active[item][f], layout)
                     for f in ACTIVE_FIELDS[fmt][item]]
            values = []
            for text, (_, span) in zip(texts, measures):
                values += [C(text, "value")] * span
            label = _words(item, ACTIVE_LABELS[fmt][item], layout)
            wrap = _wrap_of(layout, item)
            if wrap is None:
                grid.append([C(label)] + values)
                continue
            first, second = _split_label(label, len(label), wrap[0])
            if wrap[1] == "above":
                grid.append([C(first)] + [None] * 3)
                grid.append([C(second)] + values)
            else:
                grid.append([C(first)] + values)
                grid.append([C(second)] + values)
    return grid, 0, first_row


def review_grid(g: Gold, layout: Layout) -> tuple[Grid, int, dict]:
    review = g.tables["review_litigation"]
    grid: Grid = []
    if layout.header == "official":
        grid.append([C("行政复议", "head")] * 5 + [C("行政诉讼", "head")] * 10)
        outcomes = [C(n, "head") for n in OUTCOME_NAMES]
        grid.append(outcomes + [C("未经复议直接起诉", "head")] * 5 + [C("复议后起诉", "head")] * 5)
        grid.append(outcomes + [C(n, "head") for n in OUTCOME_NAMES * 2])
    else:
        grid.append([C("行政复议", "head")] * 5 + [C("行政诉讼（未经复议直接起诉）", "head")] * 5
                    + [C("行政诉讼（复议后起诉）", "head")] * 5)
        grid.append([C(n, "head") for n in OUTCOME_NAMES * 3])
    header_rows = len(grid)
    grid.append(_values([cell_text(f"review_litigation.{k}.{o}", review[k][o], layout)
                         for k in REVIEW_KINDS for o in OUTCOMES]))
    return grid, header_rows, {"values": header_rows}


def cut(grid: Grid, at: int, header_rows: int, repeat_header: bool) -> list[Grid]:
    """The grid as two tables, the second from row `at`: a merged cell crossing the cut goes on empty in
    the second (as Word shows a vertical merge that crosses a page)."""
    first, rest = grid[:at], grid[at:]
    seen = {id(c) for row in first for c in row if c is not None}
    fresh: dict[int, C] = {}

    def renew(c, always=False):
        if c is None:
            return None
        if always or id(c) in seen:
            if id(c) not in fresh:
                fresh[id(c)] = C(c.text if always else "", c.role)
            return fresh[id(c)]
        return c

    head = [[renew(c, True) for c in row] for row in grid[:header_rows]] if repeat_header else []
    second = head + [[renew(c) for c in row] for row in rest]
    return [first, second]


def _span_list(grid: Grid) -> list[tuple[int, int, C, int, int]]:
    """(row, column, cell, rowspan, colspan) for each cell at its top-left position, in reading order."""
    boxes: dict[int, list] = {}
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            box = boxes.setdefault(id(cell), [r, c, r, c, cell])
            box[2], box[3] = max(box[2], r), max(box[3], c)
    out = [(r0, c0, cell, r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1, cell in boxes.values()]
    for r0, c0, cell, rs, cs in out:
        for r in range(r0, r0 + rs):
            for c in range(c0, c0 + cs):
                assert grid[r][c] is cell, f"cell {cell!r} is not a rectangle"
    return sorted(out, key=lambda b: (b[0], b[1]))


# --- documents ------------------------------------------------------------------------------------

AGENCIES = ["示例市卫生健康委员会", "示例县自然资源局", "示例区人民政府", "示例市生态环境局", "示例镇人民政府"]
PROSE = ("{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
         "围绕群众关切推进政府信息公开工作，不断提高公开质量和实效。")


def _identity(g: Gold) -> tuple[str, int]:
    rng = random.Random(g.name)
    year = rng.choice([2019, 2020]) if g.format == "2019" else rng.choice([2021, 2022, 2023, 2024])
    return rng.choice(AGENCIES), year


def blocks(g: Gold, layout: Layout, compact: bool = False) -> list[tuple]:
    """The document as blocks: ("title", text), ("p", text), ("h", text), ("table", grid, kind, header rows),
    ("break",) where a table is cut across pages."""
    agency, year = _identity(g)
    prose = PROSE.format(year=year, agency=agency)
    out: list[tuple] = [("title", f"{agency}{year}年政府信息公开工作年度报告")]
    if not compact:
        out += [("p", prose), ("h", "一、总体情况"), ("p", prose)]
    heads = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
             "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}
    builders = {"active_disclosure": active_grid, "applications": applications_grid, "review_litigation": review_grid}
    for table in TABLES:
        out.append(("h", heads[table]))
        grid, header_rows, rows = builders[table](g, layout)
        if layout.split and layout.split[0] == table:
            _, before, repeat = layout.split
            first, second = cut(grid, rows[before], header_rows, repeat)
            out += [("table", first, table, header_rows), ("break",),
                    ("table", second, table, header_rows if repeat else 0)]
        else:
            out.append(("table", grid, table, header_rows))
    if not compact:
        out += [("h", "五、存在的主要问题及改进情况"), ("p", prose), ("p", agency), ("p", f"{year + 1}年1月20日")]
    return out


def _column_widths(kind: str, width: int, layout: Layout, total: float) -> list[float]:
    """Column widths in cm: the template gives the applications table's labels half the width."""
    if kind != "applications" or layout.widths == "even":
        return [total / width] * width
    labels = width - 7
    share = {"auto": 0.4, "narrow-labels": 0.3, "wide-labels": 0.55}[layout.widths]
    if labels == 3:
        label_widths = [total * share * f for f in (0.15, 0.19, 0.66)]
    else:
        label_widths = [total * share]
    return label_widths + [total * (1 - share) / 7] * 7


def render_html(g: Gold, layout: Layout) -> bytes:
    agency, year = _identity(g)
    font = f"font-family:'{layout.font}';" if layout.font else ""
    parts = []
    for block in blocks(g, layout):
        if block[0] == "title":
            parts.append(f"<h1>{html.escape(block[1])}</h1>")
        elif block[0] in ("p", "h"):
            parts.append(f"<p>{html.escape(block[1])}</p>")
        elif block[0] == "break":
            parts.append("")
        else:
            grid, kind = block[1], block[2]
            width = max(len(r) for r in grid)
            style = f' style="{font}font-size:{layout.font_size}pt;border-collapse:collapse"'
            rows = [f'<table border="1" cellspacing="0"{style}>']
            if layout.widths != "auto":
                widths = _column_widths(kind, width, layout, 17.0)
                rows.append("<colgroup>" + "".join(f'<col width="{round(w * 38)}">' for w in widths) + "</colgroup>")
            current = -1
            for r, c, cell, rs, cs in _span_list(grid):
                while current < r:
                    rows.append(("</tr>" if current >= 0 else "") + "<tr>")
                    current += 1
                span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                align = f' align="{layout.align}"' if cell.role != "label" else ""
                rows.append(f"<td{span}{align}>{html.escape(cell.text)}</td>")
            rows.append("</tr></table>")
            parts.append("\n".join(rows))
    body = "\n".join(parts)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="TRS_Editor">\n{body}\n</div></body></html>')
    return page.encode("utf-8")


def _text_rows(grid: Grid, expand: bool) -> list[list[str]]:
    """Rows of cell texts: expanded, every grid position (a merged cell's text at its top-left, empty
    elsewhere; a short row ends early); else only the cells that start in the row."""
    starts = {(r, c): cell for r, c, cell, _, _ in _span_list(grid)}
    out = []
    for r, row in enumerate(grid):
        if expand:
            texts = [(starts[(r, c)].text if (r, c) in starts else "") for c, cell in enumerate(row) if cell is not None]
        else:
            texts = [starts[(r, c)].text for c in range(len(row)) if (r, c) in starts]
        out.append(texts)
    return out


def render_text(g: Gold, layout: Layout, style: str) -> bytes:
    """Plain text as copy-paste leaves it: `tsv` (a tab per grid cell), `paste` (a tab per cell that starts in
    the row), `lines` (one cell per line, each after a tab, a blank line between rows), `md` (Markdown
    pipes)."""
    lines: list[str] = []
    page = 1
    for block in blocks(g, layout):
        if block[0] in ("title", "p", "h"):
            lines += [block[1], ""]
        elif block[0] == "break":
            page += 1
            lines += [f"- {page} -", ""]
        else:
            grid = block[1]
            width = max(len(r) for r in grid)
            if style == "tsv":
                lines += ["\t".join(texts) for texts in _text_rows(grid, True)]
                lines.append("")
            elif style == "paste":
                lines += ["\t".join(texts) for texts in _text_rows(grid, False)]
                lines.append("")
            elif style == "lines":
                for texts in _text_rows(grid, False):
                    lines += [f"\t{t}" for t in texts]
                    lines.append("")
            else:
                for i, texts in enumerate(_text_rows(grid, True)):
                    texts = texts + [""] * (width - len(texts))
                    lines.append("| " + " | ".join(texts) + " |")
                    if i == 0:
                        lines.append("|" + "---|" * width)
                lines.append("")
    return "\n".join(lines).encode("utf-8")


def _deterministic_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so equal documents are equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_table(grid: Grid, widths_cm: list[float], style_id: str, rows_break: bool = False,
                align: str = "center", keep: int = 0) -> str:
    """A <w:tbl> with real merges: a merged cell is one <w:tc> with gridSpan in its first row and a
    vMerge continuation below; a short row ends with gridAfter; a row is kept on one page (cantSplit)
    unless `rows_break`; the first `keep` rows are kept with the next (keepNext), as a header is."""
    from xml.sax.saxutils import escape

    twips = [round(w * 567) for w in widths_cm]
    width = len(twips)
    starts = {(r, c): (cell, rs, cs) for r, c, cell, rs, cs in _span_list(grid)}
    covered = {}
    for (r, c), (cell, rs, cs) in starts.items():
        for dr in range(1, rs):
            covered[(r + dr, c)] = cs
    out = [f'<w:tbl xmlns:w="{_W_NS}"><w:tblPr><w:tblStyle w:val="{style_id}"/>'
           f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
           + "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>"]
    for r, row in enumerate(grid):
        short = row.count(None)
        after = f'<w:gridAfter w:val="{short}"/>' if short else ""
        out.append(f"<w:tr><w:trPr>{after}{'' if rows_break else '<w:cantSplit/>'}</w:trPr>")
        c = 0
        while c < width - short:
            if (r, c) in starts:
                cell, rs, cs = starts[(r, c)]
                merge, text = ('<w:vMerge w:val="restart"/>' if rs > 1 else ""), escape(cell.text)
            else:
                cs, merge, text = covered[(r, c)], "<w:vMerge/>", ""
            span = f'<w:gridSpan w:val="{cs}"/>' if cs > 1 else ""
            run = f"<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r>" if text else ""
            role = starts[(r, c)][0].role if (r, c) in starts else "label"
            keep_next = "<w:keepNext/>" if r < keep else ""
            jc = f'<w:jc w:val="{align}"/>' if role != "label" and align != "left" else ""
            ppr = f"<w:pPr>{keep_next}{jc}</w:pPr>" if keep_next or jc else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{sum(twips[c:c + cs])}" w:type="dxa"/>{span}{merge}'
                       f'<w:vAlign w:val="center"/></w:tcPr><w:p>{ppr}{run}</w:p></w:tc>')
            c += cs
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def render_docx(g: Gold, layout: Layout, compact: bool = False) -> bytes:
    """A Word document made with python-docx: real merges, widths, fonts; a page break where a table is
    cut. `compact` puts the three tables on one page (the pictures are made from it)."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    margin = 1.0 if compact else 1.8
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(margin)
    normal = document.styles["Normal"]
    font_name = layout.font or CJK_FONT
    normal.font.name = font_name
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font_name)
    normal.font.size = Pt(min(layout.font_size, 9.0) if compact else layout.font_size)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    style_id = document.styles["Table Grid"].style_id
    total = 21 - 2 * margin
    for block in blocks(g, layout, compact=compact):
        if block[0] in ("title", "p", "h"):
            document.add_paragraph(block[1])
        elif block[0] == "break":
            paragraph = document.add_paragraph()
            if not compact:
                paragraph.add_run().add_break(WD_BREAK.PAGE)
        else:
            grid, kind, header_rows = block[1], block[2], block[3]
            widths = _column_widths(kind, max(len(r) for r in grid), layout, total)
            # headers stay with the rows under them, the short review table in one piece (as Word users
            # set it): a page break only comes where the `split` axis puts one
            keep = len(grid) - 1 if kind == "review_litigation" else header_rows + 1 if header_rows else 0
            anchor = document.add_paragraph()
            anchor._p.addprevious(parse_xml(_docx_table(grid, widths, style_id, layout.rows_break, layout.align,
                                                        keep)))
    out = io.BytesIO()
    document.save(out)
    return _deterministic_zip(out.getvalue())


def _soffice_identity() -> bytes:
    """Which LibreOffice converts (its path and install time): a cached PDF is only reused from the same."""
    from extract.soffice import soffice

    path = soffice()
    if path is None:
        raise RuntimeError("LibreOffice is needed for the PDF and picture variants (make test installs it)")
    real = os.path.realpath(path)
    return f"{real}:{os.stat(real).st_mtime_ns}".encode()


def render_pdf(g: Gold, layout: Layout, compact: bool = False) -> bytes:
    """The DOCX through LibreOffice (extract.soffice.convert), cached by the DOCX's sha256."""
    from extract.soffice import convert

    source = render_docx(g, layout, compact=compact)
    key = hashlib.sha256(source + _soffice_identity()).hexdigest()
    cached = CACHE / f"{key}.pdf"
    if cached.exists():
        return cached.read_bytes()
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="variant-", dir=CACHE) as work:
        path = Path(work) / f"{key}.docx"
        path.write_bytes(source)
        pdf = convert(path, "pdf", Path(work)).read_bytes()
        partial = Path(work) / "done.pdf"
        partial.write_bytes(pdf)
        os.replace(partial, cached)
    return pdf


def render_picture(g: Gold, layout: Layout, fmt: str) -> bytes:
    """The tables' page (the compact PDF) rendered with pypdfium2 at `dpi`, turned by `skew` degrees,
    salted with `noise`, saved as PNG or as JPEG at `jpeg_quality`."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(render_pdf(g, layout, compact=True))
    pages = [pdf[i].render(scale=layout.dpi / 72).to_pil().convert("RGB") for i in range(len(pdf))]
    pdf.close()
    crops = []
    for page in pages:
        ink = np.asarray(page.convert("L")) < 200
        rows, cols = np.where(ink)
        if not len(rows):
            continue
        pad = layout.dpi // 6
        crops.append(page.crop((max(0, cols.min() - pad), max(0, rows.min() - pad),
                                min(page.width, cols.max() + pad), min(page.height, rows.max() + pad))))
    image = Image.new("RGB", (max(c.width for c in crops), sum(c.height for c in crops)), "white")
    y = 0
    for c in crops:
        image.paste(c, (0, y))
        y += c.height
    if layout.skew:
        image = image.rotate(layout.skew, resample=Image.BICUBIC, expand=True, fillcolor="white")
    if layout.noise:
        rng = np.random.default_rng(int(hashlib.sha256(g.name.encode()).hexdigest()[:8], 16))
        pixels = np.asarray(image).copy()
        hit = rng.random(pixels.shape[:2])
        pixels[hit < layout.noise * 0.7] = 255
        pixels[(hit >= layout.noise * 0.7) & (hit < layout.noise)] = 0
        image = Image.fromarray(pixels)
    out = io.BytesIO()
    if fmt == "jpg":
        image.save(out, format="JPEG", quality=layout.jpeg_quality)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def render(g: Gold, layout: Layout, fmt: str) -> bytes:
    if fmt == "html":
        return render_html(g, layout)
    if fmt == "docx":
        return render_docx(g, layout)
    if fmt == "pdf":
        return render_pdf(g, layout)
    if fmt in PICTURE_FORMATS:
        return render_picture(g, layout, fmt)
    if fmt in ("tsv", "lines", "md", "paste"):
        return render_text(g, layout, fmt)
    raise ValueError(f"no format {fmt}")


# --- variants -------------------------------------------------------------------------------------


@dataclass(eq=False)
class Variant:
    """One document: (data, suffix, expected, axis, format); `data` is rendered on first use."""

    axis: str
    detail: str
    format: str
    gold: Gold
    layout: Layout

    @property
    def name(self) -> str:
        return f"{self.axis}-{self.format}-{self.gold.name}:{self.detail}"

    @property
    def suffix(self) -> str:
        return SUFFIX[self.format]

    @cached_property
    def expected(self) -> dict:
        return expected(self.gold, self.layout)

    @cached_property
    def data(self) -> bytes:
        return render(self.gold, self.layout, self.format)

    def __iter__(self):
        return iter((self.data, self.suffix, self.expected, self.axis, self.format))


def short(path: str) -> str:
    """A cell path for a variant's name: A. active disclosure, R. review/litigation, a bare row code."""
    return path.replace("active_disclosure.", "A.").replace("review_litigation.", "R.").replace("applications.", "")


def _hole_candidates(g: Gold) -> list[str]:
    """Cells in rows whose total is not zero (applications, review), and active-disclosure cells."""
    out = []
    for code, row in g.tables["applications"].items():
        if row["total"]:
            out += [f"applications.{code}.{a}" for a in APPLICANTS]
    for kind, row in g.tables["review_litigation"].items():
        if row["total"]:
            out += [f"review_litigation.{kind}.{o}" for o in OUTCOMES]
    for item, row in g.tables["active_disclosure"].items():
        out += [f"active_disclosure.{item}.{f}" for f in row]
    return out


def _label_targets(g: Gold, layout: Layout) -> list[str]:
    return printed_codes(g, layout)


def _misprint_for(rng: random.Random, target: str, fmt: str) -> tuple | None:
    words = label_words(target, fmt)
    if len(words) < 4:
        return None
    count = rng.randint(1, min(3, (len(words) - 2) // 2 if len(words) >= 6 else 1))
    start = rng.randint(1, len(words) - count - 1)
    return (target, start, count)


AXES = ["baseline", "zeros", "holes", "wrap", "misprint", "numbering", "other_rows", "label_columns", "header",
        "split", "widths", "align", "fonts", "fullwidth", "thousands", "combined"]
PDF_AXES = AXES[:-1] + ["rows_break", "combined"]  # rows breaking across pages only show in a PDF
PICTURE_AXES = ["baseline", "dpi", "skew", "jpeg", "noise", "combined"]


def axes_for(fmt: str) -> list[str]:
    return PICTURE_AXES if fmt in PICTURE_FORMATS else PDF_AXES if fmt == "pdf" else AXES


def random_layout(axis: str, g: Gold, rng: random.Random, fmt: str = "html") -> tuple[str, Layout]:
    """A random instance of one axis for `g`: (detail, layout)."""
    base = Layout()
    if axis == "baseline":
        return "clean", base
    if axis == "zeros":
        z = rng.choice(ZERO_STYLES)
        return f"zero={z or 'blank'}", replace(base, zeros=z)
    if axis == "holes":
        candidates = _hole_candidates(g)
        paths = tuple(sorted(rng.sample(candidates, min(len(candidates), rng.randint(1, 3))), key=_order))
        mark = rng.choice(["", "-", "—", "/"])
        return f"{'+'.join(map(short, paths))}={mark or 'blank'}", replace(base, holes=paths, hole_mark=mark)
    if axis == "wrap":
        targets = _label_targets(g, base) + (list(ACTIVE_LABELS[g.format]) if rng.random() < 0.2 else [])
        target = rng.choice(targets)
        if len(label_words(target, g.format)) < 2:
            target = "1"
        side, c = rng.choice(["above", "below"]), round(rng.uniform(0.3, 0.7), 2)
        return f"{target}:{side}@{c}", replace(base, wrap=((target, c, side),))
    if axis == "misprint":
        for _ in range(20):
            targets = _label_targets(g, base) + (list(ACTIVE_LABELS[g.format]) if rng.random() < 0.2 else [])
            m = _misprint_for(rng, rng.choice(targets), g.format)
            if m:
                return f"{m[0]}:-{m[2]}@{m[1]}", replace(base, misprint=(m,))
        return "clean", base
    if axis == "numbering":
        level, style = rng.choice(["top", "group", "item"]), rng.choice(NUMBERING_STYLES)
        return f"{level}={style}", replace(base, numbering=((level, style),))
    if axis == "other_rows":
        return "one-for-three" if g.format == "2021" else "three-for-one", replace(base, other_rows="swapped")
    if axis == "label_columns":
        style = rng.choice(["spans", "flat", "headings"])
        return style, replace(base, labels=style)
    if axis == "header":
        style = rng.choice(["official", "two", "one"])
        return style, replace(base, header=style)
    if axis == "split":
        table = rng.choice(["applications", "applications", "applications", "active_disclosure", "review_litigation"])
        if table == "applications":
            before = rng.choice(printed_codes(g, base)[1:])
        elif table == "active_disclosure":
            before = rng.choice(list(ACTIVE_FIELDS[g.format])[1:])
        else:
            before = "values"
        repeat = rng.random() < 0.4
        return f"{table}:{before}{'+header' if repeat else ''}", replace(base, split=(table, before, repeat))
    if axis == "widths":
        w = rng.choice(WIDTHS)
        return w, replace(base, widths=w)
    if axis == "align":
        a = rng.choice(["left", "right", "center"])
        return a, replace(base, align=a)
    if axis == "rows_break":
        w = rng.choice(WIDTHS)
        return f"rows-break/{w}", replace(base, rows_break=True, widths=w)
    if axis == "fonts":
        font, size = rng.choice(FONTS), rng.choice(FONT_SIZES)
        return f"{font}/{size}", replace(base, font=font, font_size=size)
    if axis == "fullwidth":
        return "fullwidth", replace(base, digits="fullwidth")
    if axis == "thousands":
        return "1,234", replace(base, thousands=True)
    if axis == "dpi":
        d = rng.choice([150, 200, 300])
        return f"{d}dpi", replace(base, dpi=d)
    if axis == "skew":
        s = round(rng.uniform(0.5, 1.5) * rng.choice([-1, 1]), 2)
        return f"{s}deg", replace(base, skew=s)
    if axis == "jpeg":
        q = rng.randint(40, 90)
        return f"q{q}", replace(base, jpeg_quality=q)
    if axis == "noise":
        n = round(rng.uniform(0.002, 0.02), 4)
        return f"{n:.2%}", replace(base, noise=n)
    if axis == "combined":
        pool = axes_for(fmt)[1:-1]
        chosen = rng.sample(pool, rng.randint(2, 3))
        layout, details = base, []
        for a in chosen:
            detail, part = random_layout(a, g, rng, fmt)
            changes = {f: getattr(part, f) for f in Layout.__dataclass_fields__ if getattr(part, f) != getattr(base, f)}
            layout = replace(layout, **changes)
            details.append(f"{a}:{detail}")
        if layout.split and layout.split[0] == "applications" and layout.split[1] not in printed_codes(g, layout):
            layout = replace(layout, split=())
        return " ".join(details), layout
    raise ValueError(f"no axis {axis}")


def golds(seeds: int = 2) -> list[Gold]:
    return [gold(f, p, s) for f in ("2021", "2019") for p in PROFILES for s in range(seeds)]


def sample(n: int, seed: int | str = 0, formats=TEXT_FORMATS, axes=None) -> list[Variant]:
    """`n` random variants over `formats` (picture formats take the picture axes), one axis at a time."""
    out = []
    pool = golds(4)
    for i in range(n):
        rng = random.Random(f"sample/{seed}/{i}")
        fmt = rng.choice(list(formats))
        choices = axes or axes_for(fmt)
        axis = rng.choice(choices)
        g = rng.choice(pool)
        if axis == "thousands" and g.profile != "large":
            g = gold(g.format, "large", rng.randrange(4))
        detail, layout = random_layout(axis, g, rng, fmt)
        if fmt in PICTURE_FORMATS and layout.jpeg_quality != Layout.jpeg_quality:
            fmt = "jpg"  # a quality only a JPEG has
        out.append(Variant(axis, detail, fmt, g, layout))
    return out


def suite() -> list[Variant]:
    """The curated variants the tests run: every axis value at least once per text-based format, on golds
    of both formats and every profile, a handful of PDFs and pictures."""
    out: list[Variant] = []
    typical = {f: gold(f, "typical", 0) for f in ("2021", "2019")}
    base = Layout()

    def add(axis, detail, layout, formats=TEXT_FORMATS, golds_=None):
        for g in golds_ or typical.values():
            for fmt in formats:
                out.append(Variant(axis, detail, fmt, g, layout))

    add("baseline", "clean", base, golds_=golds(1))
    for z in ZERO_STYLES:
        add("zeros", f"zero={z or 'blank'}", replace(base, zeros=z),
            golds_=[gold("2021", "sparse", 0), gold("2019", "zero", 0), gold("2021", "zero", 0)])
    rng = random.Random("suite/holes")
    for i in range(4):
        for g in typical.values():
            cands = _hole_candidates(g)
            paths = tuple(sorted(rng.sample(cands, 1 + i % 3), key=_order))
            mark = ["", "-", "—", "/"][i]
            add("holes", f"{'+'.join(map(short, paths))}={mark or 'blank'}", replace(base, holes=paths, hole_mark=mark),
                golds_=[g])
    # a total, an edge column and an inner column of one row, each alone
    for path in ("applications.3.1.total", "applications.3.1.natural_person", "applications.1.research_institution",
                 "review_litigation.review.total", "active_disclosure.regulations.issued"):
        g = typical["2021"]
        add("holes", f"{short(path)}=blank", replace(base, holes=(path,)), golds_=[g])
    for target, cut_, side in (("3.3.2", 0.5, "above"), ("3.3.2", 0.5, "below"), ("1", 0.4, "above"),
                               ("4", 0.6, "below"), ("3.6.1", 0.5, "above"), ("3.5.5", 0.3, "below"),
                               ("3.1", 0.5, "above"), ("3.7", 0.5, "below")):
        if target == "3.6.1":
            add("wrap", f"{target}:{side}@{cut_}", replace(base, wrap=((target, cut_, side),)),
                golds_=[typical["2021"]])
        else:
            add("wrap", f"{target}:{side}@{cut_}", replace(base, wrap=((target, cut_, side),)))
    add("wrap", "normative_documents:above@0.5", replace(base, wrap=(("normative_documents", 0.5, "above"),)),
        formats=("html", "tsv"), golds_=[typical["2021"]])
    for target, start, count in (("3.3.2", 3, 2), ("3.4.1", 2, 3), ("1", 4, 1), ("3.5.5", 5, 3), ("3.2", 1, 1),
                                 ("4", 2, 2)):
        add("misprint", f"{target}:-{count}@{start}", replace(base, misprint=((target, start, count),)))
    add("misprint", "licensing:-1@1", replace(base, misprint=(("licensing", 1, 1),)), formats=("html", "tsv"),
        golds_=[typical["2021"]])
    for level in ("top", "group", "item"):
        for style in NUMBERING_STYLES:
            add("numbering", f"{level}={style}", replace(base, numbering=((level, style),)),
                formats=("html", "docx", "tsv"))
            add("numbering", f"{level}={style}", replace(base, numbering=((level, style),)),
                formats=("lines", "md", "paste"), golds_=[typical["2021"]])
    add("other_rows", "swapped", replace(base, other_rows="swapped"),
        golds_=[typical["2021"], typical["2019"], gold("2021", "sparse", 1), gold("2019", "large", 0)])
    for style in ("flat", "headings"):
        add("label_columns", style, replace(base, labels=style))
    for style in ("two", "one"):
        add("header", style, replace(base, header=style))
    for table, before, repeat in (("applications", "3.1", False), ("applications", "3.3.5", False),
                                  ("applications", "3.4.2", True), ("applications", "3.7", False),
                                  ("applications", "4", True), ("active_disclosure", "normative_documents", False),
                                  ("active_disclosure", "punishment", False), ("review_litigation", "values", False)):
        add("split", f"{table}:{before}{'+header' if repeat else ''}", replace(base, split=(table, before, repeat)))
    for w in WIDTHS[1:]:
        add("widths", w, replace(base, widths=w), formats=("html", "docx"))
    for font in FONTS[1:]:
        add("fonts", f"{font}/10.5", replace(base, font=font, font_size=10.5), formats=("html", "docx"))
    add("fullwidth", "fullwidth", replace(base, digits="fullwidth"),
        golds_=[typical["2021"], gold("2019", "large", 1)])
    add("thousands", "1,234", replace(base, thousands=True), golds_=[gold("2021", "large", 0), gold("2019", "large", 0)])
    combos = [
        ("zeros:-+split:applications:3.3.5+labels:flat",
         replace(base, zeros="-", split=("applications", "3.3.5", False), labels="flat")),
        ("wrap:3.4.1:above+misprint:3.5.4+numbering:item=①",
         replace(base, wrap=(("3.4.1", 0.5, "above"),), misprint=(("3.5.4", 3, 2),), numbering=(("item", "①"),))),
        ("thousands+fullwidth+header:one", replace(base, thousands=True, digits="fullwidth", header="one")),
        ("other_rows+zeros:blank+headings", replace(base, other_rows="swapped", zeros="", labels="headings")),
    ]
    for detail, layout in combos:
        add("combined", detail, layout, golds_=[gold("2021", "large", 1), gold("2019", "sparse", 1)])
    for a in ("left", "right"):
        add("align", a, replace(base, align=a), formats=("html", "docx"))
    # PDF through LibreOffice: slow, a handful
    pdf = [("baseline", "clean", base, typical["2021"]), ("baseline", "clean", base, typical["2019"]),
           ("zeros", "zero=—", replace(base, zeros="—"), gold("2021", "sparse", 0)),
           ("split", "applications:3.4.2", replace(base, split=("applications", "3.4.2", False)), typical["2021"]),
           ("widths", "narrow-labels/10.5", replace(base, widths="narrow-labels", font_size=10.5), typical["2021"]),
           ("other_rows", "three-for-one", replace(base, other_rows="swapped"), typical["2019"]),
           ("rows_break", "rows-break/even", replace(base, rows_break=True, widths="even"), typical["2021"]),
           ("fullwidth", "fullwidth", replace(base, digits="fullwidth"), gold("2019", "large", 1))]
    for axis, detail, layout, g in pdf:
        out.append(Variant(axis, detail, "pdf", g, layout))
    # pictures: OCR takes 10–20 s a page
    large = {f: gold(f, "large", 1 if f == "2019" else 0) for f in ("2021", "2019")}
    pictures = [("baseline", "clean", base, "png", large["2021"]),
                ("dpi", "150dpi/q60", replace(base, dpi=150, jpeg_quality=60), "jpg", large["2019"]),
                ("baseline", "clean", base, "png", typical["2021"]),
                ("skew", "-0.5deg", replace(base, skew=-0.5), "png", large["2021"]),
                # 「623」 at 300 dpi, straightened, was read 「3」 among the packed numbers (a seed-1 picture run)
                ("combined", "dpi:300dpi skew:1.0deg", replace(base, dpi=300, skew=1.0), "jpg", large["2021"])]
    for axis, detail, layout, fmt, g in pictures:
        out.append(Variant(axis, detail, fmt, g, layout))
    names = [v.name for v in out]
    assert len(names) == len(set(names)), "variant names must be unique"
    return out
