"""What the crawler keeps: every response body as original bytes, content-addressed, and a log of fetches.

`data/raw/ab/<sha256>` holds each distinct body once, written to a temporary name and renamed, so a
crawl killed at any moment leaves no half file under a real name (there is no fsync: a killed process
loses nothing the kernel has; only a power cut could, and the next crawl fetches such a body again).
`data/crawl.db` (SQLite, WAL) holds the `fetches` and `documents` tables of docs/data-model.md
plus what the crawler found: the report documents per site with their versions, the sites' status and
the crawl runs.

A crawl writes through one writer process (`background=True`), in the order things happened: a body's
file, then its fetch row and WARC record, then the report row that names it, so a row never points at a file
that is not there. A process, not a thread: Scrapy's event loop keeps the interpreter to itself and the
writing runs on the other core. The writer dies with the crawl (Linux's parent-death signal), so a killed
crawl loses only what was still queued, and a restarted one fetches that again while sending conditional
requests for everything kept. It ignores SIGINT and SIGTERM (the crawl stops on them and then lets it finish
writing), and a writer that died anyway is noticed by the crawl at its next send or wait (WriterDied), never
waited for.

The tables are defined once, in `TABLES`; the build (archive/build.py) copies the public ones from it.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import queue
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

@dataclass(frozen=True)
class Table:
    """One table of `crawl.db`: its columns (name → SQLite type) in order, primary key, unique columns and
    indexes (name → columns). The build copies the public ones into the archive from this same definition."""

    columns: dict[str, str]
    key: tuple[str, ...]
    unique: tuple[str, ...] = ()
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def create(self, name: str) -> str:
        single = len(self.key) == 1
        parts = [f"{column} {kind}{' PRIMARY KEY' if single and column == self.key[0] else ''}"
                 for column, kind in self.columns.items()]
        if not single:
            parts.append(f"PRIMARY KEY ({', '.join(self.key)})")
        if self.unique:
            parts.append(f"UNIQUE ({', '.join(self.unique)})")
        statements = [f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(parts)});"]
        statements += [f"CREATE INDEX IF NOT EXISTS {index} ON {name}({', '.join(columns)});"
                       for index, columns in self.indexes.items()]
        return "\n".join(statements)


def _columns(spec: str) -> dict[str, str]:
    """'name TYPE, name TYPE' → {name: TYPE}."""
    return dict(part.split() for part in spec.split(","))


# The crawl database's tables: defined here once; archive/build.py copies the public ones from this.
TABLES: dict[str, Table] = {
    "documents": Table(_columns("sha256 TEXT, media_type TEXT, size INTEGER, path TEXT, first_url TEXT,"
                                " first_seen TEXT"), key=("sha256",)),
    "fetches": Table(_columns("id INTEGER, url TEXT, final_url TEXT, status INTEGER, etag TEXT, last_modified TEXT,"
                              " sha256 TEXT, size INTEGER, media_type TEXT, fetched_at TEXT, site TEXT,"
                              " run_id INTEGER, kind TEXT, headers TEXT"), key=("id",),
                     indexes={"fetches_url": ("url",)}),
    "sites": Table(_columns("name TEXT, agency TEXT, region TEXT, start_url TEXT, cms TEXT, last_crawled TEXT,"
                            " status TEXT, status_detail TEXT"), key=("name",)),
    "crawl_runs": Table(_columns("id INTEGER, started TEXT, finished TEXT, sites INTEGER, pages INTEGER,"
                                 " new_reports INTEGER, changed_reports INTEGER, errors INTEGER, crawl TEXT"),
                        key=("id",)),
    "crawl_run_sites": Table(_columns("run_id INTEGER, site TEXT, status TEXT, detail TEXT, dialect TEXT,"
                                      " pages INTEGER, found INTEGER, new INTEGER, changed INTEGER, failed INTEGER,"
                                      " skipped INTEGER, missing INTEGER"), key=("run_id", "site")),
    "report_documents": Table(_columns("id INTEGER, site TEXT, report_key TEXT, url TEXT, title TEXT, agency TEXT,"
                                       " year INTEGER, role TEXT, file_name TEXT, parent_url TEXT, version INTEGER,"
                                       " sha256 TEXT, first_seen TEXT, last_seen TEXT, run_id INTEGER"),
                              key=("id",), unique=("url", "version"),
                              indexes={"report_documents_key": ("report_key",), "report_documents_run": ("run_id",)}),
    # Private: what crawler/parts.py has merged of each crawler's part (a crawl on a shared Redis frontier).
    "crawl_parts": Table(_columns("name TEXT, crawl TEXT, run_id INTEGER, fetches INTEGER, merged TEXT"),
                         key=("name",)),
}
SCHEMA = "\n".join(table.create(name) for name, table in TABLES.items())


def _missing_columns(db, name: str, table: Table) -> list[str]:
    have = {row[1] for row in db.execute(f"PRAGMA table_info({name})")}
    return [f"ALTER TABLE {name} ADD COLUMN {column} {kind}" for column, kind in table.columns.items()
            if column not in have]


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Validators:
    """What a conditional request needs from the last fetch of a URL."""

    etag: str | None
    last_modified: str | None
    sha256: str | None


class Store:
    def _add_new_columns(self) -> None:
        """A data folder crawled by an older nianbao gets the columns added since (NULL in its old rows)."""
        for name, table in TABLES.items():
            for statement in _missing_columns(self.db, name, table):
                self.db.execute(statement)

    def __init__(self, data_dir: str | os.PathLike, background: bool = False, part: str | None = None):
        """`part`: this crawler's own fetch log, `DATA/parts/<part>/crawl.db`, for a crawl shared by several
        processes (crawler/frontier.py); the bodies still go to the shared `DATA/raw/`."""
        self.root = Path(data_dir)
        self.raw = self.root / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self.folder = self.root / "parts" / part if part else self.root
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = None  # a shared crawl's part holds its folder's lock while it runs (crawler.run.open_run)
        self._folders: set[Path] = set()
        self._warcs: dict[str, object] = {}
        self.db = self._connect()
        self.db.executescript(SCHEMA)
        self._add_new_columns()
        self._writer = _Writer(self.root, part) if background else None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.folder / "crawl.db", timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _do(self, job: str, *args) -> None:
        if self._writer is None:
            JOBS[job](self, *args)
        else:
            self._writer.send(job, args)

    @property
    def broken(self) -> str | None:
        """Why the writer process is gone, once it is found dead (else None)."""
        return self._writer.broken if self._writer is not None else None

    def on_broken(self, callback) -> None:
        """`callback(reason)` is called once, when the writer is first found dead."""
        if self._writer is not None:
            self._writer.on_broken = callback

    def flush(self) -> None:
        """Wait until everything queued is written (and raise what the writer hit: WriterDied when it is gone)."""
        if self._writer is not None:
            self._writer.join()

    def close(self) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            for warc in self._warcs.values():
                warc.close()
            self.db.close()
            if self.lock is not None:
                self.lock.close()

    def keep_response(self, body: bytes, keep: bool, url: str, media_type: str | None, fetch: dict,
                      warc: tuple | None) -> str | None:
        """A response in one job: its body kept (when `keep`), its fetch row, its WARC record (always with
        the body), in that order. Returns the kept body's sha256."""
        sha256 = hashlib.sha256(body).hexdigest() if keep else None
        self._do("response", sha256, body, url, media_type, _fetch_row(fetch, sha256), warc)
        return sha256

    # --- WARC -----------------------------------------------------------------------------------

    def _warc(self, path: str):
        from crawler.warc import Warc

        if path not in self._warcs:
            self._warcs[path] = Warc(Path(path))
        return self._warcs[path]

    # --- raw bytes ------------------------------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        return self.raw / sha256[:2] / sha256

    def _put(self, sha256: str, body: bytes, url: str, media_type: str | None) -> None:
        path = self.path_for(sha256)
        if not path.exists():
            if path.parent not in self._folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(path.parent)
            tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)  # atomic: a killed crawl leaves no half file under a real name
        self.db.execute(
            "INSERT OR IGNORE INTO documents (sha256, media_type, size, path, first_url, first_seen) VALUES (?,?,?,?,?,?)",
            (sha256, media_type, len(body), str(path.relative_to(self.root)), url, now()))

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    # --- fetch log ------------------------------------------------------------------------------

    def log_fetch(self, **fetch) -> None:
        self._do("fetch", _fetch_row(fetch, fetch["sha256"]))

    def validators(self, url: str) -> Validators | None:
        """ETag and Last-Modified of the last successful fetch of a URL that kept a body."""
        row = self.db.execute(
            "SELECT etag, last_modified, sha256 FROM fetches WHERE url = ? AND sha256 IS NOT NULL AND status = 200"
            " ORDER BY id DESC LIMIT 1", (url,)).fetchone()
        return Validators(*row) if row else None

    # --- sites and runs -------------------------------------------------------------------------

    def start_run(self, sites: int, crawl: str | None = None) -> int:
        cursor = self.db.execute("INSERT INTO crawl_runs (started, sites, pages, new_reports, changed_reports, errors,"
                                 " crawl) VALUES (?, ?, 0, 0, 0, 0, ?)", (now(), sites, crawl))
        return cursor.lastrowid

    def finish_run(self, run_id: int, pages: int, errors: int, sites: list[dict] = ()) -> dict:
        """Close a run: its totals in `crawl_runs`, a row per site in `crawl_run_sites`.

        A report is new when its key was first seen in this run; changed when this run added a version or
        a file to a report seen before. Each entry of `sites` holds the spider's own figures (site, status,
        detail, dialect, pages, found, failed, skipped); new and changed are counted here from what was
        recorded."""
        self.flush()
        return close_run_rows(self.db, run_id, pages, errors, sites, now())

    def set_site(self, site, status: str, detail: str = "") -> None:
        self.db.execute(
            "INSERT INTO sites (name, agency, region, start_url, cms, last_crawled, status, status_detail)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET agency=excluded.agency,"
            " region=excluded.region, start_url=excluded.start_url, cms=excluded.cms,"
            " last_crawled=excluded.last_crawled, status=excluded.status, status_detail=excluded.status_detail",
            (site.name, site.agency, site.region, site.start_urls[0], site.cms, now(), status, detail))

    # --- report documents -----------------------------------------------------------------------

    def record_report_document(self, *, site: str, report_key: str, url: str, title: str, agency: str | None,
                               year: int | None, role: str, file_name: str | None, parent_url: str | None,
                               sha256: str, run_id: int) -> None:
        """Note a report page or attachment; a changed body at a known URL becomes its next version."""
        self._do("record", (site, report_key, url, title, agency, year, role, file_name, parent_url, sha256, run_id))



