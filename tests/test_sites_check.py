"""`nianbao sites check` (issue 12, item 7): each start URL fetched once, politely, and said reachable, moved,
gone, blocked, forbidden or unreachable, with the reason.

One real check (the CLI in a subprocess) of a registry whose columns a portal on 127.0.0.1 answers in every way
a real portal does: a list, a 301, a 302, a meta refresh, a 301 to another host, a 404, a 410, a 412 with
瑞数 cookies, a JavaScript challenge page, a 403, a cookie/redirect loop, a path robots.txt disallows, an
answer slower than the timeout; and columns on a port nothing listens on, behind TLS the server does not speak,
and on a host name that does not resolve (`.invalid`). The portal logs each request with its time."""
import csv
import json
import socket
import time

import pytest
import yaml

from crawler.sites_check import Result, report
from tests.conftest import nianbao
from tests.test_hostile import Server, html

AGENCY = "示例市审计局"
DELAY = 0.25  # every site's own delay but one
SLOW_DELAY = 0.5  # the list site's: the host's delay is the longest its sites ask for
TIMEOUT = 1.5
SLOW_SECONDS = 6  # the slow column answers after this (beyond the timeout)


def listing() -> tuple:
    items = "".join(f"<li><a href='t{year}.html'>{AGENCY}{year}年政府信息公开工作年度报告</a>"
                    f"<span>{year + 1}-01-20</span></li>" for year in (2023, 2024))
    return html(f"<html><body><div class='nav'><a href='/'>首页</a></div><ul>{items}</ul></body></html>")


class Timed(list):
    """The server's request log, each path with the time it arrived."""

    def append(self, path):
        super().append((time.monotonic(), path))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def slow(handler, server):
    for _ in range(SLOW_SECONDS * 10):
        if server.stopping.is_set():
            return
        time.sleep(0.1)
    status, headers, body = listing()
    try:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:  # the checker gave up long ago
        pass


@pytest.fixture(scope="module")
def portal():
    server = Server({})
    server.hits = Timed()
    base = server.base
    server.pages.update({
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
        "/list/index.html": listing(),
        "/old/index.html": (301, {"Location": "/new/index.html"}, b""),
        "/new/index.html": listing(),
        "/moving/index.html": (302, {"Location": f"{base}/today/index.html"}, b""),
        "/today/index.html": listing(),
        "/refresh/index.html": html("<html><head><meta http-equiv='refresh' content='0; url=/refreshed/index.html'>"
                                    "</head><body>正在跳转</body></html>"),
        "/refreshed/index.html": listing(),
        "/away/index.html": (301, {"Location": f"http://localhost:{server.port}/away/index.html"}, b""),
        "/missing/index.html": (404, {"Content-Type": "text/html"}, b"<h1>404</h1>"),
        "/removed/index.html": (410, {"Content-Type": "text/html"}, b"<h1>gone</h1>"),
        "/ruishu/index.html": (412, {"Content-Type": "text/html",
                                     "Set-Cookie": "FSSBBIl1UgzbN7NO=5bVxnNv7bNqA; Path=/"},
                               b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};</script>"
                               b"</head><body></body></html>"),
        "/challenge/index.html": html("<html><head><script>var arg1='3B1F5E';document.cookie=\"acw_sc__v2=\"+arg1+"
                                      "\"; path=/\";location.reload();</script></head><body></body></html>"),
        "/denied/index.html": (403, {"Content-Type": "text/html"}, b"<h1>403 Forbidden</h1>"),
        "/loop/index.html": (302, {"Location": "/loop/index.html", "Set-Cookie": "nb_loop=1; Path=/"}, b""),
        "/private/index.html": listing(),
        "/slow/index.html": lambda handler: slow(handler, server),
    })
    yield server
    server.stop()


