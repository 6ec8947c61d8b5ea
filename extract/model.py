"""The shape every reader hands to the table reader: plain text and tables as rows of cells.

A cell carries its horizontal position when the source has one (grid column for HTML/DOCX/PDF tables,
pixels for OCR). Positions let a row with a missing cell be placed without shifting its neighbours;
copy-pasted text has none, so such rows are only read when they are complete.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    text: str
    x0: float | None = None
    x1: float | None = None

    @property
    def center(self) -> float | None:
        if self.x0 is None or self.x1 is None:
            return None
        return (self.x0 + self.x1) / 2


@dataclass
class Table:
    rows: list[list[Cell]]
    from_image: bool = False
    # Positions count each row's cells from its end (text with explicit cells, no grid): they say where a
    # row's values sit only when it has a cell for every column; a row with fewer has lost one, no one knows
    # which.
    cells_from_end: bool = False


class ExtractError(Exception):
    """A document nianbao cannot read; the message is one line for the user."""


@dataclass
class Parsed:
    """What a reader found in one document."""

    text: str
    tables: list[Table] = field(default_factory=list)
    media_type: str = "text/plain"
    title: str | None = None  # from page metadata (HTML <meta>/<title>), not from the body
    published: str | None = None  # ISO date from page metadata
    agency: str | None = None  # publisher named by page metadata (发布机构)
    images: list[str] = field(default_factory=list)  # pictures in the body that could not be read
    warnings: list[str] = field(default_factory=list)


_STANDARD_TABLE_MARKS = ("信息内容", "本年新收", "行政复议")


def has_standard_tables(tables: list[Table]) -> bool:
    """Whether the document's own tables already show all three statistics tables (so its pictures
    need no OCR)."""
    return names_standard_tables({c.text for t in tables for row in t.rows for c in row})


def names_standard_tables(texts) -> bool:
    """Whether these texts (table cells, or whole tables' text) name all three statistics tables."""
    return all(any(mark in text for text in texts) for mark in _STANDARD_TABLE_MARKS)
