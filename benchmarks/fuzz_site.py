"""The site under hostile requests at large N (issue 15): the demo archive served by `nianbao serve`, N seeded
random paths, ids, parameters, SQL and 10,000-character searches, 20 at a time. Prints the answers by status,
the latency p50/p95/max, whether any 500 or any answer over the time limit came back, and the slowest
requests. `--data DIR` keeps the crawled and built demo archive there and reuses it on the next run.

    .venv/bin/python benchmarks/fuzz_site.py [--n 2000] [--concurrency 20] [--slowest 15] [--data DIR]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.build import ARCHIVE  # noqa: E402
from archive.serve import SETTINGS  # noqa: E402
from demo.portal import DemoPortal  # noqa: E402
from tests.conftest import Site, nianbao  # noqa: E402
from tests.fuzz import fire, requests  # noqa: E402


LIMIT = int(SETTINGS["sql_time_limit_ms"]) / 1000  # every answer within the SQL time limit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--slowest", type=int, default=15, help="how many of the slowest requests to list")
    parser.add_argument("--data", type=Path, help="a folder to keep the demo archive in, and reuse")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.mkdtemp(prefix="fuzz-"))
    if not (folder / "data" / ARCHIVE).exists():
        portal = DemoPortal(work_dir=folder / "portal").start()
        try:
            sites = portal.write_sites(folder / "sites.yaml")
            nianbao("crawl", "--sites", sites, "--data", folder / "data")
            nianbao("build", "--data", folder / "data")
        finally:
            portal.stop()
    site = Site(folder / "data")
    try:
        results = fire(site.url, requests(seed=2026, n=args.n), concurrency=args.concurrency)
    finally:
        site.stop()
    times = sorted(seconds for _, _, seconds in results)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"{len(results)} requests, {args.concurrency} at a time: " +
          ", ".join(f"{status}: {count}" for status, count in sorted(Counter(s for _, s, _ in results).items())))
    print(f"latency p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
    bad = [r for r in results if r[1] >= 500 or r[1] < 0]
    print(f"500s or failed connections: {len(bad)}; answers over {LIMIT:g} s: {sum(t > LIMIT for t in times)}")
    for path, status, seconds in bad[:10]:
        print(f"  {status} {seconds:.1f}s {path[:150]}")
    print(f"the {args.slowest} slowest:")
    for path, status, seconds in sorted(results, key=lambda r: -r[2])[:args.slowest]:
        print(f"  {seconds:5.2f}s {status} {path[:150]}{'…' if len(path) > 150 else ''}")


if __name__ == "__main__":
    main()
