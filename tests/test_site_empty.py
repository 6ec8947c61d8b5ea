"""Issue 13 §3 acceptance 4: on an empty archive (built, no report yet) every page answers 200 with a sensible
empty state, the Atom feed included (it was a 500, "max() arg is an empty sequence")."""
import re
import xml.etree.ElementTree as ET

import pytest

from tests.test_site_hostile import Served

PAGES = ["/", "/reports", "/reports?q=" + "复议", "/reports?province=福建省&year=2024", "/charts", "/charts?agency=x",
         "/quality", "/crawl", "/about", "/archive", "/archive/reports", "/archive/reports?_search=复议",
         "/archive/search", "/archive/search?q=复议", "/archive/disagreeing_reports", "/archive/applications_by_year",
         "/archive/agencies_missing_a_year", "/archive/new_reports", "/archive/failing_published_deadline",
         "/archive/crawl_run_sites", "/archive/checks", "/.json", "/archive/reports.json"]


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    from archive.build import write_archive

    data = tmp_path_factory.mktemp("empty")
    write_archive(data / "archive.db", [], {})
    running = Served(data, data / "stderr.log")
    yield running
    running.stop()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_200(empty, path):
    from urllib.parse import quote

    status, _, body = empty.request(quote(path, safe="/?=&"))
    assert status == 200, (status, body[:500])
    if not path.endswith(".json"):
        assert 'class="nb-nav"' in body, "in the site's frame"


def test_home_and_lists_say_the_archive_is_empty(empty):
    _, _, home = empty.request("/")
    assert "档案中还没有报告" in home and "nianbao crawl" in home
    assert re.search(r"<strong>0</strong> 份报告", home)
    _, _, reports = empty.request("/reports")
    assert "档案中还没有报告" in reports
    _, _, quality = empty.request("/quality")
    assert "还没有检查结果" in quality
    _, _, crawls = empty.request("/crawl")
    assert "还没有抓取记录" in crawls
    _, _, charts = empty.request("/charts")
    assert "暂无数据" in charts


def test_the_feed_is_an_empty_feed(empty):
    status, headers, body = empty.request("/archive/new_reports.atom")
    assert status == 200 and headers["content-type"].startswith("application/xml")
    feed = ET.fromstring(body.encode())
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.tag == f"{atom}feed" and feed.find(f"{atom}entry") is None
    assert feed.find(f"{atom}title").text and feed.find(f"{atom}updated").text
    assert "Traceback" not in empty.stderr()
