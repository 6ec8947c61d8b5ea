"""The site's own pages (registered as routes by the plugin) and the data the home page shows.

Each page reads the archive through Datasette's database object, renders one of the templates in
archive/site/templates (which extend the site's base.html), and answers 200 with an empty state on an
archive with no reports yet. Ids and names from the address are checked before they reach SQLite: an id
SQLite cannot hold is a 404, not an OverflowError.
"""
from __future__ import annotations

import asyncio
import functools
import json
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import changes, search
from archive.site import charts, glossary, layout, quality
from archive.site.guard import error_response
from archive.tables import KEYS

DATABASE = "archive"
PAGE_SIZE = 50
RANKED = 100  # a search shows this many results, best first
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"  # a snippet's matches, made <mark> after escaping
FACETS = {"province": "省份 Province", "year": "年度 Year", "rule": "未通过的规则 Failed rule",
          "format": "统计表格式 Table format"}


def db_of(datasette):
    return datasette.get_database(DATABASE)


def agency_url(name: str | None) -> str:
    """An agency's page: the name is one path segment, so a "/" in it is escaped too."""
    return "/agency/" + quote(name or "", safe="")


def web_url(url: str | None) -> str | None:
    """A portal's address as a link only when it is http(s): a page's own text decides nothing here."""
    return url if isinstance(url, str) and url.lower().startswith(("http://", "https://")) else None


def region(row: dict) -> str:
    parts = [row.get("province"), row.get("city"), row.get("county")]
    out: list[str] = []
    for part in parts:
        if part and part not in out:
            out.append(part)
    return "".join(out)


def report_id(text: str) -> int:
    """An id from the address; anything SQLite's INTEGER cannot hold is not a report."""
    if not text.isdigit() or len(text) > 19 or int(text) > 2**63 - 1:
        raise NotFound("没有这份报告 No such report")
    return int(text)


