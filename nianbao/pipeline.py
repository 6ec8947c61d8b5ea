"""`nianbao run` and `nianbao schedule`: crawl, then build, one run at a time per data directory.

The crawl runs in a child process (Twisted's reactor starts once per process, and a schedule crawls
many times); the build runs here. A lock file in the data directory keeps two runs, from this process
or any other, from overlapping: a run that finds it taken is skipped and says so.
"""
from __future__ import annotations

import contextlib
import fcntl
import subprocess
import sys
import time
from pathlib import Path

from nianbao.logs import say

DEMO_PORT = 8765


class Busy(Exception):
    """Another run holds the data directory."""


@contextlib.contextmanager
def exclusive(data: Path):
    data.mkdir(parents=True, exist_ok=True)
    with open(data / ".run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another run is using {data}; this one is skipped") from None
        yield


def crawl(sites: Path, data: Path, log=None) -> int:
    """The crawl as a child process. On a terminal it draws its own progress and summary; otherwise (or
    when a `log` is given) its lines are passed on as they come."""
    command = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--data", str(data)]
    if log is None and sys.stdout.isatty():
        return subprocess.call(command)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        (log or say)(line.rstrip())
    return process.wait()


def build(data: Path, workers: int | None = None, queue: str | None = None) -> dict:
    """`archive.build.build` with a progress bar per stage (on a terminal only)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archive.build import build

    with Progress(TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, disable=not sys.stdout.isatty()) as bar:
        tasks = {}

        def progress(stage, done, total):
            if stage not in tasks:
                for task in tasks.values():  # the stage before is over
                    bar.update(task, total=1, completed=1)
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return build(data, workers=workers, progress=progress, queue=queue)


def describe(summary: dict) -> str:
    if summary["unchanged"]:
        return f"{summary['archive']} is up to date: nothing new since the last build"
    line = (f"{summary['archive']}: {summary['reports']} reports ({summary['versions']} versions), "
            f"{summary['extracted']} documents extracted, {summary['unreadable']} unreadable, "
            f"{summary['failed_checks']} failed checks in the latest versions")
    left_out = summary.get("left_out") or 0
    if left_out:
        line += f"; {left_out} report{'s' if left_out > 1 else ''} left out (could not be built: named in the log)"
    return line


def crawl_and_build(sites: Path, data: Path, log=None, workers: int | None = None) -> dict:
    with exclusive(data):
        started = time.time()
        code = crawl(sites, data, log)
        log = log or say
        if code != 0:
            log(f"the crawl ended with exit code {code}; building what was kept")
        summary = build(data, workers)
        log(describe(summary))
        summary["seconds"] = round(time.time() - started, 1)
        summary["crawl_exit"] = code
        return summary


def start_demo(data: Path, port: int = DEMO_PORT):
    """The embedded demo portal on a fixed port when free (so the archive's URLs stay the same from run to
    run), else any; returns the portal and its sites registry."""
    from demo.portal import DemoPortal

    for candidate in (port, 0):
        try:
            portal = DemoPortal(port=candidate, work_dir=data / "demo-portal").start()
            break
        except OSError:
            continue
    return portal, portal.write_sites(data / "demo-sites.yaml")
