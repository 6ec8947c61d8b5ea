"""Extraction on many machines: one Celery task per document, results as content-addressed files.

`nianbao worker --queue redis://HOST:PORT/N --data DATA` runs a Celery worker (Redis broker) on any machine
that mounts the data folder; `nianbao build --queue …` sends the documents not yet extracted, shows progress
while the workers read them, and writes the archive when all are done. Celery is the engine because it does
what this needs and nothing more: a broker-backed queue, late acknowledgement (a task whose worker dies,
SIGKILL included, goes back to the queue and another worker takes it), one task at a time per process.

A result is written to `DATA/extracted/<extractor fingerprint>/<key>.json.gz` by an atomic rename, keyed by the
document's sha256 (and its pictures') and the extractor's fingerprint: a task run twice writes the same file,
so a retried task is harmless, and a result is never half written. The build reads the files into its cache.
"""
from __future__ import annotations

import gzip
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from archive.extraction import Job, extractor_version, read

TASK = "nianbao.extract"
QUEUE = "nianbao-extract"


def result_path(data: Path, key: str) -> Path:
    return Path(data) / "extracted" / extractor_version() / f"{key}.json.gz"


def write_result(data: Path, key: str, result: dict) -> Path:
    path = result_path(data, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as f:
        json.dump(result, f, ensure_ascii=False)
    os.replace(tmp, path)
    return path


def read_result(data: Path, key: str) -> dict | None:
    path = result_path(data, key)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, json.JSONDecodeError):
        return None  # not whole: the task is sent again


# A task not acknowledged this long after delivery (its worker was killed) is delivered again. A document can
# take minutes of OCR; a second delivery of a task still running only writes the same file again.
VISIBILITY_TIMEOUT = float(os.environ.get("NIANBAO_QUEUE_VISIBILITY", "900"))


def app(broker: str):
    """The Celery application for a Redis broker URL."""
    from celery import Celery

    celery = Celery("nianbao", broker=broker)
    celery.conf.update(
        task_acks_late=True,  # acknowledged after the task ran: a killed worker's task is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # one document at a time: a long OCR does not hold others back
        task_default_queue=QUEUE,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_ignore_result=True,
    )

    @celery.task(name=TASK)
    def extract(job: dict) -> str:
        """Read one document and write its result file (again, harmlessly, if it is already there). The job's
        paths are relative to the data folder, which each machine mounts where it likes."""
        data = Path(os.environ["NIANBAO_WORKER_DATA"])
        found = _located(Job(**job), data)
        if read_result(data, found.key) is None:
            write_result(data, found.key, read(found))
        return found.key

    return celery


def _relative(job: Job, data: Path) -> Job:
    def rel(path: str) -> str:
        return os.path.relpath(path, data)

    return Job(job.sha256, rel(job.path), job.url, {url: rel(p) for url, p in job.pictures.items()})


def _located(job: Job, data: Path) -> Job:
    return Job(job.sha256, str(data / job.path), job.url, {url: str(data / p) for url, p in job.pictures.items()})


def run_worker(broker: str, data: Path, concurrency: int | None = None) -> None:
    """Start a worker in this process (blocks until stopped)."""
    os.environ["NIANBAO_WORKER_DATA"] = str(Path(data).resolve())
    celery = app(broker)
    argv = ["worker", "--loglevel=WARNING", f"--queues={QUEUE}", "--without-gossip", "--without-mingle",
            f"--concurrency={concurrency or os.cpu_count() or 1}", f"--hostname=nianbao-{os.getpid()}@%h"]
    celery.worker_main(argv)


def dispatch(jobs: list[Job], broker: str, data: Path, progress=None, poll: float = 0.5,
             stall: float = 600.0, resend: float = 60.0) -> dict[str, dict]:
    """Every job's result: those already written are read; the rest are sent as tasks and waited for. Tasks
    still missing after `resend` seconds without a new result are sent again (a broker restarted without its
    data loses them; a duplicate only rewrites a file). Raises TimeoutError when no result arrives for `stall`
    seconds (no worker running?)."""
    results: dict[str, dict] = {}
    missing: dict[str, Job] = {}
    for job in {j.key: j for j in jobs}.values():
        found = read_result(data, job.key)
        if found is None:
            missing[job.key] = job
        else:
            results[job.key] = found
    total = len(missing)
    if progress:
        progress(0, total)
    if not missing:
        return results
    celery = app(broker)

    def send(jobs_):
        for job in jobs_:
            celery.send_task(TASK, args=[asdict(_relative(job, data))], queue=QUEUE)

    send(missing.values())
    last = sent = time.monotonic()
    while missing:
        time.sleep(poll)
        arrived = [key for key in missing if result_path(data, key).exists()]
        for key in arrived:
            found = read_result(data, key)
            if found is not None:
                results[key] = found
                del missing[key]
        if arrived:
            last = time.monotonic()
            if progress:
                progress(total - len(missing), total)
        elif time.monotonic() - max(last, sent) > resend:
            send(missing.values())
            sent = time.monotonic()
        elif time.monotonic() - last > stall:
            raise TimeoutError(f"no extraction result for {stall:.0f} s with {len(missing)} documents left: "
                               "is a worker running (nianbao worker --queue …)?")
    return results