async def render(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    return Response.html(await datasette.render_template(template, context, request=request), status=status)


def page(handler):
    """A page's NotFound answered with the site's 404 page at once: raised to Datasette's router, a 404 on
    an address holding a percent escape (an agency name with "/" in it) would be redirected first."""
    @functools.wraps(handler)
    async def answer(datasette, request):
        try:
            return await handler(datasette, request)
        except NotFound as missing:
            return await error_response(datasette, request, missing)
    return answer


# --- aggregates ----------------------------------------------------------------------------------

_AGGREGATES: OrderedDict = OrderedDict()
_RUNNING: dict = {}
AGGREGATES_KEPT = 256


async def aggregate(datasette, name: str, compute):
    """compute(conn) once per served archive and name, on a connection of Datasette's pool but outside the
    SQL time limit: the archive is immutable while it is served (`nianbao serve` opens it with -i and a build
    writes a new file), and an overview of every check of a million reports takes longer than a visitor's
    query may. Concurrent requests for the same figures wait for one computation."""
    db = db_of(datasette)
    key = (db.path, name)
    if key in _AGGREGATES:
        _AGGREGATES.move_to_end(key)
        return _AGGREGATES[key]
    running = _RUNNING.get(key)
    if running is None or running.get_loop() is not asyncio.get_running_loop():
        running = _RUNNING[key] = asyncio.ensure_future(db.execute_fn(compute))
    try:
        result = await asyncio.shield(running)
    finally:
        if running.done():
            _RUNNING.pop(key, None)
    _AGGREGATES[key] = result
    while len(_AGGREGATES) > AGGREGATES_KEPT:
        _AGGREGATES.popitem(last=False)
    return result


def _dicts(sql: str, params=()):
    return lambda conn: [dict(r) for r in conn.execute(sql, params).fetchall()]


async def warm(datasette) -> None:
    """The figures every visitor's first page needs, computed as the site starts."""
    await home(datasette)
    await aggregate(datasette, "overview", quality.overview)
    await series(datasette, None)
    await coverage(datasette, None)


# --- home ----------------------------------------------------------------------------------------

async def home(datasette) -> dict:
    """Counts, the newest reports, reports by province and by year, and the rules failed most."""
    return await aggregate(datasette, "home", _home)


def _home(conn) -> dict:
    def rows(sql):
        return conn.execute(sql).fetchall()

    counts = rows("SELECT COUNT(*) AS reports, COUNT(DISTINCT agency) AS agencies, COUNT(DISTINCT province) AS"
                  " provinces, COUNT(DISTINCT year) AS years FROM reports WHERE is_latest = 1")[0]
    newest = [_row(r) for r in rows(
        "SELECT id, title, agency, province, city, county, year, published, checks_failed, failed_rules, first_seen"
        " FROM reports WHERE is_latest = 1 ORDER BY first_seen DESC, id DESC LIMIT 8")]
    provinces = [(r[0], r[1]) for r in rows("SELECT province, COUNT(*) FROM reports WHERE is_latest = 1 AND province"
                                            " IS NOT NULL GROUP BY province ORDER BY COUNT(*) DESC, province")]
    years = [(r[0], r[1]) for r in rows("SELECT year, COUNT(*) FROM reports WHERE is_latest = 1 AND year IS NOT NULL"
                                        " GROUP BY year ORDER BY year DESC")]
    failing = [(r[0], r[1]) for r in rows(  # from each report's own list: no scan of every check
        "SELECT j.value, COUNT(*) FROM reports, json_each(reports.failed_rules) j WHERE is_latest = 1"
        " GROUP BY j.value ORDER BY COUNT(*) DESC, j.value LIMIT 6")]
    last_run = rows("SELECT id, started, finished FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return {"counts": dict(counts), "newest": newest, "provinces": provinces, "years": years, "failing": failing,
            "last_run": dict(last_run[0]) if last_run else None}


def _row(row) -> dict:
    out = dict(row)
    out["region"] = region(out)
    out["failed"] = json.loads(out.get("failed_rules") or "[]") if "failed_rules" in out else []
    return out


# --- reports list and search ---------------------------------------------------------------------

def _filters(args) -> tuple[dict, list[str], dict]:
    """The list's filters from the query string: what is chosen, the SQL conditions and their values (named,
    so the search's own SQL can hold them beside `:q`)."""
    chosen: dict[str, str] = {}
    where: list[str] = []
    params: dict = {}
    for name, column in (("province", "province"), ("agency", "agency"), ("format", "table_format")):
        value = (args.get(name) or "").strip()[:200]
        if value:
            chosen[name] = value
            where.append(f"{column} = :{name}")
            params[name] = value
    year = (args.get("year") or "").strip()
    if year.isdigit() and len(year) == 4:
        chosen["year"] = year
        where.append("year = :year")
        params["year"] = int(year)
    rule = (args.get("rule") or "").strip()
    if rule in glossary.RULES:
        chosen["rule"] = rule
        where.append("EXISTS (SELECT 1 FROM json_each(failed_rules) WHERE value = :rule)")
        params["rule"] = rule
    return chosen, where, params


def _href(chosen: dict, **changed) -> str:
    args = {**chosen, **changed}
    return "/reports" + ("?" + urlencode({k: v for k, v in args.items() if v not in (None, "")}) if any(
        v not in (None, "") for v in args.values()) else "")


@page
async def reports_page(datasette, request):
    db = db_of(datasette)
    query = (request.args.get("q") or "").strip()[:200]
    chosen, where, params = _filters(request.args)
    page = request.args.get("page") or "1"
    page = int(page) if page.isdigit() and len(page) < 6 else 1
    conditions = "".join(f" AND {w}" for w in where)
    columns = "id, title, agency, province, city, county, year, published, checks_failed, failed_rules"
    if query:
        rows = (await db.execute(search.ranked_sql(
            "r.id, r.title, r.agency, r.province, r.city, r.county, r.year, r.published, r.checks_failed,"
            " r.failed_rules, r.table_format, nianbao_snippet(r.text, :q) AS snippet", conditions, RANKED,
            narrow="agency" in chosen),
            {**params, "q": query})).rows
        results = [_row(r) for r in rows]
        total = len(results)
        facets = _facets_of(results)
        pages = 1
        page = 1
    else:
        total = (await db.execute(f"SELECT COUNT(*) FROM reports WHERE is_latest = 1{conditions}", params)).first()[0]
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        results = [_row(r) for r in (await db.execute(
            f"SELECT {columns} FROM reports WHERE is_latest = 1{conditions}"
            f" ORDER BY year DESC, published DESC, id DESC LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
            params)).rows]
        facets = await aggregate(datasette, f"facets {conditions} {params!r}", _facets(conditions, params))
    for result in results:
        if "snippet" in result:
            result["snippet"] = marked(result["snippet"])
    state = {**chosen, "q": query}
    facet_links = {name: [(value, label, count, _href(state, **{name: value}), chosen.get(name) == str(value))
                          for value, label, count in values] for name, values in facets.items()}
    removable = [(FACETS.get(name, name), _label(name, value), _href(state, **{name: None}))
                 for name, value in chosen.items()]
    data_table = "/archive/reports?" + urlencode([("is_latest", 1)] + [("_col", c) for c in (
        "title", "agency", "province", "city", "county", "year", "published", "checks_failed", "failed_rules")])
    context = {"q": query, "results": results, "total": total, "page": page, "pages": pages,
               "facets": facet_links, "facet_names": FACETS, "removable": removable, "chosen": chosen,
               "prev_href": _href(state, page=page - 1 if page > 2 else None) if page > 1 else None,
               "next_href": _href(state, page=page + 1) if page < pages else None, "ranked_limit": RANKED,
               "data_table": data_table, "clear_href": _href({}, q=query) if chosen else None}
    return await render(datasette, request, "reports.html", context)


def marked(snippet: str | None) -> Markup:
    """The snippet's ⟦marks⟧ as <mark>, after escaping everything else."""
    return Markup(str(escape(snippet or "")).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


def _label(name: str, value) -> str:
    if name == "rule":
        return glossary.rule_zh(value)
    if name == "format":
        return glossary.FORMATS.get(value, value)
    if name == "year":
        return f"{value}年度"
    return str(value)


def _facets(conditions: str, params: dict):
    """The list's facet counts under its filters (computed once per filter set; the archive does not change)."""
    def compute(conn) -> dict[str, list]:
        out = {}
        for name, column in (("province", "province"), ("year", "year"), ("format", "table_format")):
            rows = conn.execute(
                f"SELECT {column}, COUNT(*) FROM reports WHERE is_latest = 1 AND {column} IS NOT NULL{conditions}"
                f" GROUP BY {column} ORDER BY {'year DESC' if name == 'year' else 'COUNT(*) DESC'} LIMIT 40",
                params).fetchall()
            out[name] = [(r[0], _label(name, r[0]), r[1]) for r in rows]
        rows = conn.execute("SELECT j.value, COUNT(*) FROM reports, json_each(reports.failed_rules) j"
                            f" WHERE is_latest = 1{conditions} GROUP BY j.value ORDER BY COUNT(*) DESC", params).fetchall()
        out["rule"] = [(r[0], _label("rule", r[0]), r[1]) for r in rows]
        return out
    return compute


def _facets_of(results: list[dict]) -> dict[str, list]:
    counts: dict[str, dict] = {"province": {}, "year": {}, "format": {}, "rule": {}}
    for r in results:
        for name, value in (("province", r.get("province")), ("year", r.get("year")),
                            ("format", r.get("table_format"))):
            if value is not None:
                counts[name][value] = counts[name].get(value, 0) + 1
        for rule in r["failed"]:
            counts["rule"][rule] = counts["rule"].get(rule, 0) + 1
    return {name: [(v, _label(name, v), n) for v, n in sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))]
            for name, values in counts.items()}


