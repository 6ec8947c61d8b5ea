"""The parts of a shared crawl folded into `DATA/crawl.db`, before a build reads it.

Each crawler on a shared Redis frontier (crawler/frontier.py) writes its own fetch log,
`DATA/parts/<machine-process-start>/crawl.db`, and its WARC file beside it, and the bodies to the shared
`DATA/raw/`. SQLite is not to be shared by writers on several machines (a network file system breaks its
locks), so each process writes alone and `merge` folds the parts in, on one machine, when the build starts:

- fetches: each part's rows once (those past what was merged of it before);
- documents: one row per body;
- report documents: a version per distinct body at a URL, in the order the parts first saw them, so two
  processes that fetched one body make one version, and a body that changed between them makes two;
- one crawl run per shared crawl, with a row per site combined from the parts (the worst status, the
  details, the figures summed; reports found and new counted from the merged rows);
- the WARC files of parts whose crawler is gone repaired (a killed crawler's torn last record cut back).

Merging again adds nothing, and it may run while crawlers still run: a live part (it holds the lock on its
folder) gives the rows it has so far, and its run stays unfinished.
"""
from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path

from crawler.store import TABLES, Store, close_run_rows, now
from crawler.warc import repair

WORST_LAST = ("ok", "partial", "forbidden", "unreachable", "blocked")
_FETCH_COLUMNS = [c for c in TABLES["fetches"].columns if c not in ("id", "run_id")]
_DOC_COLUMNS = list(TABLES["documents"].columns)
_REPORT_COLUMNS = [c for c in TABLES["report_documents"].columns if c not in ("id", "version")]
_SITE_FIGURES = ("pages", "failed", "skipped", "missing")


def live(folder: Path) -> bool:
    """Whether the part's crawler still runs (it holds the lock on its folder until it ends, or dies)."""
    lock = folder / "running.lock"
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def merge(data: str | Path) -> list[str]:
    """Fold every part under `DATA/parts/` into `DATA/crawl.db`; returns the parts' names."""
    data = Path(data)
    folders = sorted(p.parent for p in (data / "parts").glob("*/crawl.db"))
    if not folders:
        return []
    store = Store(data)
    db = store.db
    try:
        db.execute("BEGIN IMMEDIATE")
        crawls: dict[str, dict] = {}
        reports = []
        for folder in folders:
            running = live(folder)
            if not running:
                for warc in sorted((folder / "warc").glob("*.warc.gz")):
                    repair(warc)
            part = sqlite3.connect(folder / "crawl.db", timeout=30)
            part.row_factory = sqlite3.Row
            try:
                reports += _merge_part(db, part, folder.name, running, crawls)
            finally:
                part.close()
        for row in sorted(reports, key=lambda r: (r["first_seen"], r["part"], r["id"])):
            _merge_report_document(db, row)
        for crawl in crawls.values():
            _close_crawl(db, crawl)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        store.close()
    return [folder.name for folder in folders]


def _merge_part(db, part, name: str, running: bool, crawls: dict) -> list[dict]:
    runs = part.execute("SELECT * FROM crawl_runs ORDER BY id").fetchall()
    if not runs:
        return []
    crawl_id = runs[0]["crawl"] or name
    crawl = crawls.get(crawl_id) or crawls.setdefault(crawl_id, _crawl_run(db, crawl_id, runs[0]["started"]))
    crawl["started"] = min(crawl["started"], runs[0]["started"])
    crawl["live"] |= running
    crawl["finished"].append(runs[-1]["finished"])  # None for a crawler killed before its end
    crawl["errors"] += sum(r["errors"] or 0 for r in runs)
    for row in part.execute("SELECT * FROM crawl_run_sites"):
        crawl["sites"].setdefault(row["site"], []).append(dict(row))
    merged = db.execute("SELECT fetches FROM crawl_parts WHERE name = ?", (name,)).fetchone()
    last = merged[0] if merged else 0
    fetches = part.execute(f"SELECT id, {', '.join(_FETCH_COLUMNS)} FROM fetches WHERE id > ? ORDER BY id",
                           (last,)).fetchall()
    db.executemany(f"INSERT INTO fetches ({', '.join(_FETCH_COLUMNS)}, run_id) VALUES"
                   f" ({', '.join('?' * (len(_FETCH_COLUMNS) + 1))})",
                   [(*tuple(row)[1:], crawl["run"]) for row in fetches])
    last = fetches[-1]["id"] if fetches else last
    db.executemany(f"INSERT OR IGNORE INTO documents ({', '.join(_DOC_COLUMNS)}) VALUES"
                   f" ({', '.join('?' * len(_DOC_COLUMNS))})",
                   part.execute(f"SELECT {', '.join(_DOC_COLUMNS)} FROM documents").fetchall())
    columns = list(TABLES["sites"].columns)
    db.executemany(f"INSERT INTO sites ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                   " ON CONFLICT(name) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns[1:]) +
                   " WHERE excluded.last_crawled >= sites.last_crawled",
                   part.execute(f"SELECT {', '.join(columns)} FROM sites").fetchall())
    db.execute("INSERT INTO crawl_parts (name, crawl, run_id, fetches, merged) VALUES (?,?,?,?,?)"
               " ON CONFLICT(name) DO UPDATE SET fetches = excluded.fetches, merged = excluded.merged",
               (name, crawl_id, crawl["run"], last, now()))
    return [{**dict(row), "run_id": crawl["run"], "part": name}
            for row in part.execute("SELECT * FROM report_documents")]


