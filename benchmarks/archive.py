"""Archive build rate and search latency on generated archives (default 100,000 and 300,000 reports), and
a projection to 1,000,000 from the measured curve.

Report texts are as varied as real ones: each is drawn from a pool of the real sentences of every real report
in tests/fixtures (Pingtan's seven years, its departments and towns, the seeds, Huai'an), a different number
and choice of sentences per report, every number in them redrawn, under its own agency, region and year;
tables and checks come from the real reports. They are written by the real `write_archive` (the build minus
extraction, which benchmarks/extract.py measures). Search is timed over HTTP through a real Datasette serving
the archive with the site plugin, for 1-, 2-, 4- and 7-character queries: the search box's page
(`/reports?q=`, ranked, with its facets), the ranked search API (`/archive/search.json?q=`), and Datasette's
own table search (`/archive/reports.json?_search=`, rows and the count of every match) with its facets. The
baseline, measured in the same run on the same texts: an FTS5 trigram index (`_fts_table=reports_trigram`)
through Datasette's table search, which cannot answer under three characters, so for those it falls back to
`LIKE` over the text, as a trigram-only site would have to. Targets: build ≥ 200 reports/s, search box p95
≤ 300 ms.

    .venv/bin/python benchmarks/archive.py [--reports 100000,300000] [--queries 10]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import checks  # noqa: E402
from archive.build import write_archive  # noqa: E402
from archive.versions import Document  # noqa: E402
from extract.report import extract_report  # noqa: E402
from tests.conftest import PINGTAN, REAL, SEEDS  # noqa: E402

PLACES = ["北京市大兴区", "福建省福州市", "江苏省淮安市", "浙江省杭州市", "广东省深圳市南山区", "四川省成都市", "湖北省武汉市洪山区",
          "江西省赣州市信丰县", "河北省沧州市", "吉林省长春市"]
DEPARTMENTS = ["卫生健康委员会", "教育局", "交通运输局", "人民政府", "生态环境局", "财政局", "公安局", "民政局", "水利局", "司法局"]
SENTENCES = ["本机关全年共收到政府信息公开申请{}件。", "全年主动公开政府信息{}条。", "年内未发生行政复议案件。",
             "依申请公开答复率达到{}%。", "政府网站累计访问量{}万人次。", "举办政府开放日活动{}次。"]
QUERIES = {1: list("公复诉申县委局市年报"), 2: ["复议", "公开", "诉讼", "申请", "政府", "信息", "统计", "网站", "答复", "健康"],
           4: ["行政诉讼", "行政复议", "主动公开", "信息公开", "政府网站", "申请数量", "工作要点", "公开指南", "统计数据", "依法公开"],
           7: ["政府信息公开工", "依申请公开政府", "行政复议申请件", "卫生健康委员会", "政务公开工作要", "政府信息公开申",
               "主动公开政府信", "本年新收政府信", "年度报告由本机", "信息公开工作年"]}


def real_reports() -> list[dict]:
    """Every real report in the fixtures that has tables, read by the extractor."""
    paths = [*sorted(SEEDS.glob("*.txt")), *sorted(PINGTAN.glob("*/*/page.html")),
             *sorted((REAL / "corpus").glob("*/page.html")), REAL / "huaian" / "szfgs2024.pdf"]
    return [r for r in (extract_report(str(p)) for p in paths) if r["applications"]]


def sentence_pool(reports: list[dict]) -> list[str]:
    """The distinct sentences of the real reports' prose (table rows left out)."""
    pool = set()
    for report in reports:
        for sentence in re.split(r"(?<=[。！？；])|\n", report["text"] or ""):
            sentence = sentence.strip()
            if 8 <= len(sentence) <= 160 and re.search(r"[\u4e00-\u9fff]{6}", sentence) and "\t" not in sentence:
                pool.add(sentence)
    return sorted(pool)