SITES = {  # name: (path or URL, status, reason, detail)
    "list": ("/list/index.html", "reachable", None, "generic list, 2 report links"),
    "permanent": ("/old/index.html", "moved", "moved permanently",
                  "301 → {base}/new/index.html: generic list, 2 report links"),
    "temporary": ("/moving/index.html", "moved", "moved temporarily",
                  "302 → {base}/today/index.html: generic list, 2 report links"),
    "refresh": ("/refresh/index.html", "moved", "moved temporarily",
                "meta refresh → {base}/refreshed/index.html: generic list, 2 report links"),
    "away": ("/away/index.html", "moved", "moved permanently",
             "301 → http://localhost:{port}/away/index.html: another host (localhost), not fetched"),
    "missing": ("/missing/index.html", "gone", "HTTP 404", "HTTP 404"),
    "removed": ("/removed/index.html", "gone", "HTTP 410", "HTTP 410"),
    "nowhere": ("http://nianbao-check.invalid/col/index.html", "gone", "DNS: no such host",
                "DNS: no such host (nianbao-check.invalid)"),
    "ruishu": ("/ruishu/index.html", "blocked", "HTTP 412 anti-bot wall (瑞数)", "HTTP 412 anti-bot wall (瑞数)"),
    "challenge": ("/challenge/index.html", "blocked", "JavaScript challenge page", "JavaScript challenge page"),
    "denied": ("/denied/index.html", "blocked", "HTTP 403", "HTTP 403"),
    "loop": ("/loop/index.html", "blocked", "cookie/redirect loop", "cookie/redirect loop: 302"),
    "private": ("/private/index.html", "forbidden", "robots.txt forbids the column", "robots.txt forbids it"),
    "slow": ("/slow/index.html", "unreachable", "timed out", f"timed out after {TIMEOUT:g} s"),
    "refused": ("http://127.0.0.1:{refused}/col/index.html", "unreachable", "connection refused",
                "connection refused"),
    "tls": ("https://127.0.0.1:{port}/list/index.html", "unreachable", "TLS handshake failed",
            "TLS handshake failed (wrong version number)"),  # OpenSSL's words for an answer that is not TLS
}


