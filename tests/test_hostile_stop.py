"""Issue 15, item 12: a crawl can be stopped, and a dead store writer is noticed.

The real crawl (the CLI in a subprocess, in a process group of its own, as `timeout`, systemd and cron start
it) of the demo portal served slowly on 127.0.0.1: SIGTERM to its process group, and separately SIGKILL to
its store writer alone. Each time the crawl ends within 10 s, the store is intact (SQLite's integrity check,
every recorded document's file present, the WARC valid), and a rerun resumes to exactly the documents of a
crawl never interrupted."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.portal import DemoPortal
from tests.conftest import select
from tests.test_crawl import _snapshot, crawl, rows

LIMIT = 10  # seconds from the signal to the crawl's end


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stop")
    portal = DemoPortal(work_dir=folder / "portal", latency=0.08).start()
    sites = portal.write_sites(folder / "sites.yaml")
    whole = folder / "whole"
    assert crawl(sites, whole).returncode == 0
    yield {"sites": sites, "whole": _snapshot(whole)}
    portal.stop()


def start(sites: Path, data: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--data",
                                str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.1)
        try:
            if rows(data, "SELECT COUNT(*) FROM report_documents")[0][0] >= 4:
                return process
        except sqlite3.OperationalError:  # not made yet
            pass
        assert process.poll() is None, process.communicate()
    pytest.fail("the crawl kept nothing within 60 s")


def finish(process: subprocess.Popen, since: float) -> tuple[str, str, float]:
    try:
        out, err = process.communicate(timeout=LIMIT + 5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the crawl was still running {LIMIT + 5} s after the signal")
    return out, err, time.monotonic() - since


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def assert_intact(data: Path) -> None:
    assert select(data / "crawl.db", "PRAGMA integrity_check") == [("ok",)]
    for (path,) in rows(data, "SELECT d.path FROM report_documents r JOIN documents d USING (sha256)"):
        assert (data / path).is_file(), path


def assert_resumes(sites: Path, data: Path, whole) -> None:
    partial = _snapshot(data)
    assert 0 < len(partial[0]) < len(whole[0]), "stopped mid-way"
    resumed = crawl(sites, data)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _snapshot(data) == whole
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, (data / "warc").glob("*.warc.gz"))],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_to_the_process_group_ends_the_crawl_with_everything_written(slow, tmp_path, name):
    data = tmp_path / "data"
    process = start(slow["sites"], data)
    writer = children(process.pid)
    assert writer, "the store's writer runs"
    os.killpg(process.pid, getattr(signal, name))
    out, err, seconds = finish(process, time.monotonic())
    assert seconds < LIMIT
    assert "Traceback" not in out + err
    assert not any(Path(f"/proc/{pid}").exists() for pid in writer), "the writer ended with the crawl"
    assert_intact(data)
    run = rows(data, "SELECT MAX(id) FROM crawl_runs")[0][0]
    assert rows(data, "SELECT finished IS NOT NULL FROM crawl_runs WHERE id = ?", run) == [(1,)], "the run is closed"
    statuses = rows(data, "SELECT status, detail FROM crawl_run_sites WHERE run_id = ?", run)
    stopped = [status for status, detail in statuses if f"stopped by {name}" in detail]
    assert stopped and set(stopped) == {"partial"}, statuses
    assert "partial" in out, "the summary is printed"
    assert_resumes(slow["sites"], data, slow["whole"])


def test_a_dead_store_writer_fails_the_run_in_one_line_and_it_resumes(slow, tmp_path):
    data = tmp_path / "data"
    process = start(slow["sites"], data)
    # The store's writer: the crawl's own Python child (a script-built column also starts Playwright's driver).
    writer, = [pid for pid in children(process.pid)
               if b"playwright" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
    os.kill(writer, signal.SIGKILL)
    out, err, seconds = finish(process, time.monotonic())
    assert seconds < LIMIT
    assert process.returncode != 0
    assert err.count("\n") == 1 and "writer" in err and "Traceback" not in err, err
    assert_intact(data)
    assert_resumes(slow["sites"], data, slow["whole"])