def close_run_rows(db, run_id: int, pages: int, errors: int, sites: list[dict], finished: str | None) -> dict:
    """A run's row per site and its totals (see Store.finish_run; crawler/parts.py closes a shared crawl's run
    the same way)."""
    counts = {site: (new, changed) for site, new, changed in db.execute(
        "SELECT site, SUM(first = ?), SUM(first < ?) FROM (SELECT site, report_key,"
        " (SELECT MIN(run_id) FROM report_documents e WHERE e.report_key = r.report_key) AS first"
        " FROM report_documents r WHERE run_id = ? GROUP BY site, report_key) GROUP BY site",
        (run_id, run_id, run_id))}
    per_site = []
    for entry in sites:
        new, changed = counts.get(entry["site"], (0, 0))
        row = {**entry, "new": new or 0, "changed": changed or 0}
        db.execute(_INSERT_RUN_SITE, (run_id, *(row[c] for c in _RUN_SITE_COLUMNS[1:])))
        per_site.append(row)
    new = sum(n or 0 for n, _ in counts.values())
    changed = sum(c or 0 for _, c in counts.values())
    db.execute("UPDATE crawl_runs SET finished = ?, pages = ?, new_reports = ?, changed_reports = ?,"
               " errors = ? WHERE id = ?", (finished, pages, new, changed, errors, run_id))
    return {"run": run_id, "pages": pages, "new_reports": new, "changed_reports": changed, "errors": errors,
            "sites": per_site}


