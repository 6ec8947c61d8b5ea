"""Issue 14 acceptance 1–3: one crawl shared by several `nianbao crawl --redis` processes on a real redis-server
(crawler/frontier.py), their parts merged by the build (crawler/parts.py), extraction by `nianbao worker`s.

The shared crawl's archive equals a single process's archive: the same reports, versions and values, every
body once, each report document once; with a crawler and a worker killed by SIGKILL mid-run and Redis
restarted once, the same again and every WARC file valid; and two crawlers keep a site's delay between them,
as the portal's own log of arrivals shows."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from demo.portal import DemoPortal
from tests.conftest import REDIS, nianbao, select, stop

pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is installed by make test")

REPORTS = "SELECT report_key, version FROM reports ORDER BY 1, 2"
VALUES = ("SELECT r.report_key, r.version, a.row_code, a.applicant, a.value FROM applications a "
          "JOIN reports r ON r.id = a.report_id ORDER BY 1, 2, 3, 4")
ACTIVE = ("SELECT r.report_key, r.version, a.item, a.measure, a.value FROM active_disclosure a "
          "JOIN reports r ON r.id = a.report_id "
          "ORDER BY 1, 2, 3, 4")
LEASE = 4  # seconds before a killed crawler's requests go back to the queue (NIANBAO_LEASE_SECONDS)


def start(*args, env=None) -> subprocess.Popen:
    """A nianbao command in its own process group (so SIGKILL reaches its children too)."""
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli", *map(str, args)],
                            env={**os.environ, "NIANBAO_LEASE_SECONDS": str(LEASE), "NIANBAO_QUEUE_VISIBILITY": "4",
                                 **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = process.communicate(timeout=timeout)
    return out


def fetches(data: Path) -> dict[str, int]:
    """Fetch rows written so far by each crawler's part."""
    out = {}
    for db in sorted((data / "parts").glob("*/crawl.db")):
        try:
            out[db.parent.name] = select(db, "SELECT COUNT(*) FROM fetches")[0][0]
        except sqlite3.OperationalError:  # not created yet
            out[db.parent.name] = 0
    return out


def _part_of(data: Path, crawler: subprocess.Popen) -> int:
    """Fetch rows of one crawler's part (its folder is named after its machine and process)."""
    return sum(n for name, n in fetches(data).items() if f"-{crawler.pid}-" in name)


