"""Plain text as copy-paste leaves it.

Copying a report out of a browser or a Word window gives one of two layouts: a table row per line with
cells separated by tabs, or one cell per line (each starting with a tab, a cell's own line breaks
continuing without one) with a blank line between rows. Positions are not kept: a pasted row's tab count
depends on its merged cells, not on its columns. `[image: …]` marks where the page had a picture.
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
    rows = _cell_per_line_rows(lines) if one_per_line else _tab_rows(lines)
    tables = [Table(rows)] if rows else []
    clean = _IMAGE.sub("", re.sub(r"\[bookmark:[^\]]*\]", "", text))
    return Parsed(text=clean.strip(), tables=tables, images=_IMAGE.findall(text))


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.count("\t") == 1


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