def _crawl_run(db, crawl_id: str, started: str) -> dict:
    row = db.execute("SELECT id FROM crawl_runs WHERE crawl = ?", (crawl_id,)).fetchone()
    run = row[0] if row else db.execute(
        "INSERT INTO crawl_runs (started, sites, pages, new_reports, changed_reports, errors, crawl)"
        " VALUES (?, 0, 0, 0, 0, 0, ?)", (started, crawl_id)).lastrowid
    return {"run": run, "started": started, "finished": [], "live": False, "errors": 0, "sites": {}}


def _merge_report_document(db, row: dict) -> None:
    """A part's report document: the version it names when that body is known at that URL, else the next."""
    same = db.execute("SELECT version FROM report_documents WHERE url = ? AND sha256 = ?",
                      (row["url"], row["sha256"])).fetchone()
    if same:
        db.execute("UPDATE report_documents SET last_seen = MAX(last_seen, ?) WHERE url = ? AND version = ?",
                   (row["last_seen"], row["url"], same[0]))
        return
    last = db.execute("SELECT MAX(version) FROM report_documents WHERE url = ?", (row["url"],)).fetchone()[0]
    db.execute(f"INSERT INTO report_documents ({', '.join(_REPORT_COLUMNS)}, version) VALUES"
               f" ({', '.join('?' * (len(_REPORT_COLUMNS) + 1))})",
               (*(row[c] for c in _REPORT_COLUMNS), (last or 0) + 1))


def _close_crawl(db, crawl: dict) -> None:
    """The shared crawl's run: a row per site combined from its parts; finished when no crawler of it runs
    (a killed crawler's requests were taken up by the others, see crawler/frontier.py)."""
    sites = []
    for site, rows in crawl["sites"].items():
        combined = {"site": site, "status": max((r["status"] for r in rows), key=_worst),
                    "detail": "; ".join(dict.fromkeys(r["detail"] for r in rows if r["detail"]))[:500],
                    "dialect": next((r["dialect"] for r in rows if r["dialect"]), None)}
        combined.update({k: sum(r[k] or 0 for r in rows) for k in _SITE_FIGURES})
        combined["found"] = db.execute(
            "SELECT COUNT(DISTINCT report_key) FROM report_documents WHERE site = ? AND last_seen >= ?",
            (site, crawl["started"])).fetchone()[0]
        sites.append(combined)
        db.execute("UPDATE sites SET status = ?, status_detail = ? WHERE name = ?",
                   (combined["status"], combined["detail"], site))
    ends = [f for f in crawl["finished"] if f]
    finished = max(ends) if ends and not crawl["live"] else None
    db.execute("UPDATE crawl_runs SET started = ?, sites = ? WHERE id = ?",
               (crawl["started"], len(sites), crawl["run"]))
    close_run_rows(db, crawl["run"], sum(s["pages"] for s in sites), crawl["errors"], sites, finished)


def _worst(status: str) -> int:
    return WORST_LAST.index(status) if status in WORST_LAST else len(WORST_LAST)