def _fetch_row(fetch: dict, sha256: str | None) -> tuple:
    headers = fetch["headers"]
    return (fetch["url"], fetch["final_url"], fetch["status"], headers.get("etag"), headers.get("last-modified"),
            sha256, fetch["size"], fetch["media_type"], now(), fetch["site"], fetch["run_id"], fetch["kind"],
            json.dumps(headers, ensure_ascii=False))


def _keep_response(store: Store, sha256, body: bytes, url, media_type, fetch_row: tuple, warc: tuple | None) -> None:
    if sha256:
        store._put(sha256, body, url, media_type)
    _insert_fetch(store, fetch_row)
    if warc:
        path, record = warc
        store._warc(path).write(*record, body)


_FETCH_COLUMNS = [c for c in TABLES["fetches"].columns if c != "id"]  # the order of _fetch_row
_INSERT_FETCH = f"INSERT INTO fetches ({', '.join(_FETCH_COLUMNS)}) VALUES ({', '.join('?' * len(_FETCH_COLUMNS))})"
_RUN_SITE_COLUMNS = list(TABLES["crawl_run_sites"].columns)  # run_id, then a site's outcome under these names
_INSERT_RUN_SITE = (f"INSERT OR REPLACE INTO crawl_run_sites ({', '.join(_RUN_SITE_COLUMNS)})"
                    f" VALUES ({', '.join('?' * len(_RUN_SITE_COLUMNS))})")


def _insert_fetch(store: Store, row: tuple) -> None:
    store.db.execute(_INSERT_FETCH, row)


