"""Issue 15, items 3, 6, 8 and 9: what a hostile portal sends cannot hold a crawl, blow up its memory, or end
as "ok, found 0" without a reason.

One real crawl (the CLI in a subprocess, its peak memory measured) of portals served on 127.0.0.1: a column
whose every page adds one item and a 下一页 link, forever; a report page sent one byte a second; a list page
and an attachment that are gzip bombs; a report page and a start URL behind 25 redirects; a column whose only
report redirects to another host; and a portal whose robots.txt disallows everything."""
import gzip
import subprocess
import sys
import time

import pytest
import yaml

from demo.portal import report_page
from tests.conftest import select
from tests.test_hostile import Server, html

AGENCY = "示例市审计局"
TITLE = f"{AGENCY}2024年政府信息公开工作年度报告"
BOMB_MB = 48  # the list page's size once decompressed (from about 50 KB on the wire)
MAX_RSS_MB = 400  # the crawl's peak memory with it (the same crawl without the cap: over 1.5 GB)


def listing(*links, next_page: str | None = None) -> tuple:
    items = "".join(f"<li><a href='{href}'>{title}</a><span>2025-01-20</span></li>" for href, title in links)
    more = f"<a href='{next_page}'>下一页</a>" if next_page else ""
    return html(f"<html><body><ul>{items}</ul>{more}</body></html>")


def dynamic(path: str):
    """/endless/list_N.html: one new item (a 指南, skipped unread) and a link to page N+1, forever;
    /redirect/N/page: N redirects before the page."""
    if path.startswith("/endless/list_") and path.endswith(".html"):
        n = int(path[len("/endless/list_"):-len(".html")])
        return listing((f"guide_{n}.html", f"{AGENCY}政府信息公开指南（第{n}版）"), next_page=f"list_{n + 1}.html")
    if path.startswith("/redirect/"):  # /redirect/N/... → /redirect/N-1/... → … → /redirect/0/...
        n, rest = path[len("/redirect/"):].split("/", 1)
        if int(n) > 0:
            return 302, {"Location": f"/redirect/{int(n) - 1}/{rest}"}, b""
        return (listing((f"/nb/{rest}", TITLE)) if rest == "index.html" else
                html(report_page(TITLE, AGENCY, 1)))
    return None


