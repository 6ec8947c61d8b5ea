"""What a visitor can make the site do, bounded: SQLite's limits on every connection, the HTTP methods and
paths the site answers, its security headers, and one answer (and at most one log line) per error.

- `limit(conn)`: no string or blob longer than VALUE_LIMIT (so `randomblob(1e9)` or `printf('%.*c', 2e9, 'x')`
  fails at once instead of running for half a minute and taking gigabytes), SQLite's heap held under
  HEAP_LIMIT, and `pragma_database_list` (which names the archive's absolute path) answering nothing.
- `asgi(app)`: GET and HEAD only (the archive is read-only: anything else is 405), paths that climb out with
  `..` are 404 before any view sees them, and HTML pages carry a Content-Security-Policy (scripts: the site's
  own files and Datasette's few inline scripts, by hash), X-Frame-Options and nosniff. What one request may
  cost is bounded before Datasette sees it, so that twenty at once all end within the SQL time limit: a
  visitor's own SQL (`?sql=`) runs under ARBITRARY_SQL_MS, a shorter limit than the site's pages (through
  Datasette's `_timelimit`, which can only lower the limit; a `_timelimit` that is not a whole number is
  dropped, where Datasette would fail on it with a 500), and a search longer than MAX_SEARCH characters is a
  400 (a 10,000-character `_search` costs a second of the one event loop; the site's search reads 200).
- `error_response(...)`: the page for every error, in the site's frame and in Chinese first; a bad
  parameter Datasette reports as a 500 (an unknown `_sort` column) is a 400; a 500 is logged as one line
  with where it was raised, never a traceback with local variables.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import sqlite3
import sys
import threading
import traceback
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode

from datasette.utils.asgi import Base400, BadRequest, NotFound, Request, Response
from markupsafe import Markup

VALUE_LIMIT = 16 * 1024 * 1024   # bytes in one string or blob; a report's text is far below it
HEAP_LIMIT = 256 * 1024 * 1024   # bytes SQLite may hold in this process (hard: beyond it a query fails)
SOFT_HEAP_LIMIT = 128 * 1024 * 1024  # beyond it SQLite gives back its caches first
RESULT_LIMIT = 128 * 1024 * 1024  # bytes of text and blobs one query may hand to Python
PRINTF_WIDTH = 1_000_000          # the widest field or precision printf() and format() may be asked for
SQL_LENGTH = 100_000              # characters of one SQL statement (SQLite parses it before any time limit)
ARBITRARY_SQL_MS = 1000           # the time limit of a visitor's own SQL (the site's pages have 3,000 ms)
MAX_SEARCH = 500                  # characters of a search (`q`, `_search`, `_search_<column>`)
METHODS = ("GET", "HEAD")

log = logging.getLogger("nianbao.site")


def limit(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_LIMIT)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, SQL_LENGTH)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT}").fetchall()  # process-wide, the same on every call
    conn.execute(f"PRAGMA soft_heap_limit = {SOFT_HEAP_LIMIT}").fetchall()
    conn.set_authorizer(_authorize)
    conn.row_factory = _counted_rows()
    for name in ("printf", "format"):
        conn.create_function(name, -1, _printf, deterministic=True)


def _counted_rows():
    """Datasette's sqlite3.Row, counting the bytes of each query's rows: the rows are Python objects before
    SQLite's heap limit can see them (a thousand rows of a 16 MB zeroblob would be 16 GB), so a query
    handing over more than RESULT_LIMIT fails instead."""
    state = {"cursor": None, "size": 0}

    def row(cursor, values):
        if cursor is not state["cursor"]:  # a new query (this connection serves one thread at a time)
            state["cursor"], state["size"] = cursor, 0
        state["size"] += 16 * len(values) + sum(len(v) for v in values if isinstance(v, (str, bytes)))
        if state["size"] > RESULT_LIMIT:
            raise sqlite3.OperationalError(f"result too large: more than {RESULT_LIMIT >> 20} MB; "
                                           "select fewer rows or columns")
        return sqlite3.Row(cursor, values)
    return row


_SPEC = re.compile(r"%([-+ 0#,!]*)(\*|\d*)(?:\.(\*|\d*))?(l{0,2})(.)", re.S)
_builtin = threading.local()


def _printf(*args):
    """SQLite's printf()/format(), refusing a field width or precision over PRINTF_WIDTH: SQLite 3.40 fills
    `printf('%.*c', 2000000000, 'x')` one character at a time even past its length limit (half a minute,
    and no progress handler runs inside one function call). The formatting itself is SQLite's, on a
    connection of the thread's own."""
    if not args:
        raise sqlite3.OperationalError("wrong number of arguments to function printf()")
    form, values, used = args[0], args[1:], 0
    if isinstance(form, str):
        for spec in _SPEC.finditer(form):
            if spec.group(5) == "%":
                continue
            for part in (spec.group(2), spec.group(3)):
                if part == "*":
                    asked = values[used] if used < len(values) else 0
                    used += 1
                    try:
                        asked = abs(int(asked))
                    except (TypeError, ValueError, OverflowError):
                        asked = 0
                elif part:
                    asked = int(part) if len(part) < 12 else PRINTF_WIDTH + 1
                else:
                    continue
                if asked > PRINTF_WIDTH:
                    raise sqlite3.OperationalError(f"printf: width or precision over {PRINTF_WIDTH:,}")
            used += 1
    conn = getattr(_builtin, "conn", None)
    if conn is None:
        conn = _builtin.conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_LIMIT)
    marks = ", ".join("?" * len(args))
    return conn.execute(f"SELECT printf({marks})", args).fetchone()[0]