# --- a report ------------------------------------------------------------------------------------

@page
async def report_page(datasette, request):
    db = db_of(datasette)
    key = report_id(request.url_vars["id"])
    rows = (await db.execute("SELECT * FROM reports WHERE id = ?", [key])).rows
    if not rows:
        raise NotFound("没有这份报告 No such report")
    report = dict(rows[0])
    report["region"] = region(report)
    values = {}
    for table in ("active_disclosure", "applications", "review_litigation"):
        result = await db.execute(f"SELECT * FROM {table} WHERE report_id = ?", [key])
        values[table] = [dict(r) for r in result.rows]
    checks = [dict(r) for r in (await db.execute(
        "SELECT rule, scope, ok, message FROM checks WHERE report_id = ? ORDER BY ok IS NOT 0, rule, scope",
        [key])).rows]
    files = [dict(r) for r in (await db.execute(
        "SELECT role, url, file_name, sha256, media_type FROM report_files WHERE report_id = ? ORDER BY role, url",
        [key])).rows]
    versions = [dict(r) for r in (await db.execute(
        "SELECT id, version, first_seen, last_seen, is_latest FROM reports WHERE report_key = ? ORDER BY version",
        [report["report_key"]])).rows]
    context = {"report": report, "tables": layout.tables(report["table_format"], values), "checks": checks,
               "checks_by_rule": _by_rule(checks), "files": files, "versions": versions,
               "warnings": json.loads(report["warnings"] or "[]"),
               "chart": charts.outcomes_chart(await series(datasette, report["agency"])) if report["agency"] else None,
               "changes": await _changes(db, report, values)}
    return await render(datasette, request, "report.html", context)


