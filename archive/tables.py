"""A merged report as rows of the archive's long tables (docs/data-model.md), as tuples in the
order of COLUMNS: the build inserts millions of them, and dicts through sqlite-utils cost 4× more."""
from __future__ import annotations

from extract.schema import ROW_LABELS

COLUMNS = {
    "active_disclosure": ("report_id", "item", "measure", "value"),
    "applications": ("report_id", "row_code", "row_label", "applicant", "value"),
    "review_litigation": ("report_id", "kind", "outcome", "value"),
    "checks": ("report_id", "rule", "scope", "ok", "message"),
}


def active_disclosure(report_id: int, table: dict | None):
    for item, measures in (table or {}).items():
        for measure, value in (measures or {}).items():
            yield report_id, item, measure, value


def applications(report_id: int, table: dict | None):
    for code, columns in (table or {}).items():
        label = ROW_LABELS.get(code)
        for applicant, value in (columns or {}).items():
            yield report_id, code, label, applicant, value


def review_litigation(report_id: int, table: dict | None):
    for kind, outcomes in (table or {}).items():
        for outcome, value in (outcomes or {}).items():
            yield report_id, kind, outcome, value


def checks(report_id: int, checks: list[dict]):
    for check in checks:
        ok = check.get("ok")
        yield report_id, check["rule"], check.get("scope"), None if ok is None else int(bool(ok)), check.get("message")


# The two columns that place a value in each statistics table.
KEYS = {"active_disclosure": ("item", "measure"), "applications": ("row_code", "applicant"),
        "review_litigation": ("kind", "outcome")}
ROWS = {"active_disclosure": active_disclosure, "applications": applications, "review_litigation": review_litigation}


def insert(conn, table: str, rows) -> None:
    columns = COLUMNS[table]
    conn.executemany(f"INSERT INTO [{table}] ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