def drip(handler, server: Server):
    """A page sent one byte a second (it would take 100 s)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    for _ in range(100):
        if server.stopping.is_set():
            return
        try:
            handler.wfile.write(b" ")
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(1)


def gzipped(body: bytes, media_type: str) -> tuple:
    return 200, {"Content-Type": media_type, "Content-Encoding": "gzip"}, gzip.compress(body, 9)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-crawl")
    elsewhere = Server({"/x.html": html(report_page(TITLE, AGENCY, 1))})
    walled = Server({"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n"),
                     "/nb/index.html": listing(("t1.html", TITLE)), "/nb/t1.html": html(report_page(TITLE, AGENCY, 1))})
    bomb = b"<html><body>" + b"<div><a href='x'>a</a></div>" * (BOMB_MB * 2**20 // 28) + b"</body></html>"
    portal = Server({
        "/slow/index.html": listing(("2024.html", TITLE)),
        "/bomb/index.html": gzipped(bomb, "text/html"),
        "/bombfile/index.html": listing(("2024.pdf", TITLE)),
        "/bombfile/2024.pdf": gzipped(b"%PDF-1.4\n" + b"0" * (8 * 2**20), "application/pdf"),
        "/redirects/index.html": listing(("/redirect/25/t1.html", TITLE)),
        "/offsite/index.html": listing(("t1.html", TITLE)),
        "/offsite/t1.html": (302, {"Location": f"http://localhost:{elsewhere.port}/x.html"}, b""),
    }, dynamic=dynamic)
    portal.pages["/slow/2024.html"] = lambda handler: drip(handler, portal)
    base = portal.base

    def site(name, url, **more):
        return {"name": name, "agency": AGENCY, "start_urls": [url], "delay": 0, **more}

    sites = folder / "sites.yaml"
    sites.write_text(yaml.safe_dump([
        site("endless-pages", f"{base}/endless/list_1.html", max_pages=5),
        site("endless-depth", f"{base}/endless/list_1.html", max_depth=3),
        site("endless-default", f"{base}/endless/list_1.html"),
        site("slow", f"{base}/slow/index.html", timeout=2),
        site("bomb-list", f"{base}/bomb/index.html"),
        site("bomb-file", f"{base}/bombfile/index.html", max_size_mb=1),
        site("redirects", f"{base}/redirects/index.html"),
        site("redirect-start", f"{base}/redirect/25/index.html"),
        site("offsite", f"{base}/offsite/index.html"),
        site("robots", f"{walled.base}/nb/index.html"),
    ], allow_unicode=True), encoding="utf-8")
    measure = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]);"
               " print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "nianbao.cli", "crawl", "--sites",
                             str(sites), "--data", str(folder / "data")], capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    for server in (portal, elsewhere, walled):
        server.stop()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = folder / "data"
    rows = {site: dict(zip(("status", "detail", "found", "failed"), rest)) for site, *rest in select(
        data / "crawl.db", "SELECT site, status, detail, found, failed FROM crawl_run_sites")}
    maxrss_mb = int(result.stdout.rsplit("maxrss", 1)[1]) / 1024
    return {"data": data, "rows": rows, "portal": portal, "elsewhere": elsewhere, "walled": walled,
            "seconds": seconds, "maxrss_mb": maxrss_mb, "result": result, "base": base}


def fetched(crawled, site: str, like: str = "%") -> list:
    return select(crawled["data"] / "crawl.db", "SELECT url, status, headers FROM fetches WHERE site = ? AND url LIKE ?"
                  " ORDER BY id", site, like)


# --- item 3: endless pagination ---------------------------------------------------------------------

def test_endless_paging_stops_at_the_registrys_page_limit_and_says_so(crawled):
    lists = fetched(crawled, "endless-pages", "%/endless/list_%")
    assert len(lists) == 5, [u for u, *_ in lists]
    row = crawled["rows"]["endless-pages"]
    assert row["status"] == "partial"
    assert "paging stopped at 5 list pages (max_pages)" in row["detail"]


def test_endless_paging_stops_at_the_registrys_depth(crawled):
    assert len(fetched(crawled, "endless-depth", "%/endless/list_%")) == 4  # the first page and three more
    row = crawled["rows"]["endless-depth"]
    assert row["status"] == "partial" and "paging stopped at depth 3 (max_depth)" in row["detail"]


def test_endless_paging_stops_by_default(crawled):
    from crawler import settings

    pages = len(fetched(crawled, "endless-default", "%/endless/list_%"))
    assert pages == min(settings.MAX_LIST_DEPTH + 1, settings.MAX_LIST_PAGES)
    row = crawled["rows"]["endless-default"]
    assert row["status"] == "partial" and "paging stopped" in row["detail"]


def test_paging_limits_are_checked_in_the_registry(tmp_path):
    from crawler.sites import RegistryError, load_sites

    registry = tmp_path / "sites.yaml"
    registry.write_text("- {name: a, agency: b, start_urls: ['http://127.0.0.1/'], max_pages: many}\n")
    with pytest.raises(RegistryError, match="max_pages must be a positive whole number"):
        load_sites(registry)
    registry.write_text("- {name: a, agency: b, start_urls: ['http://127.0.0.1/'], max_pages: 7, max_depth: 2,"
                        " max_list_mb: 0.5}\n")
    site = load_sites(registry)[0]
    assert (site.max_pages, site.max_depth, site.max_list_mb) == (7, 2, 0.5)


# --- item 6: one deadline per download ---------------------------------------------------------------

def test_a_page_sent_a_byte_a_second_costs_one_timeout_not_four(crawled):
    hits = [path for path in crawled["portal"].hits if path == "/slow/2024.html"]
    assert len(hits) == 1, "a download whose deadline is spent is not retried"
    (url, status, headers), = fetched(crawled, "slow", "%/2024.html")
    assert status == 0 and "TimeoutError" in headers
    row = crawled["rows"]["slow"]
    assert row["failed"] == 1 and "2024.html" in row["detail"] and "TimeoutError" in row["detail"]
    assert crawled["seconds"] < 60


# --- item 8: failures have their reason in the site's row -------------------------------------------

def test_a_gzip_bomb_list_page_is_refused_logged_and_said(crawled):
    row = crawled["rows"]["bomb-list"]
    assert row["status"] != "ok" and row["found"] == 0
    assert "list page" in row["detail"] and "once decompressed" in row["detail"], row
    (url, status, headers), = fetched(crawled, "bomb-list", "%/bomb/index.html")
    assert status == 0 and "once decompressed" in headers


def test_a_gzip_bomb_attachment_is_refused_logged_and_counted(crawled):
    row = crawled["rows"]["bomb-file"]
    assert row["failed"] == 1 and "2024.pdf" in row["detail"] and "once decompressed" in row["detail"], row
    (url, status, headers), = fetched(crawled, "bomb-file", "%/2024.pdf")
    assert status == 0 and "larger than 1 MB once decompressed" in headers


def test_more_than_twenty_redirects_is_said(crawled):
    row = crawled["rows"]["redirects"]
    assert row["failed"] == 1 and "more than 20 redirects" in row["detail"], row
    start = crawled["rows"]["redirect-start"]
    assert start["status"] == "unreachable" and "more than 20 redirects" in start["detail"], start


def test_an_offsite_redirect_of_a_report_page_is_said(crawled):
    row = crawled["rows"]["offsite"]
    assert row["found"] == 0 and "redirect to another host (localhost)" in row["detail"], row
    assert crawled["elsewhere"].hits == []


def test_robots_txt_forbidding_everything_is_said(crawled):
    row = crawled["rows"]["robots"]
    assert row["status"] == "forbidden" and "robots.txt forbids it" in row["detail"], row
    assert crawled["walled"].hits == ["/robots.txt"]
    log = (crawled["data"] / "logs" / "nianbao.log").read_text(encoding="utf-8")
    assert "robots.txt forbids it" in log, "said at INFO in the log too"


# --- item 9: a list page's size, and the crawl's memory ----------------------------------------------

def test_a_list_page_that_inflates_is_not_parsed_and_memory_stays_bounded(crawled):
    assert crawled["maxrss_mb"] < MAX_RSS_MB, f"the crawl peaked at {crawled['maxrss_mb']:.0f} MB"
    from crawler import settings

    assert settings.LIST_MAXSIZE <= settings.DOWNLOAD_MAXSIZE / 20, "well below the attachment limit"
    assert f"larger than {settings.LIST_MAXSIZE / 2**20:g} MB once decompressed" in crawled["rows"]["bomb-list"]["detail"]


def test_the_summary_has_no_traceback(crawled):
    out = crawled["result"].stdout + crawled["result"].stderr
    assert "Traceback" not in out
    for site in ("endless-pages", "slow", "bomb-list", "robots"):
        assert site in crawled["result"].stdout
