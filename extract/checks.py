"""The contract's four rules: does the report's own arithmetic agree?

One entry per rule and scope. `ok` is true or false when every number the rule needs is there, and
null when one is missing (a check that could not be made is not a pass).
"""
from __future__ import annotations

from extract.statistics import APPLICANTS, OUTCOMES, RESULT_ROWS


def _fmt(values: list) -> str:
    return " + ".join("?" if v is None else _num(v) for v in values)


def _num(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _entry(rule: str, scope: str, left: list, right: list) -> dict:
    message = f"{_fmt(left)} = {_fmt(right)}"
    if None in left or None in right:
        return {"rule": rule, "scope": scope, "ok": None, "message": f"not checked, a value is missing: {message}"}
    ok = abs(sum(left) - sum(right)) < 1e-9
    if not ok:
        message = f"{_fmt(left)} = {_num(sum(left))} ≠ {_num(sum(right))} = {_fmt(right)}"
    return {"rule": rule, "scope": scope, "ok": ok, "message": message}


def check_report(table_format: str | None, applications: dict | None, review: dict | None) -> list[dict]:
    checks = []
    if applications:
        results = [r for r in RESULT_ROWS[table_format or "2021"] if r in applications]
        for a in APPLICANTS:
            col = {code: row[a] for code, row in applications.items()}
            checks.append(_entry("applications.balance", a, [col["1"], col["2"]], [col["3.7"], col["4"]]))
        for a in APPLICANTS:
            col = {code: row[a] for code, row in applications.items()}
            checks.append(_entry("applications.results_sum", a, [col["3.7"]], [col[r] for r in results]))
        for code, row in applications.items():
            checks.append(_entry("applications.row_total", code, [row["total"]], [row[a] for a in APPLICANTS[:-1]]))
    if review:
        for kind, group in review.items():
            checks.append(_entry("review_litigation.total", kind, [group["total"]], [group[o] for o in OUTCOMES[:-1]]))
    return checks
