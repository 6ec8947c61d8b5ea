"""The extracted report as one typed object: the JSON contract of docs/report-json.md, defined here once.

The extractor builds a `Report` and hands out its `to_dict()` (what `nianbao extract --json` prints, what a
build's extraction result file and a Celery task carry); the archive reads those dicts back with
`Report.from_dict`, which checks their shape, so a field is added here and nowhere else, and a result file of
another shape is refused with one line instead of failing deep in the build.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

SCHEMA_VERSION = 2
TABLES = ("active_disclosure", "applications", "review_litigation")  # the three statistics tables, in order
CELL_KINDS = ("inferred", "blank", "unreadable")  # cells' provenance lists; a path in none was printed

Number = int | float
Table = dict[str, dict[str, Number | None]]  # row → column → value (None: not printed, not forced)


class ContractError(ValueError):
    """A dict that is not a report of this contract; the message is one line."""


@dataclass
class Source:
    location: str
    media_type: str
    sha256: str


@dataclass
class Cells:
    """Where the values came from: the paths (`table.row.column`) of the cells that were not printed and read."""

    inferred: list[str] = field(default_factory=list)  # blank or unreadable, and forced by the table's sums
    blank: list[str] = field(default_factory=list)  # blank or a dash, and not forced: null
    unreadable: list[str] = field(default_factory=list)  # present, not readable, not forced: null


@dataclass
class Check:
    """One rule of the table's own arithmetic over one scope (a column, a row, a group)."""

    rule: str
    scope: str
    ok: bool
    message: str


@dataclass
class Report:
    source: Source
    is_annual_report: bool
    title: str | None
    agency: str | None
    year: int | None
    published: str | None  # ISO date
    table_format: str | None  # "2021", "2019", or None without standard tables
    tables_as_images: bool
    active_disclosure: Table | None
    applications: Table | None
    review_litigation: Table | None
    cells: Cells = field(default_factory=Cells)
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict:
        """The contract's JSON object, its keys in the documented order (schema_version first). Shallow: the
        tables are handed out as they are (`dataclasses.asdict` would copy every row, a tenth of an HTML
        report's extraction)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(source=vars(self.source).copy(), cells=vars(self.cells).copy(),
                   checks=[vars(check).copy() for check in self.checks])
        return {"schema_version": out.pop("schema_version"), **out}

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        if not isinstance(data, dict):
            raise ContractError(f"a report is a JSON object, not {type(data).__name__}")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ContractError(f"report schema version {version!r}, this nianbao reads {SCHEMA_VERSION}")
        names = {f.name for f in fields(cls)}
        missing = sorted(n for n in names if n not in data and n not in _DEFAULTED)
        if missing:
            raise ContractError(f"report without {', '.join(missing)}")
        unknown = sorted(set(data) - names)
        if unknown:
            raise ContractError(f"report with unknown keys {', '.join(unknown)}")
        try:
            return cls(**{**data, "source": Source(**data["source"]),
                          "cells": Cells(**(data.get("cells") or {})),
                          "checks": [Check(**c) for c in data.get("checks") or []]})
        except TypeError as e:
            raise ContractError(f"report of the wrong shape: {e}") from None

    def table(self, name: str) -> Table | None:
        return getattr(self, name)

    @property
    def has_tables(self) -> bool:
        return any(self.table(name) for name in TABLES)

    @property
    def tables(self) -> dict[str, Table | None]:
        return {name: self.table(name) for name in TABLES}

    def values(self) -> dict[tuple[str, str, str], Number]:
        return table_values(self.tables)


def table_values(tables: dict[str, Table | None]) -> dict[tuple[str, str, str], Number]:
    """Every non-null value of the statistics tables, keyed by (table, row, column)."""
    out = {}
    for name in TABLES:
        for row, columns in (tables.get(name) or {}).items():
            for column, value in (columns or {}).items():
                if value is not None:
                    out[(name, row, column)] = value
    return out


_DEFAULTED = {"cells", "checks", "warnings", "text"}
