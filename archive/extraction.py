"""Extraction for the build: each stored document read once per extractor version, in parallel.

Results are kept in `data/extracted.db` keyed by the document's sha256 (plus its pictures' for a page
whose tables are pictures), with a fingerprint of the extractor's own source, so a build extracts only
what is new or changed and a new extractor re-reads everything. Pictures come from the raw store, never
the network: the build reads what the crawl kept.

The workers die with the build: every process the build forks (these workers, the search index's) asks
Linux for SIGKILL when its parent dies (PR_SET_PDEATHSIG), so a build killed by any signal leaves none
running, and one whose parent is already gone when it starts ends at once.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import sqlite3
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

EXTRACT_SOURCE = Path(__file__).resolve().parent.parent / "extract"


_PR_SET_PDEATHSIG = 1
_forking_parent: int | None = None
_hooked = False


def _before_fork() -> None:
    global _forking_parent
    _forking_parent = os.getpid()


def _die_with_parent() -> None:
    """In a forked child: SIGKILL when the parent dies (Linux), and end now if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own clean-up is all there is
        return
    if _forking_parent is not None and os.getppid() != _forking_parent:
        os._exit(1)


def die_with_parent_on_fork() -> None:
    """From now on, every child this process forks (multiprocessing, concurrent.futures) dies with it.
    Registered once per process; a child forked by a thread is killed when that thread ends, so pools are
    made by the thread that uses them (as the build does)."""
    global _hooked
    if not _hooked:
        os.register_at_fork(before=_before_fork, after_in_child=_die_with_parent)
        _hooked = True


@lru_cache(maxsize=1)
def extractor_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(EXTRACT_SOURCE.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Job:
    """One document to read: its sha256 and raw path, the URL it came from, and a page's pictures."""

    sha256: str
    path: str
    url: str
    pictures: dict[str, str] = field(default_factory=dict)  # picture URL → raw path

    @property
    def key(self) -> str:
        if not self.pictures:
            return self.sha256
        return self.sha256 + "+" + hashlib.sha256(" ".join(sorted(map(os.path.basename, self.pictures.values()))).encode()).hexdigest()[:16]


class Cache:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS extracted (key TEXT, extractor TEXT, result BLOB, error TEXT,"
                        " PRIMARY KEY (key, extractor))")

    def get(self, key: str) -> dict | None:
        row = self.db.execute("SELECT result, error FROM extracted WHERE key = ? AND extractor = ?",
                              (key, extractor_version())).fetchone()
        if row is None:
            return None
        return json.loads(zlib.decompress(row[0])) if row[0] else {"error": row[1]}

    def put(self, key: str, result: dict) -> None:
        blob = None if "error" in result else zlib.compress(json.dumps(result, ensure_ascii=False).encode(), 3)
        self.db.execute("INSERT OR REPLACE INTO extracted VALUES (?, ?, ?, ?)",
                        (key, extractor_version(), blob, result.get("error")))

    def close(self) -> None:
        self.db.close()


def read(job: Job) -> dict:
    """Extract one document; an unreadable one gives {"error": one line}."""
    from extract.model import ExtractError
    from extract.report import extract_report

    def picture(address: str) -> bytes | None:
        path = job.pictures.get(address)
        return Path(path).read_bytes() if path else None

    try:
        return extract_report(job.url, Path(job.path).read_bytes(), fetch=picture)
    except ExtractError as e:
        return {"error": str(e)}
    except Exception as e:  # noqa: BLE001 - one bad document must not end the build
        return {"error": f"{type(e).__name__}: {e}"[:300]}


def extract_all(jobs: list[Job], cache: Cache, workers: int | None = None, progress=None,
                queue: str | None = None, data: Path | None = None) -> tuple[dict[str, dict], int]:
    """Every job's result by key, reading only those the cache lacks, one process per core (or, with `queue`, a
    Redis URL, by `nianbao worker`s anywhere: archive/queue.py); and how many were read."""
    results, todo = {}, []
    for job in {j.key: j for j in jobs}.values():
        cached = cache.get(job.key)
        if cached is None:
            todo.append(job)
        else:
            results[job.key] = cached
    if progress:
        progress(0, len(todo))
    if not todo:
        return results, 0
    if queue:
        from archive.queue import dispatch

        for key, result in dispatch(todo, queue, data, progress).items():
            if "error" not in result or not result["error"].startswith("extraction failed"):
                cache.put(key, result)
            results[key] = result
        return results, len(todo)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) == 1:
        done = ((job, read(job)) for job in todo)
        for i, (job, result) in enumerate(done, 1):
            cache.put(job.key, result)
            results[job.key] = result
            if progress:
                progress(i, len(todo))
        return results, len(todo)
    with ProcessPoolExecutor(max_workers=min(workers, len(todo))) as pool:
        futures = {pool.submit(read, job): job for job in todo}
        for i, future in enumerate(as_completed(futures), 1):
            job = futures[future]
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001 - a worker killed by the kernel (memory): not kept, tried next build
                result = {"error": f"extraction failed: {type(e).__name__}"}
            else:
                cache.put(job.key, result)
            results[job.key] = result
            if progress:
                progress(i, len(todo))
    return results, len(todo)