def _authorize(action, first, second, database, trigger):
    """`PRAGMA database_list` and `pragma_database_list` answer no rows: they would name the archive's
    absolute path (Datasette only reads them for attached databases, of which there are none)."""
    if action == sqlite3.SQLITE_PRAGMA and first == "database_list":
        return sqlite3.SQLITE_IGNORE
    if action == sqlite3.SQLITE_READ and first == "pragma_database_list":
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


# --- HTTP ----------------------------------------------------------------------------------------

def _inline_script_hashes() -> list[str]:
    """The CSP hashes of Datasette's own inline scripts (its templates' static <script> blocks, and the one
    line table.html writes with true or false), so no other inline script runs."""
    import datasette

    folder = Path(datasette.__file__).parent / "templates"
    bodies = []
    for path in folder.glob("*.html"):
        for body in re.findall(r"<script>(.*?)</script>", path.read_text(encoding="utf-8"), re.S):
            if "{{" not in body and "{%" not in body:
                bodies.append(body)
    bodies += [f"DATASETTE_ALLOW_FACET = {value};" for value in ("true", "false")]
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' " + " ".join(_inline_script_hashes()),
    "style-src 'self' 'unsafe-inline'",  # Datasette's tables write per-column CSS; style cannot run code
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HTML_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"same-origin")]
_TILDE = re.compile(r"~([0-9A-Fa-f]{2})")
_CLIMB = re.compile(r"(^|[/\\])\.\.([/\\]|$)")


def climbs(raw_path: bytes) -> bool:
    """Whether a path holds a `..` segment (or a NUL) once its percent and tilde escapes are decoded."""
    text = raw_path.decode("latin-1")
    for _ in range(3):
        decoded = _TILDE.sub(lambda m: chr(int(m.group(1), 16)), unquote(text))
        if decoded == text:
            break
        text = decoded
    return "\x00" in text or bool(_CLIMB.search(text))


