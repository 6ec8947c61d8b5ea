"""Issue 13 acceptance 3, in a real headless Chromium (Debian's, through Playwright) at 1400 px and 390 px:
home → search → report → agency → quality → charts → crawl summary, then the canned queries and Datasette's
own table page. On every page: the site's navigation, every nav link answering 200, no SQL text where
there should be none, no horizontal page scroll at 390 px (wide tables scroll in their own box), no script
the Content-Security-Policy refused, and a full-page screenshot (in site-screenshots/ under pytest's
temporary folder for the session)."""
import re
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.site.plugin import NAV

CHROMIUM = "/usr/bin/chromium"
SQL = re.compile(r"\bSELECT\b[\s\S]{0,200}\bFROM\b", re.I)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by `make test`"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site-screenshots"
    folder.mkdir(exist_ok=True)
    return folder


class Walk:
    """One viewport's visit: every page checked the same way and photographed."""

    def __init__(self, page, site, width: int, folder: Path):
        self.page, self.site, self.width, self.folder = page, site, width, folder
        self.shots: list[Path] = []
        self.nav_hrefs: set[str] = set()
        self.refused: list[str] = []
        page.on("console", lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None)

    def check(self, name: str, sql_free: bool = True) -> None:
        page = self.page
        page.wait_for_load_state("load")
        nav = page.locator("nav.nb-nav a")
        hrefs = [nav.nth(i).get_attribute("href") for i in range(nav.count())]
        assert hrefs == [href for href, _, _ in NAV], (name, hrefs)
        assert nav.first.is_visible(), f"{name}: the navigation shows at {self.width} px"
        self.nav_hrefs.update(hrefs)
        if sql_free:
            text = page.inner_text("body")
            assert not SQL.search(text), f"{name}: SQL text on the page"
            assert "Custom SQL query" not in text
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if self.width <= 400:
            assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px at {self.width} px"
        shot = self.folder / f"{self.width}-{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)

    def click_nav(self, label: str, name: str) -> None:
        self.page.click(f"nav.nb-nav a:has-text('{label}')")
        self.page.wait_for_url(f"**{dict((zh, href) for href, zh, _ in NAV)[label]}")
        self.check(name)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.parametrize("width", [1400, 390])
def test_walk_through_the_site(site, browser, screenshots, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    walk = Walk(page, site, width, screenshots)
    try:
        page.goto(site.url + "/")
        walk.check("home")
        newest = page.locator("a.title")
        assert newest.count() > 0
        assert all(re.fullmatch(r"/report/\d+", newest.nth(i).get_attribute("href")) for i in range(newest.count()))

        page.fill("#home-q", "复议")  # the home page's search box
        page.press("#home-q", "Enter")
        page.wait_for_url("**/reports?q=*")
        walk.check("search")
        titles = page.locator("table.nb-results a.title")
        rows = page.locator("table.nb-results tbody tr")
        assert titles.count() == rows.count() > 0, "every result's title is a link"
        assert all(re.fullmatch(r"/report/\d+", titles.nth(i).get_attribute("href")) for i in range(titles.count()))
        assert page.locator("table.nb-results mark").count() > 0, "matches marked in the snippets"

        titles.first.click()
        page.wait_for_selector("h1.report-title")
        walk.check("report")
        assert page.locator("table.nb").count() >= 3
        assert "本年新收政府信息公开申请数量" in page.inner_text("body")

        page.click(".nb-facts a[href^='/agency/']")
        page.wait_for_selector("h1.agency-name")
        walk.check("agency")

        walk.click_nav("质量", "quality")
        assert page.locator("table.quality-year").count() == 1
        walk.click_nav("图表", "charts")
        assert page.locator("svg.nianbao-chart").count() == 2
        walk.click_nav("抓取", "crawl")
        assert page.locator("table.crawl-sites tr").count() > 1

        for path, name in (("/archive/search?q=" + quote("复议"), "canned-search"),
                           ("/archive/disagreeing_reports", "canned-disagreeing"),
                           ("/archive/failing_published_deadline", "canned-failing-rule"),
                           ("/archive/reports?is_latest=1", "datasette-table"),
                           ("/no/such/page", "not-found")):
            page.goto(site.url + path)
            walk.check(name, sql_free=not name.startswith("datasette"))
        walk.click_nav("说明", "about")
    finally:
        context.close()

    assert not walk.refused, walk.refused
    for href in sorted(walk.nav_hrefs):
        assert _status(site.url + href) == 200, href
    assert len(walk.shots) == 13 and all(shot.stat().st_size > 5_000 for shot in walk.shots)
