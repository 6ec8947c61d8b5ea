"""Plain text as copy-paste leaves it.

Copying a report out of a browser or a Word window gives one of two layouts: a table row per line with
cells separated by tabs, or one cell per line (each starting with a tab, a cell's own line breaks
continuing without one) with a blank line between rows. Converters write Markdown/pipe tables (`| a | b |`,
with a `|---|` rule under the header), and plain-text exports align cells with runs of spaces. Positions are
not kept: a pasted row's tab count depends on its merged cells, not on its columns; the table reader places
numbers by count and by the table's sums. `[image: …]` marks where the page had a picture.
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
    if sum(_is_pipe_row(line) for line in lines) >= 3:
        rows = _pipe_rows(lines)
    elif one_per_line:
        rows = _cell_per_line_rows(lines)
    elif tab_lines:
        rows = _tab_rows(lines)
    else:
        rows = _spaced_rows(lines)
    tables = [Table(rows)] if rows else []
    clean = _IMAGE.sub("", re.sub(r"\[bookmark:[^\]]*\]", "", text))
    return Parsed(text=clean.strip(), tables=tables, images=_IMAGE.findall(text))


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.count("\t") == 1


_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SPACES = re.compile(r"\s{2,}|\u3000+")


def _is_pipe_row(line: str) -> bool:
    return line.strip().startswith("|") and line.count("|") >= 3


def _pipe_rows(lines: list[str]) -> list[list[Cell]]:
    rows = []
    for line in lines:
        if not _is_pipe_row(line) or _PIPE_RULE.match(line):
            continue
        cells = line.strip().strip("|").split("|")
        rows.append([Cell(c.strip()) for c in cells])
    return rows


def _spaced_rows(lines: list[str]) -> list[list[Cell]]:
    """Rows whose cells are set apart by two or more spaces (or ideographic spaces) and that carry a number."""
    rows = []
    for line in lines:
        cells = [c for c in _SPACES.split(line.strip()) if c]
        if len(cells) >= 2 and any(re.fullmatch(r"[\d,.]+", c) for c in cells):
            rows.append([Cell(c) for c in cells])
    return rows


def _tab_rows(lines: list[str]) -> list[list[Cell]]:
    return [[Cell(c.strip()) for c in line.split("\t")] for line in lines if "\t" in line]


def _cell_per_line_rows(lines: list[str]) -> list[list[Cell]]:
    rows, row = [], []
    for line in lines + [""]:
        if not line.strip() and not line.startswith("\t"):
            if row:
                rows.append(row)
            row = []
        elif line.startswith("\t"):
            row.append(Cell(line.strip()))
        elif row:
            row[-1].text += line.strip()
    return rows