def generate(n: int, sources: list[dict], pool: list[str]) -> tuple[list[dict], dict]:
    rng = random.Random(2025)
    documents = []
    reports = []
    for i in range(n):
        seed = sources[i % len(sources)]
        place = PLACES[i // 6 % len(PLACES)]  # an agency has six consecutive years, for the cross-year checks
        agency = f"{place}第{i // 6}{DEPARTMENTS[i // 6 % len(DEPARTMENTS)]}"
        year = 2019 + i % 6
        body = [re.sub(r"\d+", lambda m: str(rng.randint(0, 10 ** min(len(m.group()), 4))), sentence)
                for sentence in rng.sample(pool, rng.randint(25, 70))]
        text = f"{agency}{year}年政府信息公开工作年度报告\n" + "".join(body)
        doc = Document(site="bench", report_key=f"{agency}|{year}", url=f"http://127.0.0.1/{i}.html", title=f"{agency}{year}年政府信息公开工作年度报告",
                       agency=agency, year=year, role="page", file_name=None, parent_url=None, version=1,
                       sha256=f"{i:064x}", first_seen="2025-01-20T00:00:00Z", last_seen="2025-01-20T00:00:00Z", run_id=1,
                       media_type="text/html")
        documents.append({"sha256": doc.sha256, "media_type": "text/html", "size": len(text) * 3, "path": f"raw/{i}",
                          "first_url": doc.url, "first_seen": doc.first_seen})
        reports.append({"id": i + 1, "report_key": doc.report_key, "version": 1, "is_latest": True, "site": "bench",
                         "url": doc.url, "title": doc.title, "agency": agency, "year": year, "published": f"{year + 1}-01-20",
                         "table_format": seed["table_format"], "tables_as_images": False, "source_sha256": doc.sha256,
                         "attachment_sha256s": "[]", "first_seen": doc.first_seen, "last_seen": doc.last_seen,
                         "on_portal": 1, "province": place[:3], "city": None, "county": None, "text": text,
                         "warnings": [], "checks": seed["checks"], "cells": seed["cells"],
                         "tables": {t: seed[t] for t in ("active_disclosure", "applications", "review_litigation")},
                         "documents": [doc]})
    copies = {"sites": [{"name": "bench", "agency": "", "region": "", "start_url": "http://127.0.0.1/", "cms": "trs",
                         "last_crawled": "2025-01-20T00:00:00Z", "status": "ok", "status_detail": ""}],
              "fetches": [], "documents": documents, "crawl_runs": []}
    return reports, copies


def trigram_index(path: Path) -> float:
    db = sqlite3.connect(path)
    start = time.perf_counter()
    db.execute('CREATE VIRTUAL TABLE reports_trigram USING fts5(title, text, content="reports", content_rowid="id",'
               " tokenize='trigram')")
    db.execute("INSERT INTO reports_trigram (reports_trigram) VALUES ('rebuild')")
    db.commit()
    took = time.perf_counter() - start
    db.close()
    return took


def serve(data: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--data", str(data), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            return process, base
        except OSError:
            time.sleep(0.5)
    raise SystemExit("datasette did not start")


def timed(url: str) -> tuple[float, dict]:
    """Milliseconds for the whole answer, and the answer (JSON, or an HTML page's text)."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        raw = response.read()
        is_json = "json" in response.headers.get("content-type", "")
    took = (time.perf_counter() - start) * 1000
    return took, json.loads(raw) if is_json else {"html": raw.decode("utf-8")}


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms"


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def measure(n: int, sources: list[dict], pool: list[str], queries: int) -> dict:
    """One archive of n reports: build, size, search and facet latencies. Returns the figures."""
    figures = {"n": n}
    (ROOT / ".bench").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="archive-", dir=ROOT / ".bench"))
    try:
        start = time.perf_counter()
        reports, copies = generate(n, sources, pool)
        words = len({w for r in reports[:2000] for w in re.findall(r"[\u4e00-\u9fff]{2}", r["text"])})
        print(f"generated {len(reports)} reports in {time.perf_counter() - start:.1f} s "
              f"(mean text {sum(len(r['text']) for r in reports) / len(reports):.0f} characters, "
              f"{words} distinct two-character words in the first 2,000)")
        start = time.perf_counter()
        checks.apply(reports)
        checked = time.perf_counter() - start
        print(f"checks across reports: {len(reports) / checked:.0f} reports/s ({checked:.1f} s)")
        start = time.perf_counter()
        write_archive(tmp / "archive.db", reports, copies, "bench")
        took = time.perf_counter() - start
        figures["build"] = len(reports) / (took + checked)
        figures["size"] = (tmp / "archive.db").stat().st_size / 2**20
        print(f"build (extraction excluded): {len(reports)} reports in {took + checked:.1f} s = "
              f"{figures['build']:.0f} reports/s with the checks, {len(reports) / took:.0f} writing alone "
              f"(target ≥ 200); archive {figures['size']:.0f} MiB")
        del reports
        tri = trigram_index(tmp / "archive.db")
        print(f"baseline trigram index over the same texts: {tri:.1f} s")
        process, base = serve(tmp)
        try:
            print(f"search through Datasette ({base}), {queries} queries per length, each run twice (the second timed):")
            worst, ranked_all, table_all, facets = 0.0, [], [], []
            for length, words_ in QUERIES.items():
                box, ranked, table, baseline, hits = [], [], [], [], []
                for q in words_[:queries]:
                    quoted = urllib.parse.quote(q)
                    box_url = f"{base}/reports?q={quoted}"
                    ranked_url = f"{base}/archive/search.json?q={quoted}&_shape=array"
                    table_url = f"{base}/archive/reports.json?_search={quoted}&_nofacet=1&_size=20&_col=title"
                    facet_url = f"{base}/archive/reports.json?_search={quoted}&_size=0&_facet=province&_facet=year"
                    if length >= 3:
                        tri_url = (f"{base}/archive/reports.json?_fts_table=reports_trigram&_fts_pk=id&_searchmode=raw"
                                   f"&_search={urllib.parse.quote(chr(34) + q + chr(34))}&_nofacet=1&_size=20&_col=title")
                    else:
                        tri_url = f"{base}/archive/reports.json?text__contains={quoted}&_nofacet=1&_size=20&_col=title"
                    for url, bucket in ((box_url, box), (ranked_url, ranked), (table_url, table), (tri_url, baseline),
                                        (facet_url, facets)):
                        timed(url)
                        ms, body = timed(url)
                        bucket.append(ms)
                        if bucket is table:
                            hits.append(body.get("filtered_table_rows_count"))
                worst = max(worst, p95(box))
                ranked_all += ranked
                table_all += table
                figures[f"p95_{length}"] = p95(box)
                print(f"  {length} characters (matches {min(h or 0 for h in hits)}–{max(h or 0 for h in hits)}):")
                print(f"    search box page (/reports?q=)     {percentiles(box)}")
                print(f"    ranked search API (search.json)   {percentiles(ranked)}")
                print(f"    Datasette table search, counted   {percentiles(table)}")
                base_name = "trigram FTS" if length >= 3 else "LIKE scan (trigram cannot)"
                print(f"    baseline {base_name:27}{percentiles(baseline)}  ratio p50 "
                      f"{statistics.median(baseline) / statistics.median(box):.1f}×")
            figures["worst"], figures["ranked"], figures["table"] = worst, p95(ranked_all), p95(table_all)
            figures["facets"] = p95(facets)
            print(f"  Datasette facets (province, year) on a table search: {percentiles(facets)}")
            print(f"worst search-box p95: {worst:.0f} ms (target ≤ 300: {'met' if worst <= 300 else 'MISSED'}); "
                  f"ranked API p95 {figures['ranked']:.0f} ms; Datasette table search p95 {figures['table']:.0f} ms")
        finally:
            process.terminate()
            process.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return figures


def project(small: dict, large: dict, target: int = 1_000_000) -> None:
    """Each figure at `target` reports from a power law through the two measured sizes."""
    import math

    print(f"projection to {target:,} reports (power law through {small['n']:,} and {large['n']:,}):")
    for key, name in (("build", "build reports/s"), ("size", "archive MiB"), ("worst", "search box p95 ms"),
                      ("ranked", "ranked API p95 ms"), ("table", "table search p95 ms"), ("facets", "table facets p95 ms")):
        exponent = math.log(large[key] / small[key]) / math.log(large["n"] / small["n"])
        value = large[key] * (target / large["n"]) ** exponent
        print(f"  {name:22} {small[key]:9.0f} → {large[key]:9.0f} → {value:9.0f}  (exponent {exponent:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", default="100000,300000", help="archive sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=10, help="queries per length (at most 10)")
    args = parser.parse_args()
    sources = real_reports()
    pool = sentence_pool(sources)
    print(f"{len(sources)} real reports give {len(pool)} distinct sentences")
    results = [measure(int(n), sources, pool, args.queries) for n in args.reports.split(",")]
    if len(results) >= 2:
        project(results[-2], results[-1])

if __name__ == "__main__":
    main()
