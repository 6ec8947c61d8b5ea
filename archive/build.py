"""`nianbao build`: the crawl's raw store and fetch log → `archive.db`, the public tables of
docs/data-model.md plus the search index.

Documents are extracted only when new or changed (archive/extraction.py); a report's page and
attachments merge into one report per version (archive/versions.py, archive/merge.py); then the whole
archive is written to a new file and renamed over the old one, so an interrupted build leaves the
previous archive as it was, and a build with nothing new leaves the file untouched. Report ids are kept
from the previous archive, so a report's address on the site never changes.

A build never fails because of one document's content: a report that cannot be merged, checked or written
(a number SQLite cannot hold, text it cannot encode, anything else its rows raise) is left out, named with
its documents in the log, counted in the summary (`left_out`) and listed in `_build` ('left_out'); the rest
is built. The crawl's tables are copied as crawler/store.py defines them (`TABLES`), less what stays private.
Extraction workers, and every other process the build forks, die with it (archive/extraction.py).
"""
from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import logging
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from archive import checks, search, tables
from archive.extraction import Cache, Job, die_with_parent_on_fork, extract_all, extractor_version
from archive.merge import merge
from archive.regions import region_of
from archive.versions import Document, report_versions
from crawler.parts import merge as merge_parts
from crawler.store import TABLES as CRAWL_TABLES

log = logging.getLogger("nianbao.build")
ARCHIVE = "archive.db"
COPIED = ("sites", "fetches", "documents", "crawl_runs", "crawl_run_sites")  # crawl.db tables made public
PRIVATE = {"fetches": {"headers"}}  # what the portals answered stays in crawl.db
PUBLIC_COPIES = {name: [c for c in CRAWL_TABLES[name].columns if c not in PRIVATE.get(name, ())]
                 for name in COPIED}  # crawl.db table → columns copied as they are
SQL_TYPES = {"TEXT": str, "INTEGER": int, "REAL": float, "BLOB": bytes}


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