def _record(store: Store, row: tuple) -> None:
    db = store.db
    site, report_key, url, title, agency, year, role, file_name, parent_url, sha256, run_id = row
    last = db.execute("SELECT version, sha256 FROM report_documents WHERE url = ? ORDER BY version DESC LIMIT 1",
                      (url,)).fetchone()
    if last and last[1] == sha256:
        db.execute("UPDATE report_documents SET last_seen = ? WHERE url = ? AND version = ?", (now(), url, last[0]))
        return
    version = last[0] + 1 if last else 1
    db.execute(
        "INSERT INTO report_documents (site, report_key, url, title, agency, year, role, file_name, parent_url,"
        " version, sha256, first_seen, last_seen, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (site, report_key, url, title, agency, year, role, file_name, parent_url, version, sha256, now(), now(), run_id))


JOBS = {
    "response": _keep_response,
    "fetch": _insert_fetch,
    "record": _record,
}


class WriterDied(RuntimeError):
    """The store's writer process is gone: what it had not written is not in the store (the next crawl
    fetches it again)."""


class _Writer:
    """A child process that applies the store's jobs in the order they were sent.

    It ignores SIGINT and SIGTERM (a signal to the crawl's process group, as `timeout`, systemd and Ctrl-C
    send, is the crawl's to handle: the crawl stops and then closes the writer, so everything fetched is
    written) and dies with the crawl (the parent-death signal). Whoever waits for it never waits on a dead
    writer: every wait polls whether it is still alive, and a dead one raises WriterDied."""

    POLL = 0.2  # seconds between two looks at the writer while waiting for it

    def __init__(self, root: Path, part: str | None = None):
        context = multiprocessing.get_context("fork")  # started before Scrapy's reactor and threads exist
        self.jobs = context.Queue(maxsize=2000)
        self.replies = context.Queue()  # ("error", message) and ("synced", number), from the writer
        self.process = context.Process(target=_serve, args=(str(root), part, self.jobs, self.replies, os.getpid()),
                                       daemon=True, name="store-writer")
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:  # no signal between the fork and the child's SIG_IGN
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self.sent = self.syncs = 0
        self.error: str | None = None
        self.broken: str | None = None  # why the writer is gone, once it is
        self.on_broken = None  # called once when the writer is found dead
        self._looked = time.monotonic()

    def send(self, job: str, args: tuple) -> None:
        self.sent += 1
        if self.sent % 500 == 0:  # polling the replies on every send costs more than the send
            self._raise()
        now = time.monotonic()
        if now - self._looked > self.POLL:
            self._looked = now
            self._alive()
        self._put((job, args))

    def join(self) -> None:
        """Wait until everything sent is written (and raise what the writer hit)."""
        self.syncs += 1
        self._put(("sync", self.syncs))
        while True:
            try:
                kind, value = self.replies.get(timeout=self.POLL)
            except queue.Empty:
                self._alive()
                continue
            if kind == "error":
                self.error = self.error or value
            elif value == self.syncs:
                break
        self._raise()

    def close(self) -> None:
        self.join()
        self._put(None)
        self.process.join(timeout=60)

    def _put(self, item) -> None:
        while True:
            self._alive()
            try:
                self.jobs.put(item, timeout=self.POLL)
                return
            except queue.Full:
                continue

    def _alive(self) -> None:
        if self.broken is None and not self.process.is_alive():
            code = self.process.exitcode
            how = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
            self.broken = f"the store's writer process died ({how})"
            self.jobs.cancel_join_thread()  # nothing reads the queue any more: do not wait for it at exit
            if self.on_broken:
                self.on_broken(self.broken)
        if self.broken:
            raise WriterDied(self.broken)

    def _raise(self) -> None:
        while self.error is None:
            try:
                kind, value = self.replies.get_nowait()
            except queue.Empty:
                break
            if kind == "error":
                self.error = value
        if self.error:
            raise RuntimeError(f"the store's writer failed: {self.error}")


def _serve(root: str, part: str | None, jobs, replies, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl stops on these, then closes the writer
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    try:  # die with the crawl, as a thread would
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the crawl died before the line above
        return
    store = Store(root, part=part)  # its own SQLite connection: the forked one belongs to the parent
    failed = False
    while True:
        job = jobs.get()
        try:
            if job is None:
                store.close()
                return
            name, args = job
            if name == "sync":
                replies.put(("synced", args))
            elif not failed:
                JOBS[name](store, *args)
        except Exception as e:  # noqa: BLE001 - reported to the crawl by the next send() or flush()
            failed = True
            replies.put(("error", f"{type(e).__name__}: {e}"))
