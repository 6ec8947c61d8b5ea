"""A merged report as rows of the archive's long tables (shared/spec/data-model.md)."""
from __future__ import annotations

from extract.statistics import ROW_LABELS


def active_disclosure(report_id: int, table: dict | None):
    for item, measures in (table or {}).items():
        for measure, value in (measures or {}).items():
            yield {"report_id": report_id, "item": item, "measure": measure, "value": value}


def applications(report_id: int, table: dict | None):
    for code, columns in (table or {}).items():
        for applicant, value in (columns or {}).items():
            yield {"report_id": report_id, "row_code": code, "row_label": ROW_LABELS.get(code), "applicant": applicant,
                   "value": value}


def review_litigation(report_id: int, table: dict | None):
    for kind, outcomes in (table or {}).items():
        for outcome, value in (outcomes or {}).items():
            yield {"report_id": report_id, "kind": kind, "outcome": outcome, "value": value}


def checks(report_id: int, checks: list[dict]):
    for check in checks:
        yield {"report_id": report_id, "rule": check["rule"], "scope": check.get("scope"),
               "ok": None if check.get("ok") is None else int(bool(check["ok"])), "message": check.get("message")}


ROWS = {"active_disclosure": active_disclosure, "applications": applications, "review_litigation": review_litigation}
