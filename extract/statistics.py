"""Read the three statistics tables from a document's cell grid.

Every reader (HTML, DOCX, PDF, OCR, text) hands over tables as rows of cells; this module reads them all as
one stream in document order, so a table split across pages or pictures simply continues. Three steps, each
general rather than a list of layouts:

1. **Align** the printed rows to the official row sequence as a whole (extract.align): wrapped, misprinted,
   missing, extra and merged rows are placed by their labels and by the rows around them.
2. **Place** each row's numbers in its columns: all of them when the counts match, by the cells' grid
   positions when the source has them, otherwise by which placement the table's own arithmetic accepts.
3. **Solve** (extract.solver): a blank, dash or missing cell gets a value only where the printed numbers
   force it, and every cell's provenance (printed, inferred, blank, unreadable) goes into `cells`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from statistics import median

from extract.align import Official, Printed, align, clean_label, label_score
from extract.model import Cell, Table
from extract.numbers import EMPTY, NUMBER, TEXT, classify, normalize, parse_number
from extract.schema import (ACTIVE_FIELDS, ACTIVE_ITEMS, APPLICANTS, OTHER_HANDLING, OUTCOME_LABELS, OUTCOMES,
                            PRINTED_ROWS, REVIEW_KINDS, ROW_CODES, ROW_KEYS, Equation,
                            equations, other_handling_sum)
from extract.solver import force

# Beyond any plausible count or amount (万元) in one agency's year: a misread, not a value.
LIMIT = 10 ** 9

# Column headers of the active-disclosure table → field, by their printed names (matched fuzzily: real headers
# are misprinted, 「先行有效件数」 for 现行有效件数).
_MEASURES = [
    ("本年制发件数", "issued"),
    ("本年废止件数", "repealed"),
    ("现行有效件数", "in_force"),
    ("本年新制作数量", "new_made"),
    ("本年新公开数量", "new_published"),
    ("对外公开总数量", "total_published"),
    ("上一年项目数量", "last_year_items"),
    ("本年增减", "change"),
    ("采购项目数量", "items"),
    ("采购总金额", "amount"),
    ("本年收费金额", "amount"),
    ("处理决定数量", "decisions"),
]
_FORMAT_MARKS = {
    "2019": ["本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "其他对外管理服务", "政府集中采购"],
    "2021": ["本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"],
}
_APPLICATION_HEADER = ("申请人情况", "自然人", "商业企业", "勾稽关系", "法人或其他组织")
_NUMBERING = re.compile(r"^(\(?[一二三四五六七八九十\d]{1,2}[)\.、,]?)+")
PRINTED, INFERRED, BLANK, UNREADABLE = "printed", "inferred", "blank", "unreadable"


@dataclass
class Statistics:
    table_format: str | None = None
    active_disclosure: dict | None = None
    applications: dict | None = None
    review_litigation: dict | None = None
    from_image: bool = False
    warnings: list[str] = field(default_factory=list)
    cells: dict = field(default_factory=lambda: {"inferred": [], "blank": [], "unreadable": []})


@dataclass
class _Row:
    label_cells: list[Cell]
    values: list[Cell]  # the cells after the last label, blanks kept
    table: int
    from_end: bool = False  # positions counted from the row's end (extract.model.Table.cells_from_end)
    labels: list[str] = field(init=False)  # normalized label texts

    def __post_init__(self):
        self.labels = [normalize(c.text) for c in self.label_cells]

    @property
    def has_values(self) -> bool:
        """Whether the row prints anything in its value cells (a number, a dash)."""
        return any(v.text.strip() for v in self.values)

    def has_cells(self, slots: int) -> bool:
        """Whether the row has a value cell for each of `slots` columns, printed or empty: a row of empty cells
        is a row whose values are all blank, or the rest of a wrapped label whose cells are merged down from
        the row above (the alignment tells which by the label). A row of label cells only, or with fewer
        empty cells than columns (the label's own merged cells, as a text copy spells them out), is part of
        a label."""
        return self.has_values or len(self.values) >= slots

    def printed(self, label: str, slots: int) -> Printed:
        return Printed(label, self.has_values, self.has_cells(slots))


class _Grid:
    """Each cell's value and provenance by contract path, filled by the table readers, then solved."""

    def __init__(self, warnings: list[str]):
        self.values: dict[str, float | None] = {}
        self.status: dict[str, str] = {}
        self.warnings = warnings

    def put(self, path: str, cell: Cell | None, where: str) -> None:
        if cell is None:
            self.values[path], self.status[path] = None, BLANK
            return
        kind = classify(cell.text)
        shown = cell.text.strip() or "blank"
        value = parse_number(cell.text) if kind == NUMBER else None
        if value is not None and abs(value) >= LIMIT:
            self.warnings.append(f"{where}: {shown!r} is beyond any plausible value, unreadable")
            value, kind = None, "implausible"
        self.values[path] = value
        if value is not None:
            self.status[path] = PRINTED
        elif kind == EMPTY:
            self.status[path] = BLANK
            self.warnings.append(f"{where}: no value given ({shown!r}), left null")
        else:
            self.status[path] = UNREADABLE
            if kind != "implausible":
                self.warnings.append(f"{where}: unreadable cell {shown!r}, left null")

    def missing(self, path: str) -> None:
        self.values[path], self.status[path] = None, BLANK


def read_statistics(tables: list[Table]) -> Statistics:
    rows = [_Row(*_split(cells), i, t.cells_from_end) for i, t in enumerate(tables) for cells in _rows_of(t)]
    out = Statistics()
    out.table_format = _detect_format(rows)
    fmt = out.table_format or "2021"
    used: set[int] = set()
    grid = _Grid(out.warnings)
    region = _region(rows)
    out.active_disclosure = _read_active(rows, fmt, used, grid, region)
    app = _read_applications(rows, region, out.table_format, used, grid)
    out.review_litigation = _read_review(rows, used, grid)
    if app is not None:
        fmt = app["format"]
        out.table_format = out.table_format or fmt
    _solve(grid, app, out)
    out.applications = app and {code: {a: grid.values[f"applications.{code}.{a}"] for a in APPLICANTS}
                                for code in ROW_CODES[app["format"]]}
    if out.review_litigation is not None:
        out.review_litigation = {kind: {o: grid.values[f"review_litigation.{kind}.{o}"] for o in OUTCOMES}
                                 for kind in REVIEW_KINDS}
    if out.active_disclosure is not None:
        out.active_disclosure = {item: {f: grid.values[f"active_disclosure.{item}.{f}"] for f in fields}
                                 for item, fields in ACTIVE_FIELDS[fmt].items()}
    if out.table_format is None and (out.applications or out.active_disclosure):
        out.table_format = fmt
    out.from_image = any(tables[i].from_image for i in used)
    return out


def _rows_of(table: Table) -> list[list[Cell]]:
    """The table's rows; a row that strings several label-and-numbers rows together (text pasted one cell
    per line without row breaks) is cut where numbers give way to a label again."""
    out = []
    for cells in table.rows:
        kinds = [classify(c.text) for c in cells]
        starts = [i for i in range(1, len(cells)) if kinds[i] == TEXT and kinds[i - 1] != TEXT]
        pieces = [cells[a:b] for a, b in zip([0, *starts], [*starts, len(cells)])]
        numbered = sum(any(classify(c.text) == NUMBER for c in piece) for piece in pieces)
        if len(cells) > 12 and numbered > 1 and table.cells_from_end:
            # places counted from the end of the long row are not the pieces' columns
            out.extend([Cell(c.text) for c in piece] for piece in pieces)
        elif len(cells) > 12 and numbered > 1:
            out.extend(pieces)
        else:
            out.append(cells)
    return out


def _split(cells: list[Cell]) -> tuple[list[Cell], list[Cell]]:
    kinds = [classify(c.text) for c in cells]
    last = max((i for i, k in enumerate(kinds) if k == TEXT), default=-1)
    labels = [c for c, k in zip(cells[: last + 1], kinds) if k == TEXT]
    return labels, cells[last + 1:]


def _detect_format(rows: list[_Row]) -> str | None:
    votes = {"2019": 0, "2021": 0}
    for row in rows:
        joined = "".join(row.labels)
        for fmt, marks in _FORMAT_MARKS.items():
            votes[fmt] += sum(m in joined for m in marks)
    if not any(votes.values()):
        return None
    return max(votes, key=lambda f: votes[f])


def _trimmed(values: list[Cell]) -> list[Cell]:
    """Empty cells at both ends dropped: without positions they cannot be told from an empty label column. A
    dash or a slash is a cell the table printed, and stays."""
    values = list(values)
    while values and not values[-1].text.strip():
        values.pop()
    while values and not values[0].text.strip():
        values.pop(0)
    return values


def _place(values: list[Cell], slots: int, centers: list[float] | None, from_end: bool = False,
           lossy: bool = False) -> list[Cell | None] | None:
    """The row's cells in its columns, or None when neither counts nor positions decide.

    The cells between the first and last printed one fill the columns when they are exactly as many (spans
    are often off by one in real markup, counts are not). Otherwise, with positions (grid columns, x
    coordinates) and the table's column centers, each printed cell goes to the nearest column and the rest
    are blank.

    Places counted from the row's end (`from_end`, text) are positions only while no cell is lost: not in a
    row with fewer cells than columns, nor in any row of a table where such a row shows that cells get lost
    (`lossy`): there an empty cell at a row's edge may stand for a lost one, and it cannot be told which."""
    positioned = bool(values) and all(v.center is not None for v in values) and \
        not (from_end and (lossy or len(values) < slots))
    trimmed = _trimmed(values)
    if len(trimmed) == slots:
        return trimmed
    if positioned and centers and len(centers) == slots:
        placed = _by_position([v for v in values if classify(v.text) != EMPTY], centers)
        if placed is not None:  # an empty or dashed cell under a column is that column's blank
            for v, i in _nearest([v for v in values if classify(v.text) == EMPTY], centers):
                if i is not None and placed[i] is None:
                    placed[i] = v
        return placed
    if positioned and len(values) == slots:
        return list(values)
    return None


def _nearest(values: list[Cell], centers: list[float]) -> list[tuple[Cell, int | None]]:
    """Each value with the column whose center is nearest, or None when it is nearer no column than half
    the columns' smallest gap."""
    gaps = [b - a for a, b in zip(centers, centers[1:])]
    tolerance = min(gaps) / 2 if gaps else float("inf")
    out = []
    for v in values:
        i = min(range(len(centers)), key=lambda k: abs(centers[k] - v.center))
        out.append((v, i if abs(centers[i] - v.center) <= tolerance else None))
    return out


def _by_position(values: list[Cell], centers: list[float]) -> list[Cell | None] | None:
    """Values placed in the column whose center is nearest, or None when positions cannot decide."""
    placed: list[Cell | None] = [None] * len(centers)
    for v, i in _nearest(values, centers):
        if i is None or placed[i] is not None:
            return None
        placed[i] = v
    return placed


# --- active disclosure (二、主动公开政府信息情况) -------------------------------------------------


ACTIVE_CLEAR, ACTIVE_FLOOR = 0.7, 0.4  # an item label that names its row clearly; the least a placed one says


def _active_label(labels: list[str]) -> str:
    """The words of an active-disclosure row's own label (its last label cell) as the alignment reads them; ''
    for a 信息内容 header row or a label too long to name an item."""
    if not labels or labels[0].startswith("信息内容"):
        return ""
    last = clean_label(labels[-1])
    return last if len(last) <= 14 else ""


def _header_measures(cells: list[Cell]) -> tuple[list[str], list[float] | None]:
    """The measures a 信息内容 header row names, and where their columns sit."""
    measures, centers = [], []
    for cell in cells:
        text = clean_label(cell.text)
        score, measure = max((label_score(text, name), measure) for name, measure in _MEASURES)
        if score >= 0.6:
            measures.append(measure)
            centers.append(cell.center)
    return measures, (centers if None not in centers else None)


def _read_active(rows: list[_Row], fmt: str, used: set[int], grid: _Grid, app_region: list[int]) -> dict | None:
    """The active-disclosure table: its item rows aligned to the items' official sequence as a whole (a
    misprinted or wrapped label is placed by the rows around it, as in the applications table), each row's
    values placed under the measures of the 信息内容 header above it."""
    fields = ACTIVE_FIELDS[fmt]
    found: dict[str, dict] = {}
    tables_used: set[int] = set()
    mark = len(grid.warnings)
    staged: dict[str, Cell | None] = {}
    # the rows before the applications table and the review table (all rows when neither is found)
    end = app_region[0] if app_region else next((i for i, r in enumerate(rows) if _is_review_header(r)), len(rows))
    headers: dict[int, tuple[list[str], list[float] | None]] = {}
    header: tuple[list[str], list[float] | None] = ([], None)
    candidates = []
    for i, row in enumerate(rows[:end]):
        if row.labels and row.labels[0].startswith("信息内容"):
            header = _header_measures(row.label_cells[1:])
            continue
        headers[i] = header
        candidates.append(i)
    # Both formats' items in table order (the 2021 format's are a subsequence); an item the format lacks
    # costs nothing to leave out, and is dropped with a warning when printed.
    official = [Official(item, [name], 0.6 if item in fields else 0.0) for item, name in ACTIVE_ITEMS.items()]
    labels = [_active_label(rows[i].labels) for i in candidates]
    placed_rows = align([rows[i].printed(label, len(headers[i][0]) or 1) for i, label in zip(candidates, labels)],
                        official)
    # A row placed by its neighbours must still name its item somewhat, and the table is this one only when
    # two of its rows name their items clearly (a table of other statistics aligns to nothing).
    scores = {item: label_score("".join(labels[k] for k in ks), ACTIVE_ITEMS[item]) for item, ks in placed_rows.items()}
    placed_rows = {item: ks for item, ks in placed_rows.items() if scores[item] >= ACTIVE_FLOOR}
    if sum(scores[item] >= ACTIVE_CLEAR for item in placed_rows) < 2:
        return None
    chosen = []
    for item in ACTIVE_ITEMS:
        if item not in placed_rows:
            continue
        indexes = [candidates[k] for k in placed_rows[item]]
        i = next((i for i in indexes if rows[i].has_values), None)
        i = i if i is not None else next(i for i in indexes if rows[i].has_cells(1))
        measures, header_centers = headers[i]
        chosen.append((item, rows[i], measures or fields.get(item, []), header_centers))
    lossy = {row.table for _, row, measures, _ in chosen if row.from_end and 0 < len(row.values) < len(measures)}
    for item, row, measures, header_centers in chosen:
        placed = _place(row.values, len(measures), header_centers, row.from_end, row.table in lossy)
        where = f"active_disclosure.{item}"
        found[item] = {}
        tables_used.add(row.table)
        if placed is None:
            grid.warnings.append(f"{where}: {len(_trimmed(row.values))} values for {len(measures)} columns, not placed")
            continue
        for measure, cell in zip(measures, placed):
            if measure in fields.get(item, []):
                found[item][measure] = True
                staged[f"{where}.{measure}"] = cell
            elif cell is not None and classify(cell.text) == NUMBER:
                grid.warnings.append(f"{where}: {measure} = {cell.text.strip()} has no field in the {fmt} format, "
                                     "dropped")
    if len(found) < 2:
        del grid.warnings[mark:]
        return None
    used |= tables_used
    for item, names in fields.items():
        if item not in found:
            grid.warnings.append(f"active_disclosure.{item}: row not found, left null")
        for name in names:
            path = f"active_disclosure.{item}.{name}"
            if path in staged:
                grid.put(path, staged[path], path)
            else:
                grid.missing(path)
    return {}


# --- applications (三、收到和处理政府信息公开申请情况) --------------------------------------------

# （六）其他处理 is one row in the 2019 format and three in the 2021 one; either form is complete.
_OFFICIAL = [Official(code, ROW_KEYS[code], 0.0 if code == "3.6" else 0.25 if code in OTHER_HANDLING else 0.6,
                      -0.05 if code == "3.6" else 0.0, len(OTHER_HANDLING) if code == "3.6" else 0)
             for code in PRINTED_ROWS]


def _region(rows: list[_Row]) -> list[int]:
    """Indexes of the rows from the applications table's first row (or header) to its last."""
    start = None
    for i, row in enumerate(rows):
        label = clean_label("".join(row.labels))
        wrapped = label + clean_label("".join(rows[i + 1].labels)) if i + 1 < len(rows) else label
        if any(h in "".join(row.labels) for h in _APPLICATION_HEADER) or \
                max(label_score(label, "本年新收政府信息公开申请数量"), label_score(wrapped, "本年新收政府信息公开申请数量")) >= 0.8:
            start = i
            break
    if start is None:
        return []
    end = min(len(rows), start + 60)
    for i in range(start + 1, end):
        label = clean_label("".join(rows[i].labels))
        if label_score(label, "结转下年度继续办理") >= 0.8 and rows[i].has_cells(len(APPLICANTS)):
            return list(range(start, i + 1))
        if _is_review_header(rows[i]):
            return list(range(start, i))
    return list(range(start, end))


def _read_applications(rows, region: list[int], marked_format: str | None, used, grid) -> dict | None:
    """The applications table (its rows: `region`); its format is the one the active-disclosure table marks,
    else the one its own （六） rows show."""
    if not region:
        return None
    printed = [rows[i].printed(clean_label("".join(rows[i].labels)), len(APPLICANTS)) for i in region]
    placed = align(printed, _OFFICIAL)
    found = {code: [rows[region[k]] for k in ks] for code, ks in placed.items()}
    if len(found) < 3 or not found.keys() & {"1", "3.7", "4"}:
        return None  # a phrase or two in another table (the pre-2019 统计表 has 部分公开 too), not this one
    sub_rows = [c for c in OTHER_HANDLING if c in found]
    table_format = marked_format or ("2019" if "3.6" in found and not sub_rows else "2021")
    centers = _column_centers([r for rs in found.values() for r in rs], len(APPLICANTS))
    lossy = {r.table for rs in found.values() for r in rs if r.from_end and 0 < len(r.values) < len(APPLICANTS)}
    ambiguous = {}
    for code in PRINTED_ROWS:
        if code not in found:
            continue
        with_values = [r for r in found[code] if r.has_values] or \
            [r for r in found[code] if r.has_cells(len(APPLICANTS))] or found[code]
        row = with_values[0]
        for r in with_values:
            used.add(r.table)
        where = f"applications {code}"
        cells = _place(row.values, len(APPLICANTS), centers.get(row.table), row.from_end, row.table in lossy)
        if cells is None:
            ambiguous[code] = _trimmed(row.values)
            for a in APPLICANTS:
                grid.missing(f"applications.{code}.{a}")
            continue
        for a, cell in zip(APPLICANTS, cells):
            grid.put(f"applications.{code}.{a}", cell, f"{where} {a}")
        missing = [a for a, c in zip(APPLICANTS, cells) if c is None]
        if missing:
            grid.warnings.append(f"{where}: no cell for {', '.join(missing)}, left null")
    rows_kept = ROW_CODES[table_format]
    for code in PRINTED_ROWS:
        if code not in found and code in rows_kept and not (code == "3.6" and sub_rows) and \
                not (code in OTHER_HANDLING and "3.6" in found):
            grid.warnings.append(f"applications {code}: row not found, left null")
        for a in APPLICANTS:
            grid.values.setdefault(f"applications.{code}.{a}", None)
            grid.status.setdefault(f"applications.{code}.{a}", BLANK)
    app = {"format": table_format, "aux": [c for c in ("3.6", *OTHER_HANDLING) if c not in rows_kept]}
    for code, values in ambiguous.items():
        _place_by_arithmetic(grid, code, values, app)
    return app


def _column_centers(rows: list[_Row], slots: int) -> dict[int, list[float]]:
    """Per table, the median position of each value column among that table's complete rows."""
    samples: dict[int, list[list[float]]] = {}
    for row in rows:
        values = row.values if len(row.values) == slots else _trimmed(row.values)
        if len(values) == slots and all(v.center is not None for v in values):
            samples.setdefault(row.table, []).append([v.center for v in values])
    return {t: [median(col) for col in zip(*rows_)] for t, rows_ in samples.items()}


def _place_by_arithmetic(grid: _Grid, code: str, values: list[Cell], app: dict) -> None:
    """A row with fewer numbers than columns and no positions: try every way its numbers can sit in order in
    the seven columns, and keep the one placement the table's equations accept, if exactly one does."""
    where = f"applications {code}"
    eqs = [e for e in _equations(app) if any(p.startswith(f"applications.{code}.") for p in (*e.left, *e.right))]
    fits = []
    if 0 < len(values) < len(APPLICANTS) and len(APPLICANTS) - len(values) <= 2:
        for slots in combinations(range(len(APPLICANTS)), len(values)):
            trial = dict(grid.values)
            for slot, cell in zip(slots, values):
                trial[f"applications.{code}.{APPLICANTS[slot]}"] = parse_number(cell.text)
            if _feasible(trial, eqs):
                fits.append(slots)
    if len(fits) != 1:
        grid.warnings.append(f"{where}: {len(values)} values for {len(APPLICANTS)} columns, not placed")
        return
    for slot, cell in zip(fits[0], values):
        grid.put(f"applications.{code}.{APPLICANTS[slot]}", cell, f"{where} {APPLICANTS[slot]}")
    grid.warnings.append(f"{where}: {len(values)} values for {len(APPLICANTS)} columns, placed by the table's sums")


def _feasible(values: dict, eqs: list[Equation]) -> bool:
    """Whether non-negative values for the unknowns can satisfy every equation (each taken alone)."""
    for eq in eqs:
        terms = [(p, 1) for p in eq.left] + [(p, -1) for p in eq.right]
        known = sum(c * values[p] for p, c in terms if values.get(p) is not None)
        unknown = {c for p, c in terms if values.get(p) is None}
        if not unknown and abs(known) > 1e-9:
            return False
        if unknown == {1} and known > 1e-9 or unknown == {-1} and known < -1e-9:
            return False
    return True


# --- administrative review and litigation (四、行政复议、行政诉讼) ---------------------------------


def _is_review_header(row: _Row) -> bool:
    joined = "".join(row.labels)
    # The table's header row, not a sentence of prose that names both (OCR keeps prose as rows).
    return "行政复议" in joined and ("行政诉讼" in joined or "维持" in joined) and len(joined) <= 40


def _read_review(rows: list[_Row], used: set[int], grid: _Grid) -> dict | None:
    slots = len(REVIEW_KINDS) * len(OUTCOMES)
    start = next((i for i, row in enumerate(rows) if _is_review_header(row)), None)
    if start is None:
        return None
    header_cells: list[Cell] = []
    collected: list[Cell] = []
    table = None
    from_end = False

    def printed(row):
        """Numbers; or a row of dashes the table printed for its zeros; or, with no label, a row of cells that
        are all blank or dashes (a table with nothing to count prints its values row empty)."""
        if any(classify(v.text) == NUMBER for v in row.values):
            return True
        if len(_trimmed(row.values)) >= len(OUTCOMES) and all(v.text.strip() for v in _trimmed(row.values)):
            return True
        return not row.label_cells and len(row.values) >= len(OUTCOMES) and \
            all(classify(v.text) == EMPTY for v in row.values)

    for row in rows[start:]:
        if row.label_cells and not printed(row):
            if collected:
                break
            header_cells += [c for c in row.label_cells if clean_label(c.text) in OUTCOME_LABELS]
            continue
        if not printed(row):
            continue
        collected.extend(row.values)
        table, from_end = row.table, row.from_end
        if len(collected) >= slots:
            break
    if not collected:
        return None
    used.add(table)
    centers = sorted({c.center for c in header_cells if c.center is not None})
    cells = _place(collected, slots, centers if len(centers) == slots else None, from_end)
    if cells is None:
        grid.warnings.append(f"review_litigation: {len(_trimmed(collected))} values for {slots} columns, not placed")
        cells = [None] * slots
    for i, cell in enumerate(cells):
        kind, outcome = REVIEW_KINDS[i // 5], OUTCOMES[i % 5]
        path = f"review_litigation.{kind}.{outcome}"
        grid.put(path, cell, path)
    return {}


# --- the arithmetic ------------------------------------------------------------------------------


def _equations(app: dict | None) -> list[Equation]:
    if app is None:
        return equations(None, applications_rows=[], review=True)
    eqs = equations(app["format"], applications_rows=ROW_CODES[app["format"]] + app["aux"])
    return eqs + other_handling_sum()


def _solve(grid: _Grid, app: dict | None, out: Statistics) -> None:
    forced = force(grid.values, _equations(app))
    for path, value in sorted(forced.items(), key=lambda kv: _order(kv[0])):
        grid.values[path] = value
        grid.status[path] = INFERRED
        table, rest = path.split(".", 1)
        if table == "applications":
            code, column = rest.rsplit(".", 1)
            if app and code in app["aux"]:
                continue
            out.warnings.append(f"applications {code} {column}: inferred {value} (forced by the table's sums; "
                                "counts are non-negative)")
        else:
            out.warnings.append(f"{path}: inferred {value} (forced by the table's sums; counts are non-negative)")
    aux = {f"applications.{c}" for c in (app or {}).get("aux", [])}
    for path, status in sorted(grid.status.items(), key=lambda kv: _order(kv[0])):
        if status == PRINTED or path.rsplit(".", 1)[0] in aux:
            continue
        out.cells[status].append(path)


def _order(path: str) -> tuple:
    table, rest = path.split(".", 1)
    return (["active_disclosure", "applications", "review_litigation"].index(table), rest)