def asgi(datasette, app):
    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def secured(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if kind.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers += HTML_HEADERS
                message = {**message, "headers": headers}
            await send(message)

        raw = scope.get("raw_path") or scope["path"].encode()
        refused = None
        if scope["method"] not in METHODS:
            refused = MethodNotAllowed(f"method {scope['method'][:10]} not allowed: the archive is read-only")
        elif climbs(raw.partition(b"?")[0]):
            refused = NotFound("path outside the site")
        else:
            try:
                scope = bounded(scope)
            except BadRequest as e:
                refused = e
        if refused is None:
            return await app(scope, receive, secured)
        # The page is rendered as for a GET, outside Datasette's CSRF layer (which adds the token's function).
        scope = {**scope, "method": "GET", "csrftoken": lambda: ""}
        response = await error_response(datasette, Request(scope, receive), refused)
        await response.asgi_send(secured)

    return guarded


class MethodNotAllowed(Base400):
    status = 405


def bounded(scope: dict) -> dict:
    """The request with what it may cost bounded (see the module's docstring): its query string rewritten when
    it holds `sql` or `_timelimit`; BadRequest for a search that is too long."""
    query = scope.get("query_string") or b""
    if not query:
        return scope
    params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    for name, value in params:
        if (name in ("q", "_search") or name.startswith("_search_")) and len(value) > MAX_SEARCH:
            raise BadRequest(f"search text longer than {MAX_SEARCH} characters ({len(value):,})")
    names = {name for name, _ in params}
    if "sql" not in names and "_timelimit" not in names:
        return scope
    asked = [int(v) for n, v in params if n == "_timelimit" and v.isascii() and v.isdigit() and 0 < len(v) < 10]
    limit = min(asked, default=None)
    if "sql" in names:
        limit = min(limit or ARBITRARY_SQL_MS, ARBITRARY_SQL_MS)
    params = [(n, v) for n, v in params if n != "_timelimit"] + ([("_timelimit", str(limit))] if limit else [])
    return {**scope, "query_string": urlencode(params).encode("latin-1")}


# --- errors --------------------------------------------------------------------------------------

TITLES = {400: "请求有误 Bad request", 403: "无权访问 Forbidden", 404: "找不到这个页面 Page not found",
          405: "只读网站 Read-only", 500: "网站出错 Server error"}
EXPLAIN = {
    400: "网址中的参数无法处理，例如按不存在的列排序。请检查网址，或从导航重新进入。",
    403: "这个页面不对外开放。",
    404: "这个地址没有对应的页面或报告。报告编号、机关名称可能有误，或者页面已经移动。",
    405: "本网站只读，只接受 GET 请求；检索请使用检索框或只读 SQL。",
    500: "处理这个请求时出错了。已记录，请稍后再试。",
}


def classify(exception: BaseException) -> tuple[int, str]:
    from datasette.views.base import DatasetteError

    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0]) if exception.args else ""
    if isinstance(exception, DatasetteError):
        # Datasette raises the errors of a bad parameter (`_sort` by an unknown column …) without a status.
        status = 400 if exception.status == 500 else exception.status
        message = exception.message
        return status, Markup(message) if exception.message_is_html else message
    if isinstance(exception, AssertionError) and "POST" in str(exception):
        return 405, str(exception)
    if isinstance(exception, json.JSONDecodeError):  # a parameter Datasette reads as JSON (`_facet={…`) is not
        return 400, "a parameter that should be JSON is not valid JSON"
    return 500, f"{type(exception).__name__}"


def _where(exception: BaseException) -> str:
    frames = traceback.extract_tb(exception.__traceback__) if exception.__traceback__ else []
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _one_line(text: str, size: int) -> str:
    text = re.sub(r"\s+", " ", str(text))
    return text if len(text) <= size else text[:size] + "…"


async def error_response(datasette, request, exception: BaseException) -> Response:
    status, message = classify(exception)
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.path
    if status >= 500:
        log.error("%s %s %s: %s: %s (at %s)", status, request.method, _one_line(path, 200),
                  type(exception).__name__, _one_line(exception, 300), _where(exception))
    headers = {"allow": ", ".join(METHODS)} if status == 405 else {}
    if request.path.endswith(".json"):
        return Response.json({"ok": False, "error": str(message), "status": status,
                              "title": TITLES.get(status, str(status))}, status=status, headers=headers)
    context = {"status": status, "title": TITLES.get(status, f"错误 {status}"),
               "explain": EXPLAIN.get(status, EXPLAIN[500] if status >= 500 else EXPLAIN[400]),
               "error": message if status < 500 else ""}
    try:
        html = await datasette.render_template(["error.html"], context, request=request)
    except Exception as failure:  # noqa: BLE001 - the error page itself must never fail
        log.error("the error page could not be rendered: %s: %s", type(failure).__name__, _one_line(failure, 200))
        return Response.text(f"{status} {context['title']}", status=status, headers=headers)
    return Response.html(html, status=status, headers=headers)


def quiet() -> None:
    """No multi-line output for a visitor's bad query: Datasette turns on tracebacks for exceptions in SQL
    functions (a refused printf() would print one), and a facet that fails (`_facet=` an unknown column)
    leaves its sibling coroutines unawaited, which Python warns about at length."""
    import warnings

    sqlite3.enable_callback_tracebacks(False)
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)


def configure_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s nianbao site %(levelname)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
