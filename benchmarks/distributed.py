"""Scale-out figures (issue 14): extraction with 1 and 2 `nianbao worker`s, a shared crawl with 1 and 2
`nianbao crawl --redis` processes, and what Redis costs per request, all in one run on one machine.

- **Extraction**: DOCS distinct documents (the Huai'an six-page PDF and the Pingtan pages, each made distinct by
  a trailing comment so none is a cached result) dispatched through Celery on a real redis-server
  (archive/queue.py), to 1 worker, then to 2 (one process each); documents per second and the ratio.
- **Crawl**: the generated TRS portal of benchmarks/crawl.py (nginx when installed), politeness off, crawled
  on the shared frontier by 1 crawler, then by 2; pages per second from the first request to the last
  process's end, and the ratio. The same portal crawled by one plain `nianbao crawl` (no Redis) gives the
  baseline for Redis's cost per request: (shared 1-crawler time − plain time) / pages.
- **Redis per request**: the frontier's own operations timed directly (queue push, leased pop, release, the
  politeness slot and token) for REQUESTS requests.

On a two-core machine two processes of anything share two cores with the server and Redis, so the ratios say
how the work divides, not what two machines would do.

    .venv/bin/python benchmarks/distributed.py [--docs 80] [--lists 60] [--items 10]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extraction import Job  # noqa: E402
from archive.queue import dispatch  # noqa: E402
from benchmarks.crawl import build_portal, served  # noqa: E402
from tests.conftest import PINGTAN, REAL, RedisServer  # noqa: E402


def documents(folder: Path, n: int) -> list[Job]:
    sources = [REAL / "huaian" / "szfgs2024.pdf", *sorted(PINGTAN.glob("*/*/page.html"))]
    jobs = []
    for i in range(n):
        source = sources[i % len(sources)]
        tail = f"\n%nianbao-bench-{i}\n" if source.suffix == ".pdf" else f"\n<!-- nianbao-bench-{i} -->\n"
        body = source.read_bytes() + tail.encode()
        sha = hashlib.sha256(body).hexdigest()
        path = folder / "raw" / sha[:2] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        jobs.append(Job(sha, str(path), f"http://127.0.0.1/{i}/{source.name}"))
    return jobs


def nianbao(*args, env=None, wait=True):
    process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", *map(str, args)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, **(env or {})})
    if wait:
        assert process.wait() == 0, args
    return process


def extraction(redis: RedisServer, tmp: Path, docs: int) -> dict[int, float]:
    rates = {}
    for workers in (1, 2):
        data = tmp / f"extract-{workers}"
        jobs = documents(data, docs)
        pool = [nianbao("worker", "--queue", redis.url, "--data", data, "--concurrency", "1", wait=False)
                for _ in range(workers)]
        try:
            dispatch(jobs[:2], redis.url, data, stall=120)  # the workers up and warm
            start = time.perf_counter()
            dispatch(jobs[2:], redis.url, data, poll=0.05, stall=300)
            rates[workers] = (len(jobs) - 2) / (time.perf_counter() - start)
        finally:
            for process in pool:
                process.terminate()
                process.wait()
        print(f"extraction, {workers} worker{'s' if workers > 1 else ''}: {len(jobs) - 2} documents, "
              f"{rates[workers]:.1f} documents/s")
    print(f"extraction ratio 2/1 workers: {rates[2] / rates[1]:.2f}")
    return rates


def pages_in(data: Path) -> int:
    total = 0
    for db in [data / "crawl.db", *sorted((data / "parts").glob("*/crawl.db"))]:
        if db.exists():
            connection = sqlite3.connect(db)
            total += connection.execute("SELECT COUNT(*) FROM fetches WHERE url NOT LIKE '%robots.txt'").fetchone()[0]
            connection.close()
    return total


def crawl(redis: RedisServer, tmp: Path, url: str) -> None:
    sites = tmp / "sites.yaml"
    sites.write_text(f"- name: bench\n  agency: 某某市\n  start_urls: [{url}]\n  delay: 0\n  concurrency: 16\n",
                     encoding="utf-8")
    data = tmp / "plain"
    start = time.perf_counter()
    nianbao("crawl", "--sites", sites, "--data", data, "--no-delay")
    plain_seconds, pages = time.perf_counter() - start, pages_in(data)
    print(f"crawl, plain nianbao crawl (no Redis): {pages} pages, {plain_seconds:.1f} s, "
          f"{pages / plain_seconds:.1f} pages/s")
    seconds = {}
    for crawlers in (1, 2):
        data = tmp / f"shared-{crawlers}"
        nianbao("crawl", "--redis", redis.url, "--enqueue", "--sites", sites)
        start = time.perf_counter()
        processes = [nianbao("crawl", "--redis", redis.url, "--data", data, "--no-delay", wait=False)
                     for _ in range(crawlers)]
        assert all(p.wait() == 0 for p in processes)
        seconds[crawlers] = time.perf_counter() - start
        shared_pages = pages_in(data)
        print(f"crawl, {crawlers} crawler{'s' if crawlers > 1 else ''} on Redis: {shared_pages} pages, "
              f"{seconds[crawlers]:.1f} s, {shared_pages / seconds[crawlers]:.1f} pages/s")
    print(f"crawl ratio 2/1 crawlers: {seconds[1] / seconds[2]:.2f}")
    print(f"Redis cost in the crawl: {(seconds[1] - plain_seconds) / pages * 1000:.2f} ms per page "
          f"(1 shared crawler against the plain crawl, start-up included in both)")


def operations(redis: RedisServer, n: int) -> None:
    """The frontier's Redis operations per request, timed directly."""
    import scrapy
    from scrapy.settings import Settings

    from crawler.frontier import LeasedQueue, Politeness, connect

    spider = scrapy.Spider(name="bench-ops")
    server = connect(redis.url)
    queue = LeasedQueue(server, spider, "nianbao:bench-ops:requests")
    queue.clear()
    requests = [scrapy.Request(f"http://127.0.0.1/page/{i}.html", meta={"kind": "page"}) for i in range(n)]
    start = time.perf_counter()
    for request in requests:
        queue.push(request)
    push = time.perf_counter() - start
    start = time.perf_counter()
    taken = [queue.pop() for _ in range(n)]
    pop = time.perf_counter() - start
    start = time.perf_counter()
    for request in taken:
        queue.release(request.meta["lease"])
    release = time.perf_counter() - start

    import asyncio
    from types import SimpleNamespace

    polite = Politeness(SimpleNamespace(settings=Settings({"REDIS_URL": redis.url, "NIANBAO_SITE_DELAY": 0.0}),
                                        spider=spider))

    async def politeness():
        for request in requests:
            await polite.process_request(request)
            polite.process_response(request, None)

    start = time.perf_counter()
    asyncio.run(politeness())
    slot = time.perf_counter() - start
    per = {"queue push": push, "leased pop": pop, "lease release": release, "politeness slot": slot}
    print(f"Redis per request ({n} requests, redis-server on loopback): " +
          ", ".join(f"{name} {seconds / n * 1e6:.0f} µs" for name, seconds in per.items()) +
          f"; in all {sum(per.values()) / n * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=80)
    parser.add_argument("--lists", type=int, default=60)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    (ROOT / ".bench").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="distributed-", dir=ROOT / ".bench"))
    redis = RedisServer(tmp)
    routes = build_portal(args.lists, args.items)
    try:
        with served(routes, tmp) as (port, by):
            print(f"portal served by {by}; {os.cpu_count()} cores")
            operations(redis, args.requests)
            extraction(redis, tmp, args.docs)
            crawl(redis, tmp, f"http://127.0.0.1:{port}/col/index.html")
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
