"""`nianbao build`: the crawl's raw store and fetch log → `archive.db`, the public tables of
docs/data-model.md plus the search index.

Documents are extracted only when new or changed (archive/extraction.py); a report's page and
attachments merge into one report per version (archive/versions.py, archive/merge.py); then the whole
archive is written to a new file and renamed over the old one, so an interrupted build leaves the
previous archive as it was, and a build with nothing new leaves the file untouched. Report ids are kept
from the previous archive, so a report's address on the site never changes.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from archive import checks, search, tables
from archive.extraction import Cache, Job, extract_all, extractor_version
from archive.merge import merge
from archive.regions import region_of
from archive.versions import Document, report_versions

ARCHIVE = "archive.db"
PUBLIC_COPIES = {  # crawl.db table → columns copied as they are
    "sites": ["name", "agency", "region", "start_url", "cms", "last_crawled", "status", "status_detail"],
    "fetches": ["id", "url", "final_url", "status", "etag", "last_modified", "sha256", "size", "media_type",
                "fetched_at", "site", "run_id", "kind"],
    "documents": ["sha256", "media_type", "size", "path", "first_url", "first_seen"],
    "crawl_runs": ["id", "started", "finished", "sites", "pages", "new_reports", "changed_reports", "errors"],
    "crawl_run_sites": ["run_id", "site", "status", "detail", "dialect", "pages", "found", "new", "changed",
                        "failed", "skipped"],
}


class BuildError(Exception):
    """The build cannot start; the message says what to do."""


def _crawl_db(data: Path) -> sqlite3.Connection:
    path = data / "crawl.db"
    if not path.exists():
        raise BuildError(f"no crawl in {data}: run `nianbao crawl --data {data}` first")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    db.row_factory = sqlite3.Row
    return db


def load_documents(crawl: sqlite3.Connection, data: Path) -> list[Document]:
    rows = crawl.execute(
        "SELECT r.site, r.report_key, r.url, r.title, r.agency, r.year, r.role, r.file_name, r.parent_url, r.version,"
        " r.sha256, r.first_seen, r.last_seen, r.run_id, d.path, d.media_type FROM report_documents r"
        " JOIN documents d USING (sha256) ORDER BY r.id").fetchall()
    return [Document(**{**dict(row), "path": str(data / row["path"])}) for row in rows]


def jobs_for(versions) -> list[Job]:
    """One extraction per document, a page with the pictures the crawl fetched for it."""
    jobs = []
    for version in versions:
        for doc in version.documents:
            if doc.role == "picture":
                continue
            pictures = {p.url: p.path for p in version.documents if p.role == "picture" and p.parent_url == doc.url}
            job = Job(doc.sha256, doc.path, doc.url, pictures)
            doc.extraction_key = job.key
            jobs.append(job)
    return jobs


def fingerprint(crawl: sqlite3.Connection) -> str:
    """What the archive is made from: the crawl's rows, the extractor's and this builder's source."""
    digest = hashlib.sha256(extractor_version().encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for sql in ("SELECT * FROM report_documents ORDER BY id", "SELECT * FROM sites ORDER BY name",
                "SELECT * FROM crawl_runs ORDER BY id", "SELECT COUNT(*), MAX(id) FROM fetches"):
        for row in crawl.execute(sql):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _previous(path: Path) -> tuple[str | None, dict[tuple, int]]:
    if not path.exists():
        return None, {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            stamp = db.execute("SELECT value FROM _build WHERE key = 'fingerprint'").fetchone()
            ids = {(k, v): i for i, k, v in db.execute("SELECT id, report_key, version FROM reports")}
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return None, {}
    return (stamp[0] if stamp else None), ids


def build(data_dir: str | os.PathLike, workers: int | None = None, progress=None) -> dict:
    """Returns a summary: reports, versions, documents extracted, failures; `unchanged` when nothing new.
    `progress(stage, done, total)` is told each stage ("extracting", then "writing", total None) as it goes."""
    data = Path(data_dir)
    crawl = _crawl_db(data)
    lock = open(data / ".build.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        crawl.close()
        lock.close()
        raise BuildError(f"another build of {data} is running; wait for it to end") from None
    try:
        return _build(data, crawl, workers, progress)
    finally:
        lock.close()


def _build(data: Path, crawl: sqlite3.Connection, workers, progress) -> dict:
    for stale in [*data.glob(f".{ARCHIVE}.*.tmp"), *data.glob(".search-*.db")]:  # left by a killed build
        stale.unlink()
    try:
        target = data / ARCHIVE
        stamp = fingerprint(crawl)
        old_stamp, old_ids = _previous(target)
        if stamp == old_stamp:
            return {"unchanged": True, "archive": str(target), "extracted": 0}
        versions = report_versions(load_documents(crawl, data))
        cache = Cache(data / "extracted.db")
        try:
            extracted, read = extract_all(jobs_for(versions), cache, workers,
                                          progress and (lambda done, total: progress("extracting", done, total)))
        finally:
            cache.close()
        sites = {row["name"]: dict(row) for row in crawl.execute("SELECT * FROM sites")}
        reports = [merge(v, extracted) for v in versions]
        _assign_ids(reports, old_ids)
        _mark_presence(reports, sites, crawl)
        for report in reports:
            site = sites.get(report["site"]) or {}
            same_agency = report["agency"] == site.get("agency")
            report.update(region_of(report["agency"], site.get("region") if same_agency else None)._asdict())
        checks.apply(reports)
        present = {name for (name,) in crawl.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        copies = {name: [dict(zip(cols, row)) for row in crawl.execute(f"SELECT {', '.join(cols)} FROM {name}")]
                  for name, cols in PUBLIC_COPIES.items() if name in present}
    finally:
        crawl.close()
    temporary = target.with_name(f".{ARCHIVE}.{os.getpid()}.tmp")
    if progress:
        progress("writing", 0, None)
    try:
        write_archive(temporary, reports, copies, stamp)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return {"unchanged": False, "archive": str(target), "extracted": read, "reports": len({r["report_key"] for r in reports}),
            "versions": len(reports), "failed_checks": sum(_failed(r) for r in reports if r["is_latest"]),
            "unreadable": sum("error" in r for r in extracted.values())}


def _assign_ids(reports: list[dict], old_ids: dict[tuple, int]) -> None:
    next_id = max(old_ids.values(), default=0) + 1
    for report in sorted(reports, key=lambda r: (r["first_seen"], r["report_key"], r["version"])):
        key = (report["report_key"], report["version"])
        if key in old_ids:
            report["id"] = old_ids[key]
        else:
            report["id"], next_id = next_id, next_id + 1


def _mark_presence(reports: list[dict], sites: dict, crawl: sqlite3.Connection) -> None:
    """A report not seen by its site's last successful crawl is no longer on the portal (kept, marked)."""
    starts = {}
    for name, site in sites.items():
        row = crawl.execute("SELECT MAX(started) FROM crawl_runs WHERE started <= ?", (site["last_crawled"],)).fetchone()
        starts[name] = row[0] if site["status"] == "ok" else None
    for report in reports:
        latest_run = starts.get(report["site"])
        report["on_portal"] = int(not (report["is_latest"] and latest_run and report["last_seen"] < latest_run))


def _failed(report: dict) -> int:
    return sum(1 for c in report["checks"] if c.get("ok") is False)


REPORT_COLUMNS = {
    "id": int, "report_key": str, "version": int, "is_latest": int, "url": str, "agency": str, "province": str,
    "city": str, "county": str, "year": int, "title": str, "published": str, "table_format": str,
    "tables_as_images": int, "source_sha256": str, "attachment_sha256s": str, "checks_failed": int,
    "first_seen": str, "last_seen": str, "on_portal": int, "site": str, "warnings": str, "failed_rules": str,
    "cells": str, "search_id": int, "text": str,
}


def report_row(report: dict) -> dict:
    row = {k: report.get(k) for k in REPORT_COLUMNS}
    row.update(is_latest=int(report["is_latest"]), tables_as_images=int(report["tables_as_images"]),
               checks_failed=_failed(report), warnings=json.dumps(report["warnings"], ensure_ascii=False),
               cells=json.dumps(report.get("cells") or {}, ensure_ascii=False),
               search_id=report["id"],
               failed_rules=json.dumps(sorted({c["rule"] for c in report["checks"] if c.get("ok") is False})))
    return row


def write_archive(path: Path, reports: list[dict], copies: dict[str, list[dict]], stamp: str = "") -> None:
    """All public tables into a new SQLite file (the caller renames it into place)."""
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA journal_mode=OFF")
    db.conn.execute("PRAGMA synchronous=OFF")
    _create(db)
    with search.building([(r["id"], r["title"], r["text"]) for r in reports], path.parent) as copy_index:
        with db.conn:
            for name, rows in copies.items():
                db[name].insert_all(rows, batch_size=1000)
            db["reports"].insert_all((report_row(r) for r in reports), batch_size=500)
            for name, rows in tables.ROWS.items():
                tables.insert(db.conn, name, (row for r in reports for row in rows(r["id"], r["tables"].get(name))))
            tables.insert(db.conn, "checks", (row for r in reports for row in tables.checks(r["id"], r["checks"])))
            db["report_files"].insert_all(({"report_id": r["id"], "role": d.role, "url": d.url,
                                            "file_name": d.file_name, "sha256": d.sha256, "media_type": d.media_type}
                                           for r in reports for d in r["documents"]), batch_size=5000)
            db["_build"].insert_all([{"key": "fingerprint", "value": stamp},
                                     {"key": "extractor", "value": extractor_version()}])
        _index(db)  # while the search index is still being built
        copy_index(db.conn)
    with db.conn:
        db["_build"].insert({"key": "table_counts", "value": json.dumps(_counts(db.conn, len(reports)))})
    db.conn.execute("ANALYZE")
    db.close()


def _counts(conn: sqlite3.Connection, reports: int) -> dict[str, int]:
    """Every table's row count, for Datasette's inspect file (archive/serve.py): Datasette would otherwise
    count each table of an immutable database at start-up, which a contentless FTS5 table refuses."""
    names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    counts = {name: reports if name == search.FTS_TABLE else conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
              for name in names}
    counts["_build"] += 1  # this row
    return counts


def _create(db: sqlite_utils.Database) -> None:
    db["sites"].create({"name": str, "agency": str, "region": str, "start_url": str, "cms": str, "last_crawled": str,
                        "status": str, "status_detail": str}, pk="name")
    db["fetches"].create({"id": int, "url": str, "final_url": str, "status": int, "etag": str, "last_modified": str,
                          "sha256": str, "size": int, "media_type": str, "fetched_at": str, "site": str, "run_id": int,
                          "kind": str}, pk="id")
    db["documents"].create({"sha256": str, "media_type": str, "size": int, "path": str, "first_url": str,
                            "first_seen": str}, pk="sha256")
    db["crawl_runs"].create({"id": int, "started": str, "finished": str, "sites": int, "pages": int,
                             "new_reports": int, "changed_reports": int, "errors": int}, pk="id")
    db["crawl_run_sites"].create({"run_id": int, "site": str, "status": str, "detail": str, "dialect": str,
                                  "pages": int, "found": int, "new": int, "changed": int, "failed": int,
                                  "skipped": int}, pk=("run_id", "site"))
    db["reports"].create(REPORT_COLUMNS, pk="id")
    db["active_disclosure"].create({"report_id": int, "item": str, "measure": str, "value": float},
                                   foreign_keys=[("report_id", "reports", "id")])
    db["applications"].create({"report_id": int, "row_code": str, "row_label": str, "applicant": str, "value": int},
                              foreign_keys=[("report_id", "reports", "id")])
    db["review_litigation"].create({"report_id": int, "kind": str, "outcome": str, "value": int},
                                   foreign_keys=[("report_id", "reports", "id")])
    db["checks"].create({"report_id": int, "rule": str, "scope": str, "ok": int, "message": str},
                        foreign_keys=[("report_id", "reports", "id")])
    db["report_files"].create({"report_id": int, "role": str, "url": str, "file_name": str, "sha256": str,
                               "media_type": str}, foreign_keys=[("report_id", "reports", "id")])
    db["_build"].create({"key": str, "value": str}, pk="key")


def _index(db: sqlite_utils.Database) -> None:
    for table, columns in (("reports", ["search_id", "is_latest", "year", "title"]), ("reports", ["report_key"]), ("reports", ["agency", "year"]), ("reports", ["year"]),
                           ("reports", ["province", "city"]), ("reports", ["is_latest"]),
                           ("active_disclosure", ["report_id"]), ("applications", ["report_id"]),
                           ("applications", ["row_code", "applicant"]), ("review_litigation", ["report_id"]),
                           ("checks", ["report_id"]), ("checks", ["rule", "ok"]), ("report_files", ["report_id"]),
                           ("fetches", ["url"])):
        db[table].create_index(columns)
