"""The agency page (its reports year by year, key figures and a row of check badges per rule) and the
quality overview (the share of reports passing each rule, by year and by province). Latest versions only:
what a reader of the portal sees today."""
from __future__ import annotations

from archive.site.glossary import RULES, failing_query
from archive.tables import KEYS

FIGURES = [  # label, table, row, column
    ("本年新收申请 applications received", "applications", "1", "total"),
    ("上年结转 carried over", "applications", "2", "total"),
    ("办理结果总计 handled", "applications", "3.7", "total"),
    ("结转下年度 carried forward", "applications", "4", "total"),
    ("行政复议 reviews", "review_litigation", "review", "total"),
    ("行政诉讼·直接起诉 lawsuits", "review_litigation", "litigation_direct", "total"),
    ("行政诉讼·复议后起诉 lawsuits after review", "review_litigation", "litigation_after_review", "total"),
    ("行政事业性收费 fees (万元)", "active_disclosure", "fees", "amount"),
]


async def agency(db, name: str) -> dict | None:
    reports = [dict(r) for r in (await db.execute(
        "SELECT id, year, title, published, table_format, checks_failed FROM reports"
        " WHERE agency = ? AND is_latest = 1 AND year IS NOT NULL ORDER BY year", [name])).rows]
    if not reports:
        return None
    ids = [r["id"] for r in reports]
    marks = ",".join("?" * len(ids))
    values = await table_values(db, ids)
    figures = [(label, [values.get((i, table, row, column)) for i in ids]) for label, table, row, column in FIGURES]
    found: dict[tuple, list] = {}
    for report_id, rule, ok, scope, message in (await db.execute(
            f"SELECT report_id, rule, ok, scope, message FROM checks WHERE report_id IN ({marks})", ids)).rows:
        found.setdefault((rule, report_id), []).append((ok, scope, message))
    rules = [rule for rule in RULES if any((rule, i) in found for i in ids)]
    badges = [(rule, RULES[rule].meaning_zh, [_badge(found.get((rule, i))) for i in ids]) for rule in rules]
    return {"agency": name, "reports": reports, "figures": figures, "badges": badges}


async def table_values(db, ids: list[int]) -> dict[tuple, object]:
    """(report id, table, row, column) → value, for the three statistics tables of these reports."""
    marks = ",".join("?" * len(ids))
    values = {}
    for table, (first, second) in KEYS.items():
        for row in (await db.execute(f"SELECT report_id, {first}, {second}, value FROM {table}"
                                     f" WHERE report_id IN ({marks})", ids)).rows:
            values[(row[0], table, row[1], row[2])] = row[3]
    return values


def _badge(entries: list | None) -> dict:
    """✗ when any entry failed, ✓ when all that could be checked passed, – when none could be."""
    if not entries:
        return {"mark": "", "state": "none", "title": "not applied"}
    failed = [f"{scope}: {message}" for ok, scope, message in entries if ok == 0]
    if failed:
        return {"mark": "✗", "state": "failed", "title": "\n".join(failed)}
    if any(ok == 1 for ok, _, _ in entries):
        return {"mark": "✓", "state": "passed", "title": entries[0][2]}
    return {"mark": "–", "state": "unknown", "title": entries[0][2]}


def overview(conn) -> dict:
    """Per rule, the share of latest reports passing it (a report passes when none of its entries for the
    rule failed and at least one passed), by year and by province. Synchronous, on a connection: it reads
    every check, so the site computes it once per served archive, outside the SQL time limit."""
    sql = ("WITH per AS (SELECT c.report_id, c.rule, MIN(c.ok) AS ok FROM checks c WHERE c.ok IS NOT NULL"
           " GROUP BY c.report_id, c.rule)"
           " SELECT per.rule, r.year, r.province, SUM(per.ok), COUNT(*) FROM per JOIN reports r ON r.id = per.report_id"
           " WHERE r.is_latest = 1 GROUP BY per.rule, r.year, r.province")
    found = conn.execute(sql).fetchall()
    out = {}
    for by, at in (("year", 1), ("province", 2)):
        cells: dict[str, dict] = {}
        for row in found:
            rule, key = row[0], row[at] if row[at] is not None else "?"
            passed, checked = cells.setdefault(rule, {}).get(key, (0, 0))
            cells[rule][key] = (passed + row[3], checked + row[4])
        columns = sorted({k for rule in cells.values() for k in rule}, key=str)
        rows = [(rule, RULES[rule].meaning_zh, failing_query(rule),
                 [_share(cells[rule].get(k)) for k in columns]) for rule in RULES if rule in cells]
        out[by] = {"columns": columns, "rows": rows}
    return out


def _share(cell: tuple | None) -> dict | None:
    if not cell:
        return None
    passed, checked = cell
    return {"percent": round(100 * passed / checked), "passed": passed, "checked": checked}