def _by_rule(checks: list[dict]) -> list[dict]:
    """Per rule: its entries and its outcome (failed when any entry failed, passed when any passed)."""
    out: dict[str, dict] = {}
    for check in checks:
        entry = out.setdefault(check["rule"], {"rule": check["rule"], "entries": [], "state": "unknown"})
        entry["entries"].append(check)
    for entry in out.values():
        oks = {c["ok"] for c in entry["entries"]}
        entry["state"] = "failed" if 0 in oks else "passed" if 1 in oks else "unknown"
    order = list(glossary.RULES)
    return sorted(out.values(), key=lambda e: ({"failed": 0, "unknown": 1, "passed": 2}[e["state"]],
                                               order.index(e["rule"]) if e["rule"] in order else len(order)))


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


# --- agency, quality, charts, crawls, about ------------------------------------------------------

@page
async def agency_page(datasette, request):
    name = unquote(request.url_vars["name"])  # the route sees the raw path: "/" in a name comes as %2F
    context = await quality.agency(db_of(datasette), name)
    if context is None:
        raise NotFound("档案中没有这个机关的报告 No reports of this agency")
    return await render(datasette, request, "agency.html", context)


@page
async def quality_page(datasette, request):
    db = db_of(datasette)
    reports = (await db.execute("SELECT COUNT(*) FROM reports WHERE is_latest = 1")).first()[0]
    context = {"overview": await aggregate(datasette, "overview", quality.overview), "reports": reports}
    return await render(datasette, request, "quality.html", context)


async def series(datasette, agency: str | None):
    """Per year and row of table 3, the sum of the 总计 column over the latest reports (of one agency)."""
    where, params = ("AND r.agency = ?", [agency]) if agency else ("", [])
    sql = ("SELECT r.year, a.row_code, SUM(a.value) AS value FROM applications a JOIN reports r ON r.id = a.report_id"
           f" WHERE r.is_latest AND a.applicant = 'total' AND r.year IS NOT NULL {where} GROUP BY r.year, a.row_code")
    if agency:  # a few reports, through the agency's index
        return [dict(r) for r in (await db_of(datasette).execute(sql, params)).rows]
    return await aggregate(datasette, "series", _dicts(sql))