@pytest.fixture(scope="module")
def checked(portal, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sites-check")
    names = {"base": portal.base, "port": portal.port, "refused": free_port()}
    urls = {name: (path if path.startswith("http") else portal.base + path).format(**names)
            for name, (path, *_) in SITES.items()}
    registry = [{"name": name, "agency": AGENCY, "region": "浙江省杭州市" if name == "list" else "福建省福州市",
                 "start_urls": [url], "delay": SLOW_DELAY if name == "list" else DELAY} for name, url in urls.items()]
    sites = folder / "sites.yaml"
    sites.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    started = time.monotonic()
    result = nianbao("sites", "check", "--sites", sites, "--data", folder / "data", "--json", "--timeout", TIMEOUT,
                     "--concurrency", 4, "--out", folder / "check.csv", check=False, timeout=120)
    return {"result": result, "names": names, "urls": urls, "sites": sites, "folder": folder,
            "seconds": time.monotonic() - started, "hits": list(portal.hits)}


def test_each_column_is_said_with_its_reason(checked):
    result = checked["result"]
    assert result.returncode == 1, result.stderr[-2000:]
    out = json.loads(result.stdout)
    rows = {row["site"]: row for row in out["sites"]}
    assert list(rows) == list(SITES)  # the registry's order
    for name, (_, status, reason, detail) in SITES.items():
        row = rows[name]
        assert row["url"] == checked["urls"][name]
        assert (row["status"], row["reason"]) == (status, reason), (name, row)
        assert row["detail"] == detail.format(**checked["names"]), (name, row)
    assert out["counts"] == {"reachable": 1, "moved": 4, "gone": 3, "blocked": 4, "forbidden": 1, "unreachable": 3}
    assert out["checked"] == len(SITES) and out["stopped"] is None
    base = checked["names"]["base"]
    assert rows["permanent"]["final_url"] == f"{base}/new/index.html"
    assert rows["permanent"]["redirects"] == [[301, f"{base}/new/index.html"]]
    assert rows["refresh"]["redirects"] == [["meta refresh", f"{base}/refreshed/index.html"]]
    assert rows["list"]["http_status"] == 200 and rows["list"]["report_links"] == 2
    assert rows["list"]["dialect"] == "generic" and rows["list"]["region"] == "浙江省杭州市"
    assert rows["slow"]["http_status"] == 0 and rows["missing"]["http_status"] == 404


def test_each_url_is_requested_once_and_no_link_is_followed(checked):
    paths = [path for _, path in checked["hits"]]
    expected = ["/robots.txt", "/list/index.html", "/old/index.html", "/new/index.html", "/moving/index.html",
                "/today/index.html", "/refresh/index.html", "/refreshed/index.html", "/away/index.html",
                "/missing/index.html", "/removed/index.html", "/ruishu/index.html", "/challenge/index.html",
                "/denied/index.html", "/loop/index.html", "/slow/index.html"]
    assert sorted(paths) == sorted(expected)  # each once; robots.txt's disallowed column never
    assert not any(path.endswith(("t2023.html", "t2024.html")) or path == "/" for path in paths)
    assert paths[0] == "/robots.txt"


def test_the_host_delay_is_kept(checked):
    times = [t for t, _ in checked["hits"]]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # The host's delay is the longest of its sites' (0.5 s, not 0.25 s); a little slack for the clock.
    assert min(gaps) >= SLOW_DELAY - 0.12, gaps
    # Bounded: one slow column costs the timeout once (no retry of a timed-out request).
    assert checked["seconds"] < 60


def test_csv_has_a_row_per_start_url(checked):
    with open(checked["folder"] / "check.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["site"] for row in rows] == list(SITES)
    assert rows[0]["status"] == "reachable" and rows[0]["report_links"] == "2"
    assert {row["site"]: row["status"] for row in rows}["nowhere"] == "gone"


def test_one_reachable_site_exits_0_with_the_text_report(checked):
    result = nianbao("sites", "check", "--sites", checked["sites"], "--data", checked["folder"] / "data",
                     "--province", "浙江", check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("checked 1 start URL of 1 site in ")
    assert lines[1].split() == ["reachable", "1"] and lines[2].split() == ["moved", "0"]
    assert "  list  generic list, 2 report links" in lines
    assert result.stdout.rstrip().splitlines()[-1].startswith("details in ")


def test_the_report_groups_by_status_and_reason():
    results = [Result("a", "http://a/", status="reachable", detail="trs list, 3 report links", report_links=3),
               Result("b", "http://b/", status="gone", reason="DNS: no such host", detail="DNS: no such host (b)"),
               Result("c", "http://c/", status="gone", reason="DNS: no such host", detail="DNS: no such host (c)"),
               Result("d", "http://d/", status="gone", reason="HTTP 404", detail="HTTP 404"),
               Result("e", "http://e/", status="reachable", detail="generic page, no report links on it",
                      report_links=0)]
    text = report(results, 1.2, 5)
    assert text.splitlines()[:7] == ["checked 5 start URLs of 5 sites in 1.2 s",
                                     "reachable       2  (1 with no report link on the page)",
                                     "moved           0", "gone            3", "blocked         0",
                                     "unreachable     0", ""]
    assert "gone: DNS: no such host (2)\n  b  DNS: no such host (b)\n  c  DNS: no such host (c)" in text
    assert "gone: HTTP 404 (1)\n  d  HTTP 404" in text
    assert "no host name resolved" not in text
    # Every host unresolved: the machine has no DNS, not 320 portals gone.
    offline = report(results[1:3], 0.5, 2)
    assert offline.splitlines()[-1].startswith("no host name resolved at all: if this machine has no network")


def test_help_and_a_bad_registry(tmp_path):
    shown = nianbao("sites", "check", "--help")
    assert "usage: nianbao sites check" in shown.stdout and "nianbao sites check --province" in shown.stdout
    bad = nianbao("sites", "check", "--sites", tmp_path / "nowhere.yaml", "--data", tmp_path / "data", check=False)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == f"nianbao: no such registry: {tmp_path / 'nowhere.yaml'}\n"
    unknown = nianbao("sites", "check", "--only", "no-such-site", "--data", tmp_path / "data", check=False)
    assert unknown.returncode == 2 and unknown.stderr == "nianbao: no site named no-such-site in the registry\n"
