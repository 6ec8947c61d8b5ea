"""Crawl speed: nianbao against a bare Scrapy spider over the same generated local portal, same run.

The portal has one TRS-style column of LISTS list pages with ITEMS report pages each (over 2,000 pages),
served on 127.0.0.1 by nginx when it is installed (`make bench` installs it): on two cores a Python server
would take CPU from whichever crawler works harder and the ratio would measure that, not the crawler. nianbao crawls it with politeness off (`--no-delay`), keeping every
body, logging every fetch, writing the WARC and reading every report page; the bare spider follows the
same links and keeps nothing. Both run in their own process with the same concurrency, interleaved, and the
best run of each is compared (this virtual machine's speed drifts by ±30%). Target: ratio ≥ 0.7.

The rendered path (a list built by script, read in chromium through scrapy-playwright, crawler/render.py) is
measured in the same run on the same server: COLUMNS columns whose second page exists only once a script has
fetched it, as list pages per second and CPU-seconds per rendered page (the crawl process and its children:
the browser and Playwright's driver).

    .venv/bin/python benchmarks/crawl.py [--lists 200] [--items 10] [--columns 10]
"""
from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.portal import report_page  # noqa: E402

BARE_SPIDER = textwrap.dedent('''
    import re, sys, time, scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        pages = 0

        async def start(self):
            yield scrapy.Request(sys.argv[1], callback=self.parse_list)

        def parse_list(self, response):
            Bare.pages += 1
            for href in response.xpath("//a/@href").getall():
                yield response.follow(href, callback=self.parse_page if "/t2025" in href else self.parse_list)
            pager = re.findall(r"createPageHTML\\((\\d+)", response.text) if response.url.endswith("/index.html") else []
            for n in pager[:1]:  # the column's first page announces all pages; a careful spider reads it once
                for i in range(1, int(n)):
                    yield response.follow(f"index_{i}.html", callback=self.parse_list)

        def parse_page(self, response):
            Bare.pages += 1

    process = CrawlerProcess(settings={"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                                       "CONCURRENT_REQUESTS": 16, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True,
                                       "TELNETCONSOLE_ENABLED": False})
    start = time.perf_counter()
    process.crawl(Bare)
    process.start()
    print(Bare.pages, time.perf_counter() - start)
''')


def build_portal(lists: int, items: int) -> dict[str, bytes]:
    template = report_page("某某市卫生健康委员会2024年政府信息公开工作年度报告", "某某市卫生健康委员会", 1)
    routes = {"/robots.txt": b"User-agent: *\nDisallow:\n"}
    for page in range(lists):
        links = []
        for item in range(items):
            n = page * items + item
            title = f"某某市第{n}卫生健康委员会2024年政府信息公开工作年度报告"
            path = f"/col/202501/t20250120_{n}.html"
            links.append(f'<li><a href="./202501/t20250120_{n}.html" title="{title}">{title}</a></li>')
            routes[path] = template.replace("某某市卫生健康委员会2024", f"某某市第{n}卫生健康委员会2024").encode("utf-8")
        name = "index.html" if page == 0 else f"index_{page}.html"
        routes[f"/col/{name}"] = (f"<html><body><ul>{''.join(links)}</ul><script>createPageHTML({lists}, {page},"
                                  f' "index", "html");</script></body></html>').encode("utf-8")
    return routes


def build_script_columns(columns: int, template: bytes) -> dict[str, bytes]:
    """Columns whose page 2 is fetched by a script (共4条, two items shown): each renders twice."""
    import json

    routes = {}
    for c in range(columns):
        def item(n):
            return {"url": f"/script{c}/t{n}.html", "title": f"某某市第{c}审计局{2020 + n}年政府信息公开工作年度报告",
                    "date": "2025-01-20"}

        shown = "".join(f'<li><a href="{i["url"]}">{i["title"]}</a><span>{i["date"]}</span></li>' for i in map(item, (0, 1)))
        script = ("<script>function next() { fetch('list-2.json').then(r => r.json()).then(d => {"
                  " document.getElementById('list').innerHTML = d.items.map(i => '<li><a href=\"' + i.url + '\">'"
                  " + i.title + '</a><span>' + i.date + '</span></li>').join('');"
                  " document.getElementById('next').className = 'disabled'; }); }</script>")
        routes[f"/script{c}/index.html"] = (
            f'<html><body><ul id="list">{shown}</ul><span>共4条</span>'
            f'<a href="javascript:void(0)" id="next" onclick="next()">下一页</a>{script}</body></html>').encode("utf-8")
        routes[f"/script{c}/list-2.json"] = json.dumps({"items": [item(2), item(3)]}, ensure_ascii=False).encode()
        for n in range(4):
            routes[f"/script{c}/t{n}.html"] = template
    return routes