async def coverage(datasette, agency: str | None) -> dict:
    """Per year, how many reports and agencies the sums are over, and whether the years cover the same agencies."""
    where, params = ("AND r.agency = ?", [agency]) if agency else ("", [])
    base = (" FROM reports r WHERE r.is_latest AND r.year IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM applications a WHERE a.report_id = r.id AND a.applicant = 'total') " + where)

    def compute(conn) -> dict:
        years = [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT r.year, COUNT(*), COUNT(DISTINCT r.agency)" + base + " GROUP BY r.year ORDER BY r.year", params)]
        if len(years) < 2:
            return {"years": years, "same": True, "in_every_year": None}
        every = conn.execute("SELECT COUNT(*) FROM (SELECT r.agency" + base + " GROUP BY r.agency"
                             " HAVING COUNT(DISTINCT r.year) = ?)", [*params, len(years)]).fetchone()[0]
        return {"years": years, "same": all(agencies == every for _, _, agencies in years), "in_every_year": every}
    if agency:
        return await db_of(datasette).execute_fn(compute)
    return await aggregate(datasette, "coverage", compute)


@page
async def charts_page(datasette, request):
    db = db_of(datasette)
    agency = (request.args.get("agency") or "").strip()[:200] or None
    data = await series(datasette, agency)
    agencies = [r[0] for r in (await db.execute(
        "SELECT DISTINCT agency FROM reports WHERE agency IS NOT NULL AND is_latest = 1"
        " ORDER BY agency LIMIT 2000")).rows]
    context = {"agency": agency, "agencies": agencies, "received": charts.received_chart(data, numbers_open=True),
               "outcomes": charts.outcomes_chart(data, numbers_open=True), "coverage": await coverage(datasette, agency)}
    return await render(datasette, request, "charts.html", context)


@page
async def crawl_page(datasette, request):
    db = db_of(datasette)
    runs = [dict(r) for r in (await db.execute(
        "SELECT id, started, finished, sites, pages, new_reports, changed_reports, errors FROM crawl_runs"
        " ORDER BY id DESC LIMIT 20")).rows]
    latest = [dict(r) for r in (await db.execute(
        "SELECT s.run_id, s.site, s.status, s.detail, s.dialect, s.pages, s.found, s.new, s.changed, s.failed,"
        " s.skipped, sites.agency FROM crawl_run_sites s LEFT JOIN sites ON sites.name = s.site"
        " WHERE s.run_id = (SELECT MAX(run_id) FROM crawl_run_sites) ORDER BY s.site")).rows]
    return await render(datasette, request, "crawl.html", {"runs": runs, "latest": latest})


@page
async def about_page(datasette, request):
    return await render(datasette, request, "about.html", {})


# --- files, feed -------------------------------------------------------------------------------

@page
async def raw_file(datasette, request):
    """An archived original from the raw store beside the archive's file, sandboxed."""
    sha256 = request.url_vars["sha256"]
    db = db_of(datasette)
    rows = (await db.execute("SELECT path, media_type FROM documents WHERE sha256 = ?", [sha256])).rows
    if not rows or not db.path:
        raise NotFound("没有归档这个文件 Not archived")
    data = Path(db.path).resolve().parent
    path = (data / rows[0]["path"]).resolve()
    if not path.is_relative_to(data) or not path.is_file():
        raise NotFound("原始文件不在存储中 The archived file is missing from the raw store")
    media_type = rows[0]["media_type"] or "application/octet-stream"
    inline = media_type in ("application/pdf", "image/png", "image/jpeg", "image/gif")
    name = sha256[:16] + _suffix(media_type)
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename={name}"}
    return Response(path.read_bytes(), content_type=media_type, headers=headers)


def _suffix(media_type: str) -> str:
    return {"application/pdf": ".pdf", "text/html": ".html", "application/msword": ".doc", "image/png": ".png",
            "image/jpeg": ".jpg", "image/gif": ".gif",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}.get(media_type, "")


@page
async def feed(datasette, request):
    """The Atom feed of newly archived reports (datasette-atom's renderer), and an empty feed, not an
    error, while the archive has none."""
    from datasette_atom import render_atom
    from feedgen.feed import FeedGenerator

    from archive.site.metadata import QUERIES

    query = QUERIES["new_reports"]
    result = await db_of(datasette).execute(query["sql"])
    if result.rows:
        return render_atom(datasette, request, query["sql"], result.columns, result.rows, DATABASE, None,
                           "new_reports", "query", {})
    fg = FeedGenerator()
    fg.id(request.url)
    fg.link(href=request.url, rel="self")
    fg.title(query["title"])
    fg.updated(datetime.now(timezone.utc))
    return Response(fg.atom_str(pretty=True), content_type="application/xml; charset=utf-8")

