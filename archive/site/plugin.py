"""The site's Datasette plugin: Chinese search, the site's pages and frame, the archived originals, and the
bounds on what a visitor can make it do.

- `escape_fts` is replaced (registered after Datasette's own, hence `trylast`) by the per-character
  query of archive/search.py, so the table search box and `?_search=` find any Chinese substring.
- `nianbao_match(q)`, `nianbao_contains(title, text, q)` and `nianbao_snippet(text, q)` serve the ranked
  search (exact at any length: it checks the text); a snippet marks matches with ⟦ ⟧, which the HTML
  turns into <mark> after escaping.
- Pages (archive/site/pages.py): `/reports` (the list, and the search box's ranked results with marked
  snippets), `/report/<id>`, `/agency/<name>`, `/quality`, `/charts`, `/crawl` (各站抓取结果), `/about`
  (the glossary), `/raw/<sha256>` (an archived original, sandboxed), the Atom feed (empty, not an error, on
  an empty archive). The home page is Datasette's index.html overridden, with its data from
  `extra_template_vars`; every page, Datasette's own included, has the site's frame (templates/base.html)
  and its stylesheet; canned queries hide their SQL and name their columns in Chinese (templates/query.html).
- Bounds (archive/site/guard.py): SQLite's value length and heap capped on every connection, GET and HEAD
  only, no path climbing out, security headers on HTML, and one page (and at most one log line) per error.

Everything from a portal is shown as text: templates escape it, and no cell is rendered as HTML except
the snippet's marks, which are added after escaping.
"""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive import search
from archive.site import glossary, guard, pages
from archive.site.metadata import LICENSE

MARK_OPEN, MARK_CLOSE = pages.MARK_OPEN, pages.MARK_CLOSE
_TASKS: set = set()
STYLESHEET = "/-/nianbao/site.css"
STATIC = Path(__file__).resolve().parent / "static"
NAV = [("/", "首页", "Home"), ("/reports", "报告", "Reports"), ("/charts", "图表", "Charts"),
       ("/quality", "质量", "Quality"), ("/crawl", "抓取", "Crawls"), ("/archive", "数据", "Data"),
       ("/about", "说明", "About")]


def snippet(text, query) -> str:
    """Around the first match, matches marked, on one line (a report's line breaks fall mid-sentence)."""
    return re.sub(r"\s+", " ", "".join(f"{MARK_OPEN}{piece}{MARK_CLOSE}" if hit else piece
                                       for piece, hit in search.snippet(text, query)))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, search.match_expression, deterministic=True)
    conn.create_function("nianbao_match", 1, search.match_expression, deterministic=True)
    conn.create_function("nianbao_snippet", 2, snippet, deterministic=True)
    conn.create_function("nianbao_contains", 3, search.contains, deterministic=True)
    guard.limit(conn)


@hookimpl
def startup(datasette):
    guard.configure_logging()
    guard.quiet()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        guarded = guard.asgi(datasette, app)

        async def site(scope, receive, send):
            if scope["type"] == "lifespan" and not _TASKS:  # the server's own loop, as it starts
                _warm(datasette)
            return await guarded(scope, receive, send)
        return site
    return wrap


def _warm(datasette) -> None:
    """The home page's, the overview's and the charts' figures, computed while the first visitors come."""
    def failed(task):
        if not task.cancelled() and task.exception():
            guard.log.error("the site's figures could not be computed: %s", task.exception())
    task = asyncio.get_running_loop().create_task(pages.warm(datasette))
    task.add_done_callback(failed)
    _TASKS.add(task)


@hookimpl(wrapper=True)
def handle_exception(datasette, request, exception):
    """The site's error page replaces every other answer, Datasette's default among them (it prints a
    traceback with local variables for every 404, and fails itself outside an exception handler)."""
    yield
    return [lambda: guard.error_response(datasette, request, exception)]


