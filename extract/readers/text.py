"""Plain text as copy-paste leaves it.

Copying a report out of a browser or a Word window gives one of two layouts: a table row per line with
cells separated by tabs, or one cell per line (each starting with a tab, a cell's own line breaks
continuing without one) with a blank line between rows. Converters write Markdown/pipe tables (`| a | b |`,
with a `|---|` rule under the header), and plain-text exports align cells with runs of spaces.

Tabs, pipes and one cell per line keep every cell of a row, empty ones included, but not the table's grid: a
pasted row's tab count depends on its merged cells (a label spanning three columns is one cell, a cell merged
down from the row above is left out or left empty). The value columns are the last of every row, so a cell's
position is counted from the row's end (the last cell is column -1), which puts a row's values under its
header's measures whichever merges its labels had, and keeps a blank first or last value in its column. The
table reader trusts these places only while no row of the table shows a lost cell (fewer value cells than
columns: Table.cells_from_end). Runs of spaces drop empty cells altogether: those rows have no positions, and
the table reader places their numbers by count and by the table's sums. `[image: …]` marks where the page had
a picture.
"""
from __future__ import annotations

import re

from extract.model import Cell, Parsed, Table

_IMAGE = re.compile(r"\[image:\s*([^\]]*)\]")


def read_text(text: str) -> Parsed:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    tab_lines = [line for line in lines if "\t" in line]
    one_per_line = tab_lines and sum(_is_cell_line(line) for line in tab_lines) > 0.8 * len(tab_lines)
    from_end = True
    if sum(_is_pipe_row(line) for line in lines) >= 3:
        rows = _grid_rows(_pipe_blocks(lines))
    elif one_per_line:
        rows = _cell_per_line_rows(lines)
    elif tab_lines:
        rows = _grid_rows(_tab_blocks(lines))
    else:
        rows, from_end = _spaced_rows(lines), False
    tables = [Table(rows, cells_from_end=from_end)] if rows else []
    clean = _IMAGE.sub("", re.sub(r"\[bookmark:[^\]]*\]", "", text))
    return Parsed(text=clean.strip(), tables=tables, images=_IMAGE.findall(text))


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.count("\t") == 1


_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SPACES = re.compile(r"\s{2,}|\u3000+")
_NUMBER = re.compile(r"[\d,.]+")


def _is_pipe_row(line: str) -> bool:
    return line.strip().startswith("|") and line.count("|") >= 3


def _positioned(texts: list[str]) -> list[Cell]:
    """A row of explicit cells, each at its column counted from the row's end."""
    n = len(texts)
    return [Cell(t, i - n, i - n + 1) for i, t in enumerate(texts)]


def _grid_rows(blocks: list[list[list[str]]]) -> list[list[Cell]]:
    """Rows of tab- or pipe-separated cells, each cell at its place from the row's end."""
    return [_positioned(r) for block in blocks for r in block]


def _pipe_blocks(lines: list[str]) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = []
    previous = False
    for line in lines:
        if not _is_pipe_row(line):
            previous = False
            continue
        if _PIPE_RULE.match(line):
            continue
        body = line.strip()
        body = body[1:] if body.startswith("|") else body
        body = body[:-1] if body.endswith("|") else body
        if not previous:
            blocks.append([])
        blocks[-1].append([c.strip() for c in body.split("|")])
        previous = True
    return blocks


def _spaced_rows(lines: list[str]) -> list[list[Cell]]:
    """Rows whose cells are set apart by two or more spaces (or ideographic spaces) and that carry a number."""
    rows = []
    for line in lines:
        cells = [c for c in _SPACES.split(line.strip()) if c]
        if len(cells) >= 2 and any(_NUMBER.fullmatch(c) for c in cells):
            rows.append([Cell(c) for c in cells])
    return rows


def _tab_blocks(lines: list[str]) -> list[list[list[str]]]:
    """A row per line with tabs, consecutive ones a table; a line without a tab inside a table (between two
    rows) is a row whose only cell is its label (a label wrapped onto a line of its own)."""
    blocks: list[list[list[str]]] = []
    previous = False
    for i, line in enumerate(lines):
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
        elif line.strip() and 0 < i < len(lines) - 1 and "\t" in lines[i - 1] and "\t" in lines[i + 1]:
            cells = [line.strip()]
        else:
            previous = False
            continue
        if not previous:
            blocks.append([])
        blocks[-1].append(cells)
        previous = True
    return blocks


def _cell_per_line_rows(lines: list[str]) -> list[list[Cell]]:
    """One cell per line (as a browser copies a table): a row's cells are all there, empty ones included, and
    a cell merged down from the row above is left out, so the value cells are the row's last."""
    rows, row = [], []
    for line in lines + [""]:
        if not line.strip() and not line.startswith("\t"):
            if row:
                rows.append(_positioned(row))
            row = []
        elif line.startswith("\t"):
            row.append(line.strip())
        elif row:
            row[-1] += line.strip()
    return rows
