"""The site's Datasette plugin: Chinese search, the report page, charts, and the archived originals.

- `escape_fts` is replaced (registered after Datasette's own, hence `trylast`) by the per-character
  query of archive/search.py, so the table search box and `?_search=` find any Chinese substring.
- `nianbao_match(q)`, `nianbao_contains(title, text, q)` and `nianbao_snippet(text, q)` serve the ranked
  search canned query (exact at any length: it checks the text); a snippet marks
  matches with ⟦ ⟧, which the HTML view turns into <mark> after escaping.
- `/report/<id>`: the three tables laid out as printed, the checks, the source link, the archived
  files and the other versions. `/charts`: applications and outcomes over the years, as inline SVG.
- `/agency/<name>`: an agency's reports year by year with a row of check badges per rule; `/quality`:
  the share of reports passing each rule by year and by province (archive/site/quality.py).
- `/raw/<sha256>`: an archived original from the raw store, sandboxed (a portal's HTML never runs here).

Everything from a portal is shown as text: templates escape it, and no cell is rendered as HTML except
the snippet's marks, which are added after escaping.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive import changes, search
from archive.site import charts, layout, quality
from archive.tables import KEYS

DATABASE = "archive"
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"


def snippet(text, query) -> str:
    return "".join(f"{MARK_OPEN}{piece}{MARK_CLOSE}" if hit else piece for piece, hit in search.snippet(text, query))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, search.match_expression, deterministic=True)
    conn.create_function("nianbao_match", 1, search.match_expression, deterministic=True)
    conn.create_function("nianbao_snippet", 2, snippet, deterministic=True)
    conn.create_function("nianbao_contains", 3, search.contains, deterministic=True)


@hookimpl
def render_cell(row, value, column, table, database):
    if table in ("reports", "reports_wide") and column == "title" and isinstance(value, str) and "id" in row.keys():
        return Markup(f'<a href="/report/{int(row["id"])}">{escape(value)}</a>')
    if column == "snippet" and isinstance(value, str):
        return Markup(str(escape(value)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))
    if column == "report" and isinstance(value, int):
        return Markup(f'<a href="/report/{value}">{value}</a>')
    if column == "agency" and isinstance(value, str) and value:
        return Markup(f'<a href="/agency/{quote(value, safe="")}">{escape(value)}</a>')
    return None


@hookimpl
def register_routes():
    return [
        (r"^/report/(?P<id>\d+)$", report_page),
        (r"^/charts$", charts_page),
        (r"^/agency/(?P<name>[^/]+)$", agency_page),
        (r"^/quality$", quality_page),
        (r"^/raw/(?P<sha256>[0-9a-f]{64})$", raw_file),
    ]


@hookimpl
def menu_links():
    return [{"href": href, "label": label} for href, label in NAV]


NAV = [("/", "首页 Home"), ("/archive/reports?is_latest=1", "报告 Reports"), ("/archive/search", "全文检索 Search"),
       ("/charts", "图表 Charts"), ("/quality", "质量 Quality"), ("/archive/disagreeing_reports", "数字不符 Disagreements"),
       ("/archive/new_reports.atom", "订阅 Atom feed")]


@hookimpl
def extra_template_vars(datasette):
    return {"nianbao_nav": NAV}


def _db(datasette):
    return datasette.get_database(DATABASE)


async def report_page(datasette, request):
    db = _db(datasette)
    report_id = int(request.url_vars["id"])
    rows = (await db.execute("SELECT * FROM reports WHERE id = ?", [report_id])).rows
    if not rows:
        return Response.html("<p>No such report</p>", status=404)
    report = dict(rows[0])
    values = {}
    for table in ("active_disclosure", "applications", "review_litigation"):
        result = await db.execute(f"SELECT * FROM {table} WHERE report_id = ?", [report_id])
        values[table] = [dict(r) for r in result.rows]
    checks = [dict(r) for r in (await db.execute(
        "SELECT rule, scope, ok, message FROM checks WHERE report_id = ? ORDER BY ok IS NOT 0, rule, scope",
        [report_id])).rows]
    files = [dict(r) for r in (await db.execute(
        "SELECT role, url, file_name, sha256, media_type FROM report_files WHERE report_id = ? ORDER BY role, url",
        [report_id])).rows]
    versions = [dict(r) for r in (await db.execute(
        "SELECT id, version, first_seen, last_seen, is_latest FROM reports WHERE report_key = ? ORDER BY version",
        [report["report_key"]])).rows]
    context = {"report": report, "tables": layout.tables(report["table_format"], values), "checks": checks,
               "files": files, "versions": versions, "warnings": json.loads(report["warnings"] or "[]"),
               "chart": charts.outcomes_chart(await _series(db, report["agency"])),
               "changes": await _changes(db, report, values), "rules": quality.ALL_RULES}
    return Response.html(await datasette.render_template("report.html", context, request=request))


async def _changes(db, report: dict, values: dict):
    """What changed since the version before, if there is one."""
    rows = (await db.execute("SELECT id, version, first_seen, text FROM reports WHERE report_key = ? AND version = ?",
                             [report["report_key"], report["version"] - 1])).rows
    if not rows:
        return None
    earlier = dict(rows[0])
    before = {key[1:]: value for key, value in (await quality.table_values(db, [earlier["id"]])).items()}
    after = {(table, row[first], row[second]): row["value"]
             for table, (first, second) in KEYS.items() for row in values[table]}
    return {"earlier": earlier, "found": changes.between(before, after, earlier["text"], report["text"])}


async def agency_page(datasette, request):
    context = await quality.agency(_db(datasette), unquote(request.url_vars["name"]))  # the route sees the raw path
    if context is None:
        return Response.html("<p>No reports of this agency</p>", status=404)
    return Response.html(await datasette.render_template("agency.html", context, request=request))


async def quality_page(datasette, request):
    context = {"overview": await quality.overview(_db(datasette))}
    return Response.html(await datasette.render_template("quality.html", context, request=request))


async def _series(db, agency: str | None):
    where, params = ("AND r.agency = ?", [agency]) if agency else ("", [])
    rows = (await db.execute(
        "SELECT r.year, a.row_code, SUM(a.value) AS value FROM applications a JOIN reports r ON r.id = a.report_id"
        f" WHERE r.is_latest AND a.applicant = 'total' AND r.year IS NOT NULL {where} GROUP BY r.year, a.row_code",
        params)).rows
    return [dict(r) for r in rows]


async def charts_page(datasette, request):
    db = _db(datasette)
    agency = request.args.get("agency") or None
    series = await _series(db, agency)
    agencies = [r[0] for r in (await db.execute(
        "SELECT DISTINCT agency FROM reports WHERE agency IS NOT NULL ORDER BY agency LIMIT 2000")).rows]
    context = {"agency": agency, "agencies": agencies, "received": charts.received_chart(series),
               "outcomes": charts.outcomes_chart(series)}
    return Response.html(await datasette.render_template("charts.html", context, request=request))


async def raw_file(datasette, request):
    sha256 = request.url_vars["sha256"]
    config = datasette.plugin_config("nianbao") or {}
    db = _db(datasette)
    rows = (await db.execute("SELECT path, media_type FROM documents WHERE sha256 = ?", [sha256])).rows
    if not rows or not config.get("data"):
        return Response.text("not archived", status=404)
    path = Path(config["data"]) / rows[0]["path"]
    if not path.is_file():
        return Response.text("the archived file is missing from the raw store", status=404)
    media_type = rows[0]["media_type"] or "application/octet-stream"
    inline = media_type in ("application/pdf", "image/png", "image/jpeg", "image/gif")
    name = re.sub(r"[^0-9a-f]", "", sha256)[:16] + _suffix(media_type)
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename={name}"}
    return Response(path.read_bytes(), content_type=media_type, headers=headers)


def _suffix(media_type: str) -> str:
    return {"application/pdf": ".pdf", "text/html": ".html", "application/msword": ".doc", "image/png": ".png",
            "image/jpeg": ".jpg", "image/gif": ".gif",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}.get(media_type, "")
