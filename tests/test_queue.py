"""Issue 14 §4–5: extraction by a pool of Celery workers on a real redis-server; a worker killed mid-task and
Redis restarted mid-run lose nothing and store nothing twice."""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extraction import Job, read
from archive.queue import dispatch, read_result, result_path
from tests.conftest import PINGTAN, REDIS, SEEDS, stop

pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is installed by make test")


def worker(url: str, data: Path, visibility: float = 4.0) -> subprocess.Popen:
    env = {**os.environ, "NIANBAO_QUEUE_VISIBILITY": str(visibility)}
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli", "worker", "--queue", url, "--data", str(data),
                             "--concurrency", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def jobs_in(data: Path) -> list[Job]:
    """Real documents (the seeds and the Pingtan pages) in a data folder's raw store."""
    import hashlib

    out = []
    for source in [*sorted(SEEDS.glob("*.txt")), *sorted(PINGTAN.glob("*/*/page.html"))]:
        body = source.read_bytes()
        sha = hashlib.sha256(body).hexdigest()
        path = data / "raw" / sha[:2] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        out.append(Job(sha, str(path), f"http://127.0.0.1/{source.name}"))
    return out


def test_two_workers_read_every_document_as_one_process_would(redis_server, tmp_path):
    data = tmp_path / "data"
    jobs = jobs_in(data)
    workers = [worker(redis_server.url, data) for _ in range(2)]
    try:
        results = dispatch(jobs, redis_server.url, data, stall=120)
    finally:
        for w in workers:
            stop(w)
    assert set(results) == {j.key for j in jobs}
    for job in jobs:
        expected = read(job)
        assert results[job.key]["applications"] == expected["applications"]
        assert results[job.key]["text"] == expected["text"]
    files = list((data / "extracted").rglob("*.json.gz"))
    assert len(files) == len({j.key for j in jobs}), "one result file per document, none twice"


def test_a_killed_worker_and_a_restarted_redis_lose_nothing(redis_server, tmp_path):
    data = tmp_path / "data"
    jobs = jobs_in(data)
    first, second = worker(redis_server.url, data), worker(redis_server.url, data)
    events = []

    def progress(done, total):
        if done >= 1 and "killed" not in events:
            os.killpg(first.pid, signal.SIGKILL)  # mid-run: it may hold a task it never acknowledges
            events.append("killed")
        if done >= 4 and "restarted" not in events:
            redis_server.stop()
            redis_server.start()
            events.append("restarted")

    try:
        results = dispatch(jobs, redis_server.url, data, progress=progress, stall=120, resend=8)
    finally:
        for w in (first, second):
            stop(w)
    assert events == ["killed", "restarted"]
    assert set(results) == {j.key for j in jobs}
    assert all(read_result(data, j.key) is not None for j in jobs)
    assert len(list((data / "extracted").rglob("*.json.gz"))) == len({j.key for j in jobs})
    assert not list((data / "extracted").rglob("*.tmp"))
    assert all(result_path(data, j.key).parent == result_path(data, jobs[0].key).parent for j in jobs)


def test_a_build_through_two_workers_equals_the_local_build(redis_server, tmp_path, demo_archive):
    """Issue 14 acceptance 1 (extraction half): `nianbao build --queue` with two `nianbao worker`s gives the archive
    a local build gives: the same reports and values."""
    from tests.conftest import nianbao, select

    data = tmp_path / "data"
    shutil.copytree(demo_archive["data"], data, ignore=shutil.ignore_patterns("archive.db", "extracted.db*",
                                                                              "extracted", ".build.lock"))
    workers = [worker(redis_server.url, data) for _ in range(2)]
    try:
        nianbao("build", "--data", data, "--queue", redis_server.url, timeout=900)
    finally:
        for w in workers:
            stop(w)
    query = ("SELECT r.report_key, r.version, a.row_code, a.applicant, a.value FROM applications a "
             "JOIN reports r ON r.id = a.report_id ORDER BY 1, 2, 3, 4")
    assert select(data / "archive.db", query) == select(demo_archive["data"] / "archive.db", query)
    assert select(data / "archive.db", "SELECT report_key, version FROM reports ORDER BY 1, 2") == select(
        demo_archive["data"] / "archive.db", "SELECT report_key, version FROM reports ORDER BY 1, 2")