def wait_for(condition, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The demo portal crawled and built by one process: what a shared crawl must equal."""
    folder = tmp_path_factory.mktemp("single")
    portal = DemoPortal(work_dir=folder / "portal").start()
    try:
        sites = portal.write_sites(folder / "sites.yaml")
        nianbao("crawl", "--sites", sites, "--data", folder / "data")
    finally:
        portal.stop()
    nianbao("build", "--data", folder / "data")
    (folder / "data" / "requests.json").write_text(json.dumps(requested(portal)))
    return folder / "data"


def requested(portal) -> dict[str, int]:
    """How often each page was asked for (robots.txt aside: each crawler process reads it once)."""
    return dict(Counter(path for _, path in portal.arrivals if not path.endswith("robots.txt")))


def assert_same_archive(data: Path, single: Path) -> None:
    for query in (REPORTS, VALUES, ACTIVE):
        assert select(data / "archive.db", query) == select(single / "archive.db", query)
    crawl = data / "crawl.db"
    # Bodies that name the portal carry its port (each test runs its own): compared by URL path and count.
    documents = "SELECT url, version, role FROM report_documents"
    assert on_the_portal(select(crawl, documents)) == on_the_portal(select(single / "crawl.db", documents))
    count = "SELECT COUNT(*), COUNT(DISTINCT sha256) FROM documents"
    assert select(crawl, count) == select(single / "crawl.db", count)
    bodies = [p for p in (data / "raw").rglob("*") if p.is_file()]
    assert len(bodies) == len([p for p in (single / "raw").rglob("*") if p.is_file()])
    unrecorded = ("SELECT COUNT(*) FROM documents WHERE sha256 NOT IN (SELECT sha256 FROM report_documents)"
                  " GROUP BY media_type ORDER BY media_type")
    assert select(crawl, unrecorded) == select(single / "crawl.db", unrecorded), "a body kept but not recorded"
    statuses = "SELECT site, status FROM crawl_run_sites ORDER BY 1"
    assert select(crawl, statuses) == select(single / "crawl.db", statuses)


def on_the_portal(rows: list) -> list:
    """Rows with their URLs' paths (each test runs its own portal, on its own port), sorted."""
    return sorted((urlsplit(url)._replace(scheme="", netloc="").geturl(), *rest) for url, *rest in rows)


def shared_portal(folder: Path, latency: float = 0.0):
    portal = DemoPortal(work_dir=folder / "portal", latency=latency).start()
    return portal, portal.write_sites(folder / "sites.yaml")


def test_two_crawlers_and_two_workers_make_the_single_process_archive(redis_server, tmp_path, single):
    data = tmp_path / "data"
    portal, sites = shared_portal(tmp_path, latency=0.1)  # long enough for both crawlers to start
    try:
        said = nianbao("crawl", "--redis", redis_server.url, "--enqueue", "--sites", sites).stdout
        assert "10 start URLs of 10 sites" in said
        crawlers = [start("crawl", "--redis", redis_server.url, "--data", data) for _ in range(2)]
        outputs = [finish(c) for c in crawlers]
    finally:
        portal.stop()
        for crawler in locals().get("crawlers", []):
            stop(crawler)
    assert [c.returncode for c in crawlers] == [0, 0], outputs
    assert all("this crawler's part" in out and "Traceback" not in out for out in outputs)
    parts = fetches(data)
    assert len(parts) == 2 and all(parts.values()), f"both crawlers fetched: {parts}"
    assert requested(portal) == json.loads((single / "requests.json").read_text()), \
        "every page asked for as often as by one process (none by both crawlers)"
    workers = [start("worker", "--queue", redis_server.url, "--data", data, "--concurrency", "1") for _ in range(2)]
    try:
        nianbao("build", "--data", data, "--queue", redis_server.url, timeout=900)
    finally:
        for worker in workers:
            stop(worker)
    assert_same_archive(data, single)
    run = select(data / "crawl.db", "SELECT sites, finished IS NOT NULL, crawl IS NOT NULL FROM crawl_runs")
    assert run == [(10, 1, 1)], "one run for the shared crawl, finished"
    nianbao("build", "--data", data)  # merged again: nothing added
    assert_same_archive(data, single)


def test_a_killed_crawler_a_killed_worker_and_a_restarted_redis_lose_nothing(redis_server, tmp_path, single):
    data = tmp_path / "data"
    portal, sites = shared_portal(tmp_path, latency=0.05)
    try:
        nianbao("crawl", "--redis", redis_server.url, "--enqueue", "--sites", sites)
        crawlers = [start("crawl", "--redis", redis_server.url, "--data", data) for _ in range(2)]
        wait_for(lambda: sum(fetches(data).values()) >= 8, what="the crawl to start")
        busiest = max(range(2), key=lambda i: _part_of(data, crawlers[i]))
        first, second = crawlers[busiest], crawlers[1 - busiest]
        os.killpg(first.pid, signal.SIGKILL)  # mid-run: it holds leased requests it never finishes
        first.wait()
        wait_for(lambda: sum(fetches(data).values()) >= 25, what="the crawl to go on")
        assert second.poll() is None, "the crawl ended before Redis was restarted"
        redis_server.stop()
        time.sleep(1)
        redis_server.start()
        out = finish(second)
    finally:
        portal.stop()
        for crawler in locals().get("crawlers", []):
            stop(crawler)
    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, out
    workers = [start("worker", "--queue", redis_server.url, "--data", data, "--concurrency", "1") for _ in range(2)]
    build = start("build", "--data", data, "--queue", redis_server.url)
    try:
        wait_for(lambda: any((data / "extracted").rglob("*.json.gz")), timeout=300, what="a first extraction")
        os.killpg(workers[0].pid, signal.SIGKILL)
        out = finish(build, timeout=900)
    finally:
        for process in (*workers, build):
            stop(process)
    assert build.returncode == 0, out
    assert_same_archive(data, single)
    warcs = sorted((data / "parts").glob("*/warc/*.warc.gz"))
    assert len(warcs) == 2
    for warc in warcs:
        check = subprocess.run([Path(sys.executable).parent / "warcio", "check", str(warc)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_two_crawlers_keep_the_sites_delay_between_them(redis_server, tmp_path):
    """The site's registry delay is held in Redis: requests to its host start at least that far apart, whichever
    crawler sends them (measured from the portal's own log of arrivals)."""
    portal = DemoPortal(work_dir=tmp_path / "portal", latency=0.2).start()
    delay = 0.6
    try:
        registry = [{**site, "delay": delay, "concurrency": 2} for site in portal.sites()
                    if site["name"] in ("demo-generic", "demo-trs")]
        sites = tmp_path / "sites.yaml"
        sites.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
        nianbao("crawl", "--redis", redis_server.url, "--enqueue", "--sites", sites)
        crawlers = [start("crawl", "--redis", redis_server.url, "--data", tmp_path / "data") for _ in range(2)]
        outputs = [finish(c) for c in crawlers]
    finally:
        portal.stop()
        for crawler in locals().get("crawlers", []):
            stop(crawler)
    assert [c.returncode for c in crawlers] == [0, 0], outputs
    parts = fetches(tmp_path / "data")
    assert len(parts) == 2 and all(parts.values()), f"both crawlers fetched: {parts}"
    times = sorted(t for t, path in portal.arrivals if not path.endswith("robots.txt"))
    assert len(times) >= 10
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= delay * 0.95, f"requests {min(gaps):.3f} s apart, the site's delay is {delay} s"


def test_enqueue_refuses_while_a_crawl_is_under_way_and_a_crawler_without_one_says_so(redis_server, tmp_path):
    portal, sites = shared_portal(tmp_path)
    portal.stop()
    alone = nianbao("crawl", "--redis", redis_server.url, "--data", tmp_path / "data", check=False)
    assert alone.returncode == 3
    assert alone.stderr.strip().count("\n") == 0 and "--enqueue" in alone.stderr
    nianbao("crawl", "--redis", redis_server.url, "--enqueue", "--sites", sites)
    again = nianbao("crawl", "--redis", redis_server.url, "--enqueue", "--sites", sites, check=False)
    assert again.returncode == 3
    assert "still has 10 requests" in again.stderr and again.stderr.strip().count("\n") == 0


def test_the_shared_crawls_options_are_checked_in_one_line(tmp_path):
    alone = nianbao("crawl", "--enqueue", "--data", tmp_path, check=False)
    assert alone.returncode == 2 and alone.stderr.strip() == "nianbao: --enqueue needs --redis URL (the Redis the crawlers share)"
    chosen = nianbao("crawl", "--redis", "redis://127.0.0.1:9/0", "--site", "x", "--data", tmp_path, check=False)
    assert chosen.returncode == 2 and "takes its sites from the enqueued crawl" in chosen.stderr
    assert chosen.stderr.strip().count("\n") == 0
