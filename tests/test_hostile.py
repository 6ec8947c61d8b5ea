"""Issue 15: what a hostile portal sends cannot make the crawler read local files or leave the site.

A real crawl (the CLI in a subprocess) of a portal served on 127.0.0.1 whose list page links the crawler's
own files through `file://` and `ftp://` URLs naming the portal's host, whose report page redirects to
another port, and whose second column's start URL redirects to another host name (`localhost`)."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from demo.portal import report_page
from tests.conftest import nianbao, select

SECRET = "nianbao-local-secret-7f3a"


class Server:
    """A tiny portal: `pages` maps a path to (status, headers, body), or to a function of the request handler
    that answers itself (a server that drips, say); `dynamic(path)` answers other paths, or None for 404.
    Every request is logged."""

    def __init__(self, pages: dict, dynamic=None):
        self.pages, self.hits, self.dynamic = pages, [], dynamic
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.hits.append(self.path)
                answer = server.pages.get(self.path) or (server.dynamic and server.dynamic(self.path))
                if callable(answer):
                    return answer(self)
                status, headers, body = answer or (404, {}, b"not found")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def html(body: str) -> tuple:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode("utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    elsewhere = Server({"/nb/t1.html": html(report_page("示例市另一局2024年政府信息公开工作年度报告", "示例市另一局", 2)),
                        "/nb/index.html": html("<ul><li><a href='t1.html'>示例市另一局2024年政府信息公开工作年度报告</a></li></ul>")})
    title = "示例市审计局2024年政府信息公开工作年度报告"
    links = [f"file://127.0.0.1{secret}", f"file://127.0.0.1/etc/hostname", f"ftp://127.0.0.1/{secret}",
             "/nb/t2.html"]
    items = "".join(f"<li><a href='{href}'>示例市审计局{2020 + i}年政府信息公开工作年度报告</a></li>"
                    for i, href in enumerate(links))
    portal = Server({})
    portal.pages.update({
        "/nb/index.html": html(f"<ul><li><a href='t1.html'>{title}</a></li>{items}</ul>"),
        "/nb/t1.html": html(report_page(title, "示例市审计局", 1, extra=(
            f"<p>附件：<a href='file://127.0.0.1{secret}'>附件1.pdf</a> <a href='ftp://127.0.0.1/a.pdf'>附件2.pdf</a></p>"))),
        # A report page that sends the crawler to another port of the same host.
        "/nb/t2.html": (302, {"Location": f"http://127.0.0.1:{elsewhere.port}/nb/t1.html"}, b""),
        # A second column whose start URL sends the crawler to another host name.
        "/other/index.html": (302, {"Location": f"http://localhost:{elsewhere.port}/nb/index.html"}, b""),
    })
    sites = folder / "sites.yaml"
    sites.write_text(yaml.safe_dump([
        {"name": "hostile", "agency": "示例市审计局", "start_urls": [f"http://127.0.0.1:{portal.port}/nb/index.html"],
         "delay": 0},
        {"name": "hostile-redirect", "agency": "示例市审计局",
         "start_urls": [f"http://127.0.0.1:{portal.port}/other/index.html"], "delay": 0},
    ], allow_unicode=True), encoding="utf-8")
    result = nianbao("crawl", "--sites", sites, "--data", folder / "data", check=False)
    yield {"data": folder / "data", "portal": portal, "elsewhere": elsewhere, "result": result}
    portal.stop()
    elsewhere.stop()


def test_no_local_file_is_read_or_archived(hostile):
    data = hostile["data"]
    urls = [u for (u,) in select(data / "crawl.db", "SELECT url FROM fetches")]
    assert urls and all(u.startswith("http://") for u in urls), urls
    assert not [u for (u,) in select(data / "crawl.db", "SELECT url FROM report_documents") if not u.startswith("http")]
    for path in (data / "raw").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()
    for warc in data.rglob("*.warc*"):
        import gzip
        body = gzip.open(warc).read() if warc.suffix == ".gz" else warc.read_bytes()
        assert SECRET.encode() not in body
        assert b"WARC-Target-URI: file" not in body and b"WARC-Target-URI: ftp" not in body


def test_the_real_report_is_still_archived(hostile):
    keys = {k for (k,) in select(hostile["data"] / "crawl.db", "SELECT report_key FROM report_documents")}
    assert keys == {"示例市审计局|2024"}


def test_redirects_to_another_port_or_host_are_refused_and_said(hostile):
    assert hostile["elsewhere"].hits == []
    details = dict(select(hostile["data"] / "crawl.db", "SELECT site, detail FROM crawl_run_sites"))
    assert "redirect to another port" in details["hostile"]
    assert "redirect to another host (localhost)" in details["hostile-redirect"]


def test_settings_disable_every_handler_but_http():
    from crawler import settings

    assert settings.DOWNLOAD_HANDLERS == {"http": "crawler.limits.TimedHTTPHandler",
                                          "https": "crawler.limits.TimedHTTPHandler",
                                          "file": None, "ftp": None, "s3": None, "data": None}
    assert settings.TELNETCONSOLE_ENABLED is False


def test_no_public_suffix_list_is_fetched():
    """Issue 13 §2: the crawler never reaches out for the Public Suffix List (tldextract's first use)."""
    import crawler  # noqa: F401 - importing the package is enough
    from scrapy.downloadermiddlewares import cookies

    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._is_public_domain("gov.cn") and not cookies._is_public_domain("pingtan.gov.cn")