def serve(routes: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = routes.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_nginx(routes: dict[str, bytes], folder: Path):
    """The portal as static files behind nginx (one worker, no access log) on a free loopback port."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        return None, None
    site = folder / "site"
    folder.chmod(0o755)  # mkdtemp makes it private; nginx's worker user must read the files
    for path, body in routes.items():
        target = site / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefix = folder / "nginx"
    prefix.mkdir()
    temp = " ".join(f"{name}_temp_path {prefix}/{name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        f"worker_processes 1; error_log {prefix}/error.log; pid {prefix}/nginx.pid;\n"
        f"events {{ worker_connections 512; }}\n"
        f"http {{ access_log off; {temp} default_type text/html; charset utf-8;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {site}; }} }}\n")
    process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"])
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return process, port


@contextlib.contextmanager
def served(routes: dict[str, bytes], folder: Path):
    """The portal on a loopback port, by nginx when installed (else Python's server): yields (port, by whom)."""
    nginx, port = serve_nginx(routes, folder)
    server = None
    if nginx is None:
        server = serve(routes)
        port = server.server_address[1]
    try:
        yield port, "nginx" if nginx else "Python http.server (install nginx for a fair figure)"
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait()
        if server:
            server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lists", type=int, default=200)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each; the best of each is compared")
    parser.add_argument("--columns", type=int, default=10, help="script-built columns for the rendered path")
    args = parser.parse_args()
    routes = build_portal(args.lists, args.items)
    routes.update(build_script_columns(args.columns, routes["/col/202501/t20250120_0.html"]))
    # Where a real crawl keeps its data (./data): on this machine /tmp writes a file ~9× slower than the
    # project's own disk, which would measure the temporary folder, not the crawler.
    (ROOT / ".bench").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="crawl-", dir=ROOT / ".bench"))
    with served(routes, tmp) as (port, by):
        try:
            measure(args, routes, tmp, port, by)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(args, routes: dict[str, bytes], tmp: Path, port: int, by: str) -> None:
    url = f"http://127.0.0.1:{port}/col/index.html"
    print(f"portal served by {by}")
    (tmp / "bare.py").write_text(BARE_SPIDER)
    sites = tmp / "sites.yaml"
    sites.write_text(f"- name: bench\n  agency: 某某市\n  start_urls: [{url}]\n  delay: 0\n", encoding="utf-8")
    bare_times, our_times = [], []
    for run in range(args.runs):  # interleaved, so a slow spell of the machine hits both
        start = time.perf_counter()
        bare = subprocess.run([sys.executable, str(tmp / "bare.py"), url], capture_output=True, text=True,
                              check=True)
        bare_times.append(time.perf_counter() - start)  # both timed as whole processes, start-up included
        bare_pages = int(bare.stdout.split()[0])
        if not bare_pages:
            raise SystemExit(f"the bare spider fetched nothing from {url}: is the portal served?")
        data = tmp / f"data-{run}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--data", str(data),
                        "--no-delay"], capture_output=True, text=True, check=True, cwd=ROOT)
        our_times.append(time.perf_counter() - start)
    db = sqlite3.connect(data / "crawl.db")
    pages = db.execute("SELECT COUNT(*) FROM fetches WHERE url NOT LIKE '%robots.txt'").fetchone()[0]
    reports = db.execute("SELECT COUNT(DISTINCT report_key) FROM report_documents").fetchone()[0]
    db.close()
    bare_rate, rate = bare_pages / min(bare_times), pages / min(our_times)
    print(f"portal: {len(routes) - 1} pages ({args.lists} list pages, {args.lists * args.items} report pages)")
    print(f"{'bare Scrapy spider':28} {bare_pages:6} pages, best of {args.runs}: {min(bare_times):6.1f} s "
          f"{bare_rate:8.1f} pages/s  (all runs: {', '.join(f'{t:.1f}' for t in bare_times)} s)")
    print(f"{'nianbao crawl (no delay)':28} {pages:6} pages, best of {args.runs}: {min(our_times):6.1f} s "
          f"{rate:8.1f} pages/s  (all runs: {', '.join(f'{t:.1f}' for t in our_times)} s; {reports} reports kept)")
    ratio = rate / bare_rate
    print(f"ratio {ratio:.2f} (target ≥ 0.7: {'met' if ratio >= 0.7 else 'MISSED'})")
    rendered(tmp, port, args.columns)


def rendered(tmp: Path, port: int, columns: int) -> None:
    """The rendered path: every column handed to chromium, its pager clicked; pages/s and CPU per page."""
    import resource

    urls = "".join(f"\n  - http://127.0.0.1:{port}/script{c}/index.html" for c in range(columns))
    sites = tmp / "script-sites.yaml"
    sites.write_text(f"- name: bench-script\n  agency: 某某市\n  delay: 0\n  start_urls:{urls}\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--data", str(tmp / "data-script"),
                    "--no-delay"], capture_output=True, text=True, check=True, cwd=ROOT)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    db = sqlite3.connect(tmp / "data-script" / "crawl.db")
    reports = db.execute("SELECT COUNT(DISTINCT url) FROM fetches WHERE kind = 'page'").fetchone()[0]
    db.close()
    pages = 2 * columns  # each column: its first page and the page its script fetched
    print(f"{'rendered lists (chromium)':28} {pages:6} list pages in {took:6.1f} s {pages / took:8.1f} pages/s, "
          f"{cpu / pages:.2f} CPU-s per rendered page (whole crawl, browser included); "
          f"{reports} of {4 * columns} report pages fetched")


if __name__ == "__main__":
    main()
