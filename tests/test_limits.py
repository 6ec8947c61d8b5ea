"""crawler/limits.py: a download's one time budget (its redirects and retries together) counts time on the
wire, not time waiting behind its host's delay. Eight report links of one column, each redirected once, queue
behind a 0.7 s delay (about 10 s for the last) with a 2 s timeout: each is fetched (when the deadline ran from
the first request, the later redirects timed out before they were sent). A page sent a byte a second still
ends at its budget, and is not retried."""
import time

import yaml

from demo.portal import report_page
from tests.conftest import nianbao, select
from tests.test_hostile import Server, html

AGENCY = "示例市统计局"
YEARS = range(2017, 2025)


def slow(handler, seconds: float = 0.2, drip: bool = False):
    time.sleep(seconds)
    year = int(handler.path.rsplit("/", 1)[1][:4])
    body = report_page(f"{AGENCY}{year}年政府信息公开工作年度报告", AGENCY, 1).encode("utf-8")
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if drip:  # a byte a second: the whole page would take hours
        for byte in body[:30]:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(1)
        return
    handler.wfile.write(body)


def test_a_downloads_budget_counts_time_on_the_wire_not_in_its_hosts_queue(tmp_path):
    links = "".join(f"<li><a href='{y}.html'>{AGENCY}{y}年政府信息公开工作年度报告</a><span>{y + 1}-01-20</span></li>"
                    for y in YEARS)
    pages = {"/nb/index.html": html(f"<html><body><ul>{links}</ul></body></html>"),
             "/nb/2099.html": lambda handler: slow(handler, drip=True)}
    pages.update({f"/nb/{y}.html": (302, {"Location": f"/nb/{y}-moved.html"}, b"") for y in YEARS})
    pages.update({f"/nb/{y}-moved.html": slow for y in YEARS})
    pages["/nb/index.html"] = html(f"<html><body><ul>{links}<li><a href='2099.html'>{AGENCY}2099年政府信息公开"
                                   f"工作年度报告</a><span>2099-01-20</span></li></ul></body></html>")
    portal = Server(pages)
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump([{"name": "queued", "agency": AGENCY, "start_urls": [f"{portal.base}/nb/index.html"],
                                      "delay": 0.7, "concurrency": 1, "timeout": 2}], allow_unicode=True),
                     encoding="utf-8")
    try:
        nianbao("crawl", "--sites", sites, "--data", tmp_path / "data", check=False)
    finally:
        portal.stop()
    db = tmp_path / "data" / "crawl.db"
    fetched = {url.rsplit("/", 1)[1]: status for url, status in select(db, "SELECT url, status FROM fetches")}
    assert all(fetched.get(f"{y}-moved.html") == 200 for y in YEARS), fetched
    assert fetched.get("2099.html") == 0, "the page sent a byte a second ends at its deadline"
    detail = select(db, "SELECT detail FROM crawl_run_sites")[0][0]
    assert "2099.html" in detail and "took longer than 2" in detail
    assert portal.hits.count("/nb/2099.html") == 1, "a spent deadline is not retried"