@hookimpl
def render_cell(row, value, column, table, database):
    keys = row.keys() if hasattr(row, "keys") else []
    if column == "title" and isinstance(value, str):
        if table in ("reports",) and "id" in keys and isinstance(row["id"], int):
            return Markup(f'<a href="/report/{row["id"]}">{escape(value)}</a>')
        if table is None and "report" in keys and isinstance(row["report"], int):
            return Markup(f'<a href="/report/{row["report"]}">{escape(value)}</a>')
    if column == "snippet" and isinstance(value, str):
        return pages.marked(value)
    if column == "report" and isinstance(value, int):
        return Markup(f'<a href="/report/{value}">报告 {value}</a>')
    if column == "agency" and isinstance(value, str) and value:
        return Markup(f'<a href="{pages.agency_url(value)}">{escape(value)}</a>')
    if column == "rule" and isinstance(value, str) and value in glossary.RULES:
        return Markup(f'<a href="/about#rule-{escape(value)}" title="{escape(glossary.rule_meaning(value))}">'
                      f'{escape(glossary.rule_zh(value))}</a> <code class="code">{escape(value)}</code>')
    if column == "failed_rules" and isinstance(value, str) and value.startswith("["):
        try:
            names = json.loads(value)
        except ValueError:
            return None
        return Markup("、".join(str(escape(glossary.rule_zh(n))) for n in names if isinstance(n, str)) or "—")
    if column == "scope" and isinstance(value, str):
        shown = glossary.scope_zh(value)
        if shown != value:
            return Markup(f'{escape(shown)} <code class="code">{escape(value)}</code>')
    if table in ("applications", "review_litigation", "active_disclosure") and isinstance(value, str):
        shown = glossary.value_zh(table, column, value)
        if shown != value:
            return Markup(f'{escape(shown)} <code class="code">{escape(value)}</code>')
    if column == "status" and table in ("crawl_run_sites", "sites") and value in glossary.CRAWL_STATUS:
        return Markup(f'{escape(glossary.CRAWL_STATUS[value])} <code class="code">{escape(value)}</code>')
    return None


@hookimpl
def register_routes(datasette):
    from datasette.views.special import JsonDataView

    def databases():  # Datasette's own list, without each file's path on this machine
        return [{k: v for k, v in d.items() if k != "path"} for d in datasette._connected_databases()]

    return [
        (r"^/reports$", pages.reports_page),
        (r"^/report/(?P<id>[0-9]+)$", pages.report_page),
        (r"^/charts$", pages.charts_page),
        (r"^/agency/(?P<name>[^/]+)$", pages.agency_page),
        (r"^/quality$", pages.quality_page),
        (r"^/crawl$", pages.crawl_page),
        (r"^/about$", pages.about_page),
        (r"^/raw/(?P<sha256>[0-9a-f]{64})$", pages.raw_file),
        (r"^/archive/new_reports\.atom$", pages.feed),
        (r"^/-/databases(?P<format>\.json)?$", JsonDataView.as_view(datasette, "databases.json", databases)),
        (r"^/-/nianbao/site\.css$", stylesheet),
    ]


def stylesheet():
    return Response((STATIC / "site.css").read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"cache-control": "max-age=3600"})


@hookimpl
def extra_css_urls():
    return [STYLESHEET]


@hookimpl
def extra_template_vars(view_name, datasette, request):
    found = {"nianbao_nav": NAV, "agency_url": pages.agency_url, "web_url": pages.web_url,
             **glossary.template_vars(), "nav_current": _current(request), "site_license": LICENSE}
    if view_name != "index":
        return found

    async def with_home():
        return {**found, "home": await pages.home(datasette)}
    return with_home


def _current(request) -> str | None:
    if request is None:
        return None
    path = request.path
    for href, _, _ in NAV:
        if path == href or (href != "/" and path.startswith(href + "/")):
            return href
    if path.startswith(("/report/", "/agency/")):
        return "/reports"
    return None
