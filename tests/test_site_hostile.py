"""Issue 15, the site's items, each reproduced over HTTP against `nianbao serve` (and each failing on the code
before the fix):

4. one expensive SQL call (`randomblob(1e9)`, `printf('%.*c', 2e9, 'x')`) ends at once with an error, and a
   query cannot hand gigabytes of rows to Python;
10. 404/400/405 instead of 500 for out-of-range and huge ids, traversal paths under /raw/ and the plugin's
    static path, a bad `_sort`, POSTs to tables; one log line per error, never a traceback with locals;
11. no absolute data path in /-/metadata.json, /-/databases.json or `pragma_database_list`; a
    Content-Security-Policy and X-Frame-Options on HTML pages; the agency link works when a name holds "/".
"""
import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Site


class Served(Site):
    """`nianbao serve` with its stderr in a file, so a test can read what it logged."""

    def request(self, path: str, method: str = "GET", timeout: float = 30, body: bytes | None = None):
        """(status, headers, body) for the path exactly as given (no normalising of `..`, no redirect followed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def stderr(self) -> str:
        self._err.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self):
        super().stop()
        self._err.close()


@pytest.fixture(scope="module")
def served(demo_archive, tmp_path_factory):
    running = Served(demo_archive["data"], tmp_path_factory.mktemp("served") / "stderr.log")
    yield running
    running.stop()


def _sql(served, sql: str, timeout: float = 15):
    started = time.monotonic()
    status, _, body = served.request("/archive.json?_shape=array&sql=" + quote(sql), timeout=timeout)
    return status, body, time.monotonic() - started


# --- item 4: SQLite's limits -----------------------------------------------------------------------

@pytest.mark.parametrize("sql", ["select randomblob(1000000000)", "select printf('%.*c', 2000000000, 'x')",
                                 "select length(printf('%2000000000d', 1))", "select zeroblob(2000000000)"])
def test_one_expensive_call_ends_at_once_with_an_error(served, sql):
    status, body, took = _sql(served, sql)
    assert status == 400, body[:300]
    assert took < 3, f"{took:.1f} s: the SQL time limit is 3 s"


def test_a_query_cannot_hand_gigabytes_of_rows_to_python(served):
    """A thousand rows of a 16 MB blob each would be 16 GB of Python objects before the time limit ends it."""
    sql = ("with recursive n(x) as (select 1 union all select x + 1 from n where x < 1000) "
           "select zeroblob(16000000) from n")
    status, body, took = _sql(served, sql)
    assert status == 400 and "too large" in body, body[:300]
    assert took < 3
    peak = _peak_memory(served.process.pid)
    assert peak is None or peak < 1500 * 1024, f"the site's peak memory is {peak // 1024} MB"


def _peak_memory(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])  # kB
    except OSError:
        return None
    return None


def test_ordinary_sql_still_works(served):
    status, body, _ = _sql(served, "select printf('%d 份报告，%5.1f%%', count(*), 12.34) as s from reports")
    assert status == 200 and json.loads(body)[0]["s"].endswith("份报告， 12.3%"), body
    status, body, _ = _sql(served, "select format('%s-%03d', 'a', 7) as s")
    assert json.loads(body) == [{"s": "a-007"}]


# --- item 10: 404/400/405, not 500, and one log line ---------------------------------------------

HUGE = "1" * 5000
NOT_FOUND = ["/report/9223372036854775808", f"/report/{HUGE}", "/report/99999999",
             "/raw/../../etc/passwd", "/raw/..%2f..%2fetc%2fpasswd", "/raw/%2e%2e/%2e%2e/etc/passwd",
             "/-/static-plugins/nianbao/../../../etc/passwd", "/-/static-plugins/nianbao/..%2f..%2fsetup.py",
             "/-/static-plugins/nianbao/site.css", "/-/static/..%2f..%2fapp.py", "/no/such/page",
             "/agency/" + quote("没有这个机关", safe=""), "/archive/no_such_table", "/archive/reports/" + "9" * 40]


@pytest.mark.parametrize("path", NOT_FOUND, ids=lambda p: p[:40])
def test_missing_and_traversal_paths_are_404(served, path):
    status, headers, body = served.request(path)
    assert status == 404, (status, body[:300])
    assert "找不到" in body and 'class="nb-nav"' in body, "the site's 404 page, in its frame, in Chinese"


@pytest.mark.parametrize("path", ["/archive/reports?_sort=no_such_column", "/archive/reports?_sort_desc=no_such_column",
                                  "/archive/reports?_sort=id&_sort_desc=id", "/archive/reports.json?_sort=nope",
                                  "/archive/reports?_facet=no_such_column"])
def test_bad_parameters_are_400(served, path):
    status, _, body = served.request(path)
    assert status == 400, (status, body[:300])


@pytest.mark.parametrize("method, path", [("POST", "/archive/reports"), ("POST", "/archive/reports.json"),
                                          ("POST", "/archive/reports/-/insert"), ("PUT", "/archive/reports/1"),
                                          ("DELETE", "/archive/reports/1"), ("POST", "/archive/search"),
                                          ("PATCH", "/")])
def test_writes_are_refused_with_405(served, method, path):
    status, headers, body = served.request(path, method, body=b'{"row": {"title": "x"}}')
    assert status == 405, (status, body[:300])
    assert headers.get("allow") == "GET, HEAD"


def test_errors_log_one_line_each_and_no_traceback(served):
    before = served.stderr()
    for path in [*NOT_FOUND, "/archive/reports?_sort=no_such_column"]:
        served.request(path)
    served.request("/archive/reports", "POST", body=b"{}")
    logged = served.stderr()[len(before):]
    assert "Traceback" not in logged and "locals" not in logged and "│" not in logged, logged[:2000]
    assert logged.count("\n") <= 2, f"at most one line per error, and 4xx need none beyond the access log:\n{logged}"


# --- item 11: exposure ------------------------------------------------------------------------------

def test_no_data_path_is_shown(served, demo_archive):
    data = str(Path(demo_archive["data"]).resolve())
    for path in ("/-/metadata.json", "/-/databases.json", "/-/databases", "/archive.json", "/-/settings.json",
                 "/-/threads.json", "/.json",
                 "/archive.json?_shape=array&sql=" + quote("select * from pragma_database_list"),
                 "/archive.json?_shape=array&sql=" + quote("select file from pragma_database_list()")):
        status, _, body = served.request(path)
        assert status == 200, (path, body[:300])
        assert data not in body and data.replace("/", "\\/") not in body, path
    listed = served.request("/archive.json?_shape=array&sql=" + quote("select * from pragma_database_list"))[2]
    assert json.loads(listed) == []
    databases = json.loads(served.request("/-/databases.json")[2])
    assert [d["name"] for d in databases] == ["archive"] and "path" not in databases[0]


@pytest.mark.parametrize("path", ["/", "/reports", "/archive/reports", "/archive/search?q=x", "/no/such/page",
                                  "/quality"])
def test_html_pages_carry_security_headers(served, path):
    _, headers, _ = served.request(path)
    lowered = {k.lower(): v for k, v in headers.items()}
    policy = lowered.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], "no inline script but Datasette's own"
    assert lowered.get("x-frame-options") == "DENY" and lowered.get("x-content-type-options") == "nosniff"


def test_archived_originals_keep_their_sandbox(served, demo_archive):
    import sqlite3

    db = sqlite3.connect(Path(demo_archive["data"]) / "archive.db")
    sha = db.execute("SELECT sha256 FROM documents WHERE media_type = 'text/html' LIMIT 1").fetchone()[0]
    db.close()
    status, headers, _ = served.request(f"/raw/{sha}")
    assert status == 200 and {k.lower(): v for k, v in headers.items()}["content-security-policy"] == "sandbox"


SLASHED = "某市甲/乙局"


@pytest.fixture(scope="module")
def slashed(tmp_path_factory):
    """An archive of one report whose agency's name holds a "/"."""
    from archive.build import write_archive

    data = tmp_path_factory.mktemp("slashed")
    report = {"id": 1, "report_key": f"{SLASHED}|2024", "version": 1, "is_latest": True, "tables_as_images": False,
              "warnings": [], "tables": {}, "documents": [], "agency": SLASHED, "year": 2024, "province": "福建省",
              "checks": [{"rule": "applications.balance", "scope": "total", "ok": False, "message": "1 + 2 ≠ 4"}],
              "title": f"{SLASHED}2024年政府信息公开工作年度报告", "text": "本年度收到行政复议申请2件。",
              "published": "2025-01-10", "first_seen": "2025-01-11T00:00:00Z", "last_seen": "2025-01-11T00:00:00Z",
              "on_portal": 1}
    write_archive(data / "archive.db", [report], {})
    running = Served(data, data / "stderr.log")
    yield running
    running.stop()


def test_the_agency_link_works_when_a_name_holds_a_slash(slashed):
    import re

    for page in ("/", "/reports", "/report/1", "/archive/reports", "/archive/search?q=" + quote("复议")):
        status, _, body = slashed.request(page)
        assert status == 200, page
        links = set(re.findall(r'href="(/agency/[^"]+)"', body))
        assert links == {"/agency/" + quote(SLASHED, safe="")}, (page, links)
        for link in links:
            status, _, agency = slashed.request(link)
            assert status == 200 and f'<h1 class="agency-name">{SLASHED}</h1>' in agency, link
