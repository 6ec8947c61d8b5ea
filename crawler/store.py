"""What the crawler keeps: every response body as original bytes, content-addressed, and a log of fetches.

`data/raw/ab/cd/<sha256>` holds each distinct body once, written to a temporary name and renamed, so a
crawl killed at any moment leaves no half file under a real name. `data/crawl.db` (SQLite, WAL) holds
the `fetches` and `documents` tables of shared/spec/data-model.md plus what the crawler found: the
report documents per site with their versions, the sites' status and the crawl runs. Each fetch is
committed as it is logged, so a killed crawl loses at most the response in flight, and a restarted one
sends conditional requests for everything already kept.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY, media_type TEXT, size INTEGER, path TEXT, first_url TEXT, first_seen TEXT);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY, url TEXT, final_url TEXT, status INTEGER, etag TEXT, last_modified TEXT,
    sha256 TEXT, size INTEGER, media_type TEXT, fetched_at TEXT, site TEXT, run_id INTEGER, kind TEXT,
    headers TEXT);
CREATE INDEX IF NOT EXISTS fetches_url ON fetches(url);
CREATE TABLE IF NOT EXISTS sites (
    name TEXT PRIMARY KEY, agency TEXT, region TEXT, start_url TEXT, cms TEXT, last_crawled TEXT,
    status TEXT, status_detail TEXT);
CREATE TABLE IF NOT EXISTS crawl_runs (
    id INTEGER PRIMARY KEY, started TEXT, finished TEXT, sites INTEGER, pages INTEGER,
    new_reports INTEGER, changed_reports INTEGER, errors INTEGER);
CREATE TABLE IF NOT EXISTS report_documents (
    id INTEGER PRIMARY KEY, site TEXT, report_key TEXT, url TEXT, title TEXT, agency TEXT, year INTEGER,
    role TEXT, file_name TEXT, parent_url TEXT, version INTEGER, sha256 TEXT, first_seen TEXT,
    last_seen TEXT, run_id INTEGER, UNIQUE (url, version));
CREATE INDEX IF NOT EXISTS report_documents_key ON report_documents(report_key);
"""


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Validators:
    """What a conditional request needs from the last fetch of a URL."""

    etag: str | None
    last_modified: str | None
    sha256: str | None


class Store:
    def __init__(self, data_dir: str | os.PathLike):
        self.root = Path(data_dir)
        self.raw = self.root / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.root / "crawl.db", timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- raw bytes ------------------------------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        return self.raw / sha256[:2] / sha256[2:4] / sha256

    def put(self, body: bytes, url: str, media_type: str | None) -> str:
        """Keep a body (once per distinct content) and return its sha256."""
        sha256 = hashlib.sha256(body).hexdigest()
        path = self.path_for(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        self.db.execute(
            "INSERT OR IGNORE INTO documents (sha256, media_type, size, path, first_url, first_seen) VALUES (?,?,?,?,?,?)",
            (sha256, media_type, len(body), str(path.relative_to(self.root)), url, now()))
        return sha256

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    # --- fetch log ------------------------------------------------------------------------------

    def log_fetch(self, *, url: str, final_url: str, status: int, headers: dict, sha256: str | None, size: int,
                  media_type: str | None, site: str, run_id: int, kind: str) -> None:
        self.db.execute(
            "INSERT INTO fetches (url, final_url, status, etag, last_modified, sha256, size, media_type, fetched_at,"
            " site, run_id, kind, headers) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (url, final_url, status, headers.get("etag"), headers.get("last-modified"), sha256, size, media_type,
             now(), site, run_id, kind, json.dumps(headers, ensure_ascii=False)))

    def validators(self, url: str) -> Validators | None:
        """ETag and Last-Modified of the last successful fetch of a URL that kept a body."""
        row = self.db.execute(
            "SELECT etag, last_modified, sha256 FROM fetches WHERE url = ? AND sha256 IS NOT NULL AND status = 200"
            " ORDER BY id DESC LIMIT 1", (url,)).fetchone()
        return Validators(*row) if row else None

    # --- sites and runs -------------------------------------------------------------------------

    def start_run(self, sites: int) -> int:
        cursor = self.db.execute("INSERT INTO crawl_runs (started, sites, pages, new_reports, changed_reports, errors)"
                                 " VALUES (?, ?, 0, 0, 0, 0)", (now(), sites))
        return cursor.lastrowid

    def finish_run(self, run_id: int, pages: int, errors: int) -> dict:
        new, changed = self.db.execute(
            "SELECT SUM(version = 1), SUM(version > 1) FROM report_documents WHERE run_id = ? AND role = 'page'",
            (run_id,)).fetchone()
        self.db.execute("UPDATE crawl_runs SET finished = ?, pages = ?, new_reports = ?, changed_reports = ?,"
                        " errors = ? WHERE id = ?", (now(), pages, new or 0, changed or 0, errors, run_id))
        return {"run": run_id, "pages": pages, "new_reports": new or 0, "changed_reports": changed or 0,
                "errors": errors}

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
                               sha256: str, run_id: int) -> int:
        """Note a report page or attachment; a changed body at a known URL becomes its next version.
        Returns the version."""
        last = self.db.execute("SELECT version, sha256 FROM report_documents WHERE url = ? ORDER BY version DESC"
                               " LIMIT 1", (url,)).fetchone()
        if last and last[1] == sha256:
            self.db.execute("UPDATE report_documents SET last_seen = ?, run_id = CASE WHEN run_id IS NULL THEN ?"
                            " ELSE run_id END WHERE url = ? AND version = ?", (now(), run_id, url, last[0]))
            return last[0]
        version = last[0] + 1 if last else 1
        self.db.execute(
            "INSERT INTO report_documents (site, report_key, url, title, agency, year, role, file_name, parent_url,"
            " version, sha256, first_seen, last_seen, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (site, report_key, url, title, agency, year, role, file_name, parent_url, version, sha256, now(), now(),
             run_id))
        return version

    def touch_report_document(self, url: str) -> None:
        self.db.execute("UPDATE report_documents SET last_seen = ? WHERE url = ? AND version ="
                        " (SELECT MAX(version) FROM report_documents WHERE url = ?)", (now(), url, url))
