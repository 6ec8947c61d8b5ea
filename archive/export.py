"""`nianbao export`: the archive's tables as CSV or Parquet files for researchers.

The long tables as they are, and `reports_wide`: one row per report (latest version) with a column per
table value, named `applications.3.1.total`, `active_disclosure.licensing.decisions`,
`review_litigation.review.upheld`, so a spreadsheet or a notebook needs no joins.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from archive.build import ARCHIVE
from archive.tables import KEYS

LONG_TABLES = ["reports", "active_disclosure", "applications", "review_litigation", "checks", "report_files", "sites",
               "crawl_runs", "crawl_run_sites"]
REPORT_FIELDS = ["id", "report_key", "version", "agency", "province", "city", "county", "year", "title", "published",
                 "table_format", "tables_as_images", "checks_failed", "url"]


class ExportError(Exception):
    pass


def wide(db: sqlite3.Connection) -> pd.DataFrame:
    out = pd.read_sql(f"SELECT {', '.join(REPORT_FIELDS)} FROM reports WHERE is_latest = 1 ORDER BY id", db)
    for table, (first, second) in KEYS.items():
        long = pd.read_sql(f"SELECT t.report_id, t.{first}, t.{second}, t.value FROM {table} t"
                           " JOIN reports r ON r.id = t.report_id WHERE r.is_latest = 1", db)
        if long.empty:
            continue
        long["column"] = table + "." + long[first] + "." + long[second]
        pivot = long.pivot_table(index="report_id", columns="column", values="value", aggfunc="first", dropna=False)
        out = out.merge(pivot, left_on="id", right_index=True, how="left")
    return out


def export(data_dir: str | Path, fmt: str, out_dir: str | Path | None = None) -> list[Path]:
    data = Path(data_dir)
    archive = data / ARCHIVE
    if not archive.exists():
        raise ExportError(f"no archive in {data}: run `nianbao build --data {data_dir}` first")
    if fmt not in ("csv", "parquet"):
        raise ExportError("--format must be csv or parquet")
    folder = Path(out_dir) if out_dir else data / "export"
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    written = []
    try:
        frames = {name: pd.read_sql(f"SELECT * FROM {name}", db) for name in LONG_TABLES}
        frames["reports_wide"] = wide(db)
    finally:
        db.close()
    for name, frame in frames.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, encoding="utf-8-sig")  # the BOM lets Excel read the Chinese
        else:
            frame.to_parquet(path, index=False)
        written.append(path)
    return written
