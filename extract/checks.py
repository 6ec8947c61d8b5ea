"""The contract's four rules: does the report's own arithmetic agree?

One entry per rule and scope. `ok` is true or false when every number the rule needs is there, and
null when one is missing (a check that could not be made is not a pass).
"""
from __future__ import annotations

from extract.schema import equations


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
    """One entry per equation of extract.schema (the same arithmetic the solver fills blanks with)."""
    tables = {"applications": applications or {}, "review_litigation": review or {}}

    def value(path: str):
        table, rest = path.split(".", 1)
        row, column = rest.rsplit(".", 1)
        return tables[table][row][column]

    checks = []
    rows = list(applications) if applications else []
    for eq in equations(table_format, applications_rows=rows, review=bool(review)):
        if eq.rule.startswith("applications.") and not applications:
            continue
        checks.append(_entry(eq.rule, eq.scope, [value(p) for p in eq.left], [value(p) for p in eq.right]))
    return checks