def build(data_dir: str | os.PathLike, workers: int | None = None, progress=None, queue: str | None = None) -> dict:
    """Returns a summary: reports, versions, documents extracted, failures; `unchanged` when nothing new.
    `progress(stage, done, total)` is told each stage ("extracting", then "writing", total None) as it goes."""
    data = Path(data_dir)
    merge_parts(data)  # a crawl shared by several crawlers: their parts folded into crawl.db first
    crawl = _crawl_db(data)
    lock = open(data / ".build.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        crawl.close()
        lock.close()
        raise BuildError(f"another build of {data} is running; wait for it to end") from None
    die_with_parent_on_fork()
    try:
        return _build(data, crawl, workers, progress, queue)
    finally:
        lock.close()


class _LeftOut(list):
    """The reports a build leaves out, each {report_key, version, url, documents, error}, logged as added."""

    def add(self, report_key: str, version: int, documents, error: BaseException | str) -> None:
        urls = [d.url for d in documents]
        if isinstance(error, BaseException):
            error = f"{type(error).__name__}: {' '.join(str(error).split())}"
        entry = {"report_key": report_key, "version": version, "url": urls[0] if urls else None, "documents": urls,
                 "error": error[:300]}
        self.append(entry)
        log.warning("build: report %s (version %s) left out: %s; its documents: %s", report_key, version,
                    entry["error"], ", ".join(urls) or "none")

    def report(self, report: dict, error) -> None:
        self.add(report["report_key"], report["version"], report.get("documents") or [], error)


def _build(data: Path, crawl: sqlite3.Connection, workers, progress, queue: str | None = None) -> dict:
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
                                          progress and (lambda done, total: progress("extracting", done, total)),
                                          queue=queue, data=data)
        finally:
            cache.close()
        sites = {row["name"]: dict(row) for row in crawl.execute("SELECT * FROM sites")}
        left_out = _LeftOut()
        reports = []
        for version in versions:
            try:
                reports.append(merge(version, extracted))
            except Exception as e:  # noqa: BLE001 - one document's content must not stop the build
                left_out.add(version.report_key, version.version, version.documents, e)
        _assign_ids(reports, old_ids)
        _mark_presence(reports, sites, crawl)
        placed = []
        for report in reports:
            site = sites.get(report["site"]) or {}
            same_agency = report["agency"] == site.get("agency")
            try:
                report.update(region_of(report["agency"], site.get("region") if same_agency else None)._asdict())
            except Exception as e:  # noqa: BLE001
                left_out.report(report, e)
            else:
                placed.append(report)
        reports = apply_checks(placed, left_out)
        present = {name for (name,) in crawl.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        copies = {name: [dict(zip(cols, row)) for row in crawl.execute(f"SELECT {', '.join(cols)} FROM {name}")]
                  for name, cols in PUBLIC_COPIES.items() if name in present}
    finally:
        crawl.close()
    temporary = target.with_name(f".{ARCHIVE}.{os.getpid()}.tmp")
    if progress:
        progress("writing", 0, None)
    try:
        reports = write_archive(temporary, reports, copies, stamp, left_out)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return {"unchanged": False, "archive": str(target), "extracted": read, "reports": len({r["report_key"] for r in reports}),
            "versions": len(reports), "failed_checks": sum(_failed(r) for r in reports if r["is_latest"]),
            "unreadable": sum("error" in r for r in extracted.values()), "left_out": len(left_out),
            "left_out_reports": list(left_out)}


def apply_checks(reports: list[dict], left_out: _LeftOut) -> list[dict]:
    """archive.checks.apply over all the reports; when it raises, the reports that make it raise on their own
    are left out and it runs again over the others (then, if it still raises, each report is checked alone,
    without the rules that compare it with another). Returns the reports kept."""
    saved = [r["checks"] for r in reports]

    def restore():
        for report, before in zip(reports, saved):
            report["checks"] = before

    try:
        checks.apply(reports)
        return reports
    except Exception:  # noqa: BLE001
        restore()
    kept = []
    for report in reports:
        try:
            checks.apply([dict(report)])  # on a copy: alone, its checks are not the ones it gets with the others
        except Exception as e:  # noqa: BLE001
            left_out.report(report, e)
        else:
            kept.append(report)
    try:
        checks.apply(kept)
        return kept
    except Exception:  # noqa: BLE001 - only together with another report: check each alone
        restore()
    for report in kept:
        checks.apply([report])
    return kept


def _assign_ids(reports: list[dict], old_ids: dict[tuple, int]) -> None:
    next_id = max(old_ids.values(), default=0) + 1
    for report in sorted(reports, key=lambda r: (r["first_seen"], r["report_key"], r["version"])):
        key = (report["report_key"], report["version"])
        if key in old_ids:
            report["id"] = old_ids[key]
        else:
            report["id"], next_id = next_id, next_id + 1


def _assign_search_ids(reports: list[dict]) -> None:
    """Each report's place in the ranked search (archive/search.py): latest versions 1, 2, … by year, newest
    first (no year last), then newest id; older versions -1, -2, … the same way."""
    def order(report: dict) -> tuple:
        year = report.get("year") if isinstance(report.get("year"), int) else None
        return year is None, -(year or 0), -report["id"]

    for sign, latest in ((1, True), (-1, False)):
        for place, report in enumerate(sorted((r for r in reports if bool(r["is_latest"]) == latest), key=order), 1):
            report["search_id"] = sign * place


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
               search_id=report.get("search_id"),
               failed_rules=json.dumps(sorted({c["rule"] for c in report["checks"] if c.get("ok") is False})))
    return row


def _storable(value, where: str) -> None:
    """Raise ValueError unless SQLite can hold the value as it is (what the insert would raise later, for the
    whole build, is found here for one report)."""
    if value is None or isinstance(value, (float, bytes)):
        return
    if isinstance(value, int):
        if not -2**63 <= value < 2**63:
            raise ValueError(f"{where} = {value} is beyond what SQLite can hold")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{where} holds text that is not valid Unicode (a lone surrogate)") from None
        return
    raise ValueError(f"{where} is a {type(value).__name__}, not a value SQLite can hold")


_SIMPLE = {type(None), bool, int, float, bytes, str}


def _all_storable(values) -> bool:
    """Whether SQLite can surely hold all the values, found by three C-level passes over them all (the
    value-by-value check cost 0.75 ms a report: 4 minutes of a 300,000-report build). False means "look
    closer", not "bad": -2**63 fits but fails here."""
    if not set(map(type, values)) <= _SIMPLE:
        return False
    if max(map(abs, filter(int.__instancecheck__, values)), default=0) >= 2**63:
        return False
    try:
        "".join(filter(str.__instancecheck__, values)).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_rows(report: dict) -> None:
    """Every row the report will be written as, checked column by column; raises on the first bad value."""
    columns = [(f"reports.{column}", (value,)) for column, value in report_row(report).items()]
    for name, rows in tables.ROWS.items():
        columns += zip([f"{name}.{c}" for c in tables.COLUMNS[name]], zip(*rows(report["id"], report["tables"].get(name))))
    columns += zip([f"checks.{c}" for c in tables.COLUMNS["checks"]], zip(*tables.checks(report["id"], report["checks"])))
    columns += [(f"report_files.{column}", [getattr(d, column) for d in report["documents"]])
                for column in ("role", "url", "file_name", "sha256", "media_type")]
    if _all_storable(list(itertools.chain.from_iterable(values for _, values in columns))):
        return
    for where, values in columns:
        for value in values:
            _storable(value, where)


