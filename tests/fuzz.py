"""Seeded hostile requests for the site (issue 15 acceptance 2): random paths, ids, parameters, SQL and very long
searches. `tests/test_site_fuzz.py` sends a few hundred; `benchmarks/fuzz_site.py` sends thousands."""
from __future__ import annotations

import random
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

SQL = ["select randomblob(1000000000)", "select printf('%.*c', 2000000000, 'x')", "select zeroblob(2000000000)",
       "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
       "select * from reports a, reports b, reports c", "pragma database_list", "select load_extension('x')",
       "attach database '/etc/passwd' as p", "delete from reports", "select replace(hex(zeroblob(100000000)), '0', 'ab')",
       "select group_concat(text) from reports, reports", "select 1/0", "select * from sqlite_master"]
PATHS = ["/report/{n}", "/agency/{s}", "/raw/{h}", "/archive/reports/{n}", "/-/static-plugins/nianbao/{s}",
         "/archive/reports?_sort={s}", "/archive/reports?_sort_desc={s}&_size={n}", "/archive/reports?_facet={s}",
         "/archive?sql={sql}", "/archive/search?q={q}", "/reports?q={q}", "/reports?year={n}&province={s}",
         "/archive/reports.json?_search={q}&_nofacet=1", "/{s}/{s}", "/agency/{s}%2F..%2F{s}", "/report/-{n}",
         "/archive/reports?_next={s}", "/archive/failing_{s}", "/raw/../../etc/passwd", "/%2e%2e/%2e%2e/etc/hosts",
         "/archive?sql={sql}&_timelimit={s}", "/archive/reports?_timelimit={n}&_search={q}"]


def _text(rng: random.Random, length: int) -> str:
    alphabet = "公开申请复议诉讼年报政府信息局县市镇" + "abcXYZ019'\";%_-/\\<>&#?*()[]{}"
    return "".join(rng.choice(alphabet) for _ in range(length))


def requests(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        template = rng.choice(PATHS)
        out.append(template.format(
            n=rng.choice([0, 1, -1, 7, 2**63, int("9" * 60), rng.randrange(10**6)]),
            s=urllib.parse.quote(_text(rng, rng.choice([1, 5, 40, 300])), safe=""),
            h=rng.choice(["0" * 64, "../" * 5 + "etc/passwd", _text(rng, 64)]).encode().hex()[:64],
            sql=urllib.parse.quote(rng.choice(SQL) if rng.random() < 0.7 else _text(rng, 200), safe=""),
            q=urllib.parse.quote(_text(rng, rng.choice([1, 2, 4, 7, 10_000])), safe="")))
    return out


def fire(base: str, paths: list[str], concurrency: int = 20, timeout: float = 30) -> list[tuple[str, int, float]]:
    """(path, status, seconds) for each path, `concurrency` at a time."""

    def one(path: str):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(base + path, timeout=timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as e:
            e.read()
            status = e.code
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            status = -1 if "timed out" in str(e) else -2
        return path, status, time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, paths))