def write_archive(path: Path, reports: list[dict], copies: dict[str, list[dict]], stamp: str = "",
                  left_out: _LeftOut | None = None) -> list[dict]:
    """All public tables into a new SQLite file (the caller renames it into place). A report whose rows
    cannot be written is left out (added to `left_out`, when given, and logged); returns the reports written."""
    left_out = left_out if left_out is not None else _LeftOut()
    kept = []
    for report in reports:
        try:
            check_rows(report)
        except Exception as e:  # noqa: BLE001 - one document's content must not stop the build
            left_out.report(report, e)
        else:
            kept.append(report)
    try:
        _write(path, kept, copies, stamp, left_out)
        return kept
    except Exception:  # noqa: BLE001 - something check_rows did not foresee: find the reports by trying each
        trial = sqlite3.connect(":memory:")
        try:
            _create(sqlite_utils.Database(trial))
            survivors = []
            for report in kept:
                try:
                    with trial:
                        _insert_report(trial, report)
                except Exception as e:  # noqa: BLE001
                    left_out.report(report, e)
                else:
                    survivors.append(report)
        finally:
            trial.close()
        if len(survivors) == len(kept):
            raise  # not any one report's fault
    _write(path, survivors, copies, stamp, left_out)
    return survivors


def _insert_report(conn: sqlite3.Connection, report: dict) -> None:
    """One report's rows (the trial that finds which report a failed write choked on)."""
    row = report_row(report)
    conn.execute(f"INSERT INTO reports ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    for name, rows in tables.ROWS.items():
        tables.insert(conn, name, rows(report["id"], report["tables"].get(name)))
    tables.insert(conn, "checks", tables.checks(report["id"], report["checks"]))
    conn.executemany("INSERT INTO report_files (report_id, role, url, file_name, sha256, media_type)"
                     " VALUES (?,?,?,?,?,?)", [(report["id"], d.role, d.url, d.file_name, d.sha256, d.media_type)
                                               for d in report["documents"]])


def _write(path: Path, reports: list[dict], copies: dict[str, list[dict]], stamp: str, left_out: list) -> None:
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA journal_mode=OFF")
    db.conn.execute("PRAGMA synchronous=OFF")
    _create(db)
    _assign_search_ids(reports)
    # in rising rowid order: FTS5 flushes its pending index whenever a rowid is not above the last one
    search_rows = sorted((r["search_id"], r["title"], r["text"]) for r in reports)
    with search.building(search_rows, path.parent) as copy_index:
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
                                     {"key": "extractor", "value": extractor_version()},
                                     {"key": "left_out", "value": json.dumps(list(left_out), ensure_ascii=False)}])
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
    counts = {name: reports if name in search.FTS_TABLES else conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
              for name in names}
    counts["_build"] += 1  # this row
    return counts


def _create(db: sqlite_utils.Database) -> None:
    for name, columns in PUBLIC_COPIES.items():  # as crawler/store.py defines them
        table = CRAWL_TABLES[name]
        db[name].create({c: SQL_TYPES[table.columns[c]] for c in columns},
                        pk=table.key[0] if len(table.key) == 1 else table.key)
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
    # The search's key first, then what the ranked search and Datasette's facets on a search read, so that
    # neither fetches a report's large row per match.
    search_key = ["search_id", "is_latest", "year", "province", "city", "table_format", "checks_failed", "title"]
    for table, columns in (("reports", search_key), ("reports", ["report_key"]), ("reports", ["agency", "year"]), ("reports", ["year"]),
                           ("reports", ["province", "city"]), ("reports", ["is_latest"]),
                           ("active_disclosure", ["report_id"]), ("applications", ["report_id"]),
                           ("applications", ["row_code", "applicant"]), ("review_litigation", ["report_id"]),
                           ("checks", ["report_id"]), ("checks", ["rule", "ok"]), ("report_files", ["report_id"]),
                           ("fetches", ["url"])):
        db[table].create_index(columns)
